"""(being written) Authoring of educational pages."""

from flask import abort

from . import authoring


@authoring.get("/pages/new")
def new_page():
    abort(404)


@authoring.get("/pages/<int:page_id>")
def page(page_id: int):
    abort(404)
