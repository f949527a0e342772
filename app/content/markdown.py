"""Educational pages are written in Markdown and read as sanitized HTML.

markdown-it-py renders CommonMark with raw HTML turned off (it comes out as text), then
nh3 keeps only the tags and attributes a page needs: no script, no event handler, no
style, no iframe, no image (nothing may load from another host), and links only to
http(s), mailto and tel (checked twice: by markdown-it, once percent-escapes are undone, and
by nh3). The page's title is its h1, so Markdown headings start at h2 (# or ##, as the author
wrote the top level).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {"h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code",
        "pre", "hr", "br"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
SCHEMES = {"http", "https", "mailto", "tel"}
_SCHEME = re.compile(r"^([^/?#:]*):")


def _link_allowed(url: str) -> bool:
    """A link to an allowed scheme, or relative. Control characters and spaces are dropped
    and escapes undone first, so that "java%09script:" is seen for what it is."""
    squeezed = re.sub(r"[\x00-\x20\x7f]", "", unquote(url)).lower()
    scheme = _SCHEME.match(squeezed)
    return scheme is None or scheme.group(1) in SCHEMES


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.disable("image")
_MARKDOWN.validateLink = _link_allowed


def render_markdown(text: str) -> Markup:
    """``text`` (Markdown from an author) as HTML safe to put in a page."""
    tokens = _MARKDOWN.parse(text or "")
    headings = [token for token in tokens if token.type in ("heading_open", "heading_close")]
    top = min((int(token.tag[1]) for token in headings), default=1)
    for token in headings:  # the page's first level of headings is h2, whether # or ##
        token.tag = f"h{min(int(token.tag[1]) - top + 2, 4)}"
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                            link_rel="noopener noreferrer"))
