"""An educational page's Markdown comes out as HTML that cannot run, load or style anything."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from app.content.markdown import render_markdown

PAYLOADS = {
    "script tag": '<script>alert("x")</script>',
    "script tag split over lines": "<script\n>alert(1)</script\n>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "a onclick": '<a href="https://example.org" onclick="alert(1)">x</a>',
    "svg onload": "<svg onload=alert(1)>",
    "b onmouseover inline": "Text <b onmouseover=alert(1)>bold</b> text",
    "javascript link": "[x](javascript:alert(1))",
    "javascript mixed case": "[x](JaVaScRiPt:alert(1))",
    "javascript decimal entity": "[x](&#106;avascript:alert(1))",
    "javascript hex entities": "[x](&#x6A;&#x61;vascript:alert(1))",
    "javascript colon entity": "[x](javascript&colon;alert(1))",
    "javascript tab inside": "[x](java\tscript:alert(1))",
    "javascript tab entity inside": "[x](java&#x09;script:alert(1))",
    "javascript with spaces": "[x](  javascript:alert(1)  )",
    "javascript in angle brackets": "[x](<javascript:alert(1)>)",
    "javascript reference link": "[x][r]\n\n[r]: javascript:alert(1)",
    "javascript reference with title": '[x][r]\n\n[r]: JAVASCRIPT:alert(1) "t"',
    "javascript autolink": "<javascript:alert(1)>",
    "javascript link with title": '[x](javascript:alert(1) "title")',
    "data link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data autolink": "<data:text/html,<script>alert(1)</script>>",
    "vbscript link": "[x](vbscript:msgbox(1))",
    "markdown image": "![x](https://tracker.example/pixel.png)",
    "markdown image onerror title": '![x](x "onerror=alert(1)")',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "style tag": "<style>body { display: none }</style>",
    "style attribute": '<p style="position:fixed">x</p>',
    "raw html block": "<div>\n\n*inside a block*\n\n</div>",
    "html comment": "<!-- <script>alert(1)</script> -->",
    "inline html": "Hello <span onclick=alert(1)>there</span>",
    "object and embed": '<object data="x.swf"></object><embed src="x.swf">',
    "form": '<form action="https://evil.example"><input name=x></form>',
    "link title quote break": '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
}
ALLOWED = {"p", "a", "em", "strong", "code", "pre", "br", "hr", "ul", "ol", "li", "blockquote",
           "h2", "h3", "h4"}


class _Elements(HTMLParser):
    """Every element of a piece of HTML, as a browser would read it: (tag, attributes)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_a_payload_comes_out_inert(payload):
    html = str(render_markdown(payload))
    for tag, attributes in _Elements(html).found:
        assert tag in ALLOWED, html
        assert not [name for name in attributes if name.startswith("on")], html
        assert "style" not in attributes and "src" not in attributes, html
        href = re.sub(r"[\x00-\x20]", "", unquote(attributes.get("href", ""))).lower()
        assert not href.startswith(("javascript:", "vbscript:", "data:")), html
    for forbidden in ("<script", "<iframe", "<img", "<style", "<svg", "javascript:\""):
        assert forbidden not in html.lower(), html


def test_plain_markdown_still_renders():
    html = str(render_markdown(
        "# Weighing\n\nEvery *morning*, **before** breakfast.\n\n- same scales\n- write it down"
        "\n\n1. get up\n2. weigh\n\n[The association](https://example.org/coeur)"))
    assert "<h2>Weighing</h2>" in html and "<h1" not in html
    assert "<em>morning</em>" in html and "<strong>before</strong>" in html
    assert "<ul>\n<li>same scales</li>\n<li>write it down</li>\n</ul>" in html
    assert "<ol>\n<li>get up</li>" in html
    assert '<a href="https://example.org/coeur" rel="noopener noreferrer">The association</a>' in (
        html)
