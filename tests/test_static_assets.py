"""Static files named by their content, cached a year; lighter pages; precompressed copies."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest

from app.assets import IMMUTABLE, content_hash, precompress
from app.templating import uses_htmx

LINKED = re.compile(r'(?:href|src)="(/static/[^"#]+)')


def _linked(page: str) -> list[str]:
    return sorted(set(LINKED.findall(page)))


def test_every_static_url_of_a_page_names_its_content(client):
    urls = _linked(client.get("/sign-in").get_data(as_text=True))
    assert {"/static/css/carnet.css", "/static/js/app.js", "/static/js/passkey.js"} <= {
        url.split("?")[0] for url in urls}
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url


def test_a_versioned_url_is_cached_a_year_immutable(client):
    for url in _linked(client.get("/sign-in").get_data(as_text=True)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE, url
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("query", ["", "?v=0123456789ab", "?v="])
def test_an_unversioned_or_outdated_url_is_asked_again_each_time(client, query):
    """Not immutable: the file at that URL changes with the next version. The browser asks
    again each time, and an unchanged file costs a 304."""
    response = client.get(f"/static/css/carnet.css{query}")
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get(f"/static/css/carnet.css{query}",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_url_changes_when_the_file_changes(app, tmp_path, monkeypatch):
    (tmp_path / "css").mkdir()
    style = tmp_path / "css" / "carnet.css"
    style.write_text("p { color: red }")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    with app.test_request_context():
        before = app.jinja_env.globals["asset"]("css/carnet.css")
        assert before == app.jinja_env.globals["asset"]("css/carnet.css")
        style.write_text("p { color: navy }")
        after = app.jinja_env.globals["asset"]("css/carnet.css")
    assert before != after
    assert before.startswith("/static/css/carnet.css?v=")
    assert after == f"/static/css/carnet.css?v={content_hash(str(tmp_path), 'css/carnet.css')}"


def test_a_missing_file_has_no_version(tmp_path):
    assert content_hash(str(tmp_path), "css/nothing.css") is None
    assert content_hash(str(tmp_path), "../etc/passwd") is None


def test_jeannes_home_loads_no_htmx_and_her_plan_does(signed_in, jeanne_id):
    """htmx is half of a first load on a phone: only pages with hx- attributes load it (and
    work without it, as plain forms)."""
    jeanne = signed_in("jeanne")
    home = jeanne.get("/").get_data(as_text=True)
    assert "htmx.min.js" not in home and "hx-" not in home
    plan = jeanne.get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    assert uses_htmx(plan)
    assert re.search(r'<script src="/static/vendor/htmx\.min\.js\?v=[0-9a-f]{12}" defer>', plan)


@pytest.mark.parametrize(("html", "uses"), [
    ('<form hx-post="/x">', True),
    ('<a data-hx-get="/x">', True),
    ("<p>What does hx-post=&#34;x&#34; mean?</p>", False),  # a person's words, escaped
    ("<p>No attribute here</p>", False),
])
def test_uses_htmx_sees_attributes_only(html, uses):
    assert uses_htmx(html) is uses


def test_a_text_file_is_sent_precompressed_as_the_browser_accepts(app, client, tmp_path,
                                                                  monkeypatch):
    (tmp_path / "js").mkdir()
    source = tmp_path / "js" / "app.js"
    source.write_text("console.log('Carnet');\n" * 200)
    written = precompress(tmp_path)
    assert sorted(p.name for p in written) == ["app.js.br", "app.js.gz"]
    assert precompress(tmp_path) == []  # up to date
    monkeypatch.setattr(app, "static_folder", str(tmp_path))

    brotli_answer = client.get("/static/js/app.js", headers={"Accept-Encoding": "gzip, br"})
    assert brotli_answer.headers["Content-Encoding"] == "br"
    assert brotli.decompress(brotli_answer.data) == source.read_bytes()
    assert brotli_answer.mimetype == "text/javascript"
    assert "Accept-Encoding" in brotli_answer.headers["Vary"]

    gzip_answer = client.get("/static/js/app.js", headers={"Accept-Encoding": "gzip"})
    assert gzip_answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzip_answer.data) == source.read_bytes()

    plain = client.get("/static/js/app.js", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.data == source.read_bytes()


def test_the_service_worker_keeps_the_urls_the_pages_ask_for(client, demo_actions):
    """Offline reading: the shell the worker keeps at install is made of the very URLs the
    pages link, so that its cache answers them."""
    worker = client.get("/sw.js")
    source = worker.get_data(as_text=True)
    assert worker.headers["Cache-Control"] == "no-cache"  # its URL never changes
    kept = set(re.findall(r'"(/static/[^"]+\?v=[0-9a-f]{12})"', source))
    demo_actions.sign_in("jeanne")
    home = _linked(demo_actions.client.get("/").get_data(as_text=True))
    assert set(home) <= kept
    assert any("htmx.min.js" in url for url in kept)  # for the plan, read offline
    assert 'importScripts(ASSETS["js/report-queue.js"])' in source
    for url in kept:
        assert client.get(url).headers["Cache-Control"] == IMMUTABLE, url


def test_the_page_nginx_shows_when_no_instance_answers_is_written_in_each_language(app,
                                                                                   tmp_path):
    """`flask --app app assets` writes the page of deploy/nginx.conf's error_page for 502
    and 504, once per language; written again only when it changes."""
    from app.assets import write_unavailable_pages

    written = write_unavailable_pages(app, tmp_path)
    pages = {path.name: path.read_text() for path in written}
    assert set(pages) == {"unavailable.fr.html", "unavailable.en.html", "unavailable.ar.html"}
    assert '<html lang="fr" dir="ltr">' in pages["unavailable.fr.html"]
    assert '<html lang="ar" dir="rtl">' in pages["unavailable.ar.html"]
    assert "Carnet fait une petite pause" in pages["unavailable.fr.html"]
    assert "Carnet is resting for a moment" in pages["unavailable.en.html"]
    assert "/static/css/carnet.css?v=" in pages["unavailable.en.html"]
    assert "<script" not in "".join(pages.values())
    assert write_unavailable_pages(app, tmp_path) == []


def test_the_style_sheet_lays_out_by_reading_direction_not_by_side():
    """Margins, borders, offsets and alignment are logical (inline-start/end), so that a
    right-to-left page mirrors by itself: no physical left or right is left in the CSS."""
    css = (Path(__file__).resolve().parent.parent / "static" / "css" / "carnet.css").read_text()
    physical = re.findall(r"[\w-]*\b(?:left|right)\b[\w-]*\s*:|:\s*(?:left|right)\b", css)
    assert physical == []
    assert "hyphens: auto" not in css  # no word of body text split by the browser
