"""One template for a page and its htmx fragment: a fragment is a block of the page."""

from __future__ import annotations

from flask import current_app, render_template, request


def render(template: str, fragment: str | None = None, status: int = 200, **context):
    """Render ``template``; for an htmx request, only its block ``fragment``.

    The full page (no JavaScript, POST → redirect → GET) and the swap made by htmx
    come from the same block, so they cannot drift apart.
    """
    if fragment is None or not request.htmx:
        return render_template(template, **context), status
    jinja_template = current_app.jinja_env.get_or_select_template(template)
    current_app.update_template_context(context)
    block = jinja_template.blocks[fragment]
    return "".join(block(jinja_template.new_context(context))), status
