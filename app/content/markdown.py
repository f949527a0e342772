"""Educational pages are written in Markdown and read as sanitized HTML.

markdown-it-py renders CommonMark with raw HTML turned off (it comes out as text), then
nh3 keeps only the tags and attributes a page needs: no script, no event handler, no
style, no iframe, no image (nothing may load from another host), and links only to
http(s), mailto and tel. The page's title is its h1, so Markdown headings start at h2.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.disable("image")
TAGS = {"h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code",
        "pre", "hr", "br"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(text: str) -> Markup:
    """``text`` (Markdown from an author) as HTML safe to put in a page."""
    tokens = _MARKDOWN.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 4)}"
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                            link_rel="noopener noreferrer"))
