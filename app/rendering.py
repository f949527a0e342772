"""One template for a page and its htmx fragment: a fragment is a block of the page."""

from __future__ import annotations

import json

from flask import current_app, make_response, render_template, request


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


def announce(answer, message: str):
    """``answer`` (what a view returns) with ``message`` for the page's polite live region.

    htmx fires ``carnet:announce`` once the answer is swapped in and settled (static/js/app.js
    writes it into the region); the message is translated here, like any other text.
    """
    response = make_response(answer)
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"carnet:announce": message})
    return response
