"""Bearer tokens in paths (calendar feed, invitation, access link, health link) never
reach a log line."""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from app.access_log import RedactTokens, redact, token_routes

# A token as secrets.token_urlsafe(32) makes them; a fixed one, since it names tests.
TOKEN = "5BRZoa7jeZJf4QHs1j43g7a5jkL13xy_qP5KzB3nn4I"


@pytest.mark.parametrize(("line", "expected"), [
    (f'"GET /calendar/{TOKEN}.ics HTTP/1.1" 200 -', '"GET /calendar/….ics HTTP/1.1" 200 -'),
    (f'"GET /calendar/{TOKEN} HTTP/1.1" 404 -', '"GET /calendar/… HTTP/1.1" 404 -'),
    (f'"GET /invite/{TOKEN} HTTP/1.1" 200 -', '"GET /invite/… HTTP/1.1" 200 -'),
    (f'"POST /invite/{TOKEN}/register HTTP/1.1" 200 -',
     '"POST /invite/…/register HTTP/1.1" 200 -'),
    (f'"GET /invite/{TOKEN}?x=1 HTTP/1.1" 200 -', '"GET /invite/…?x=1 HTTP/1.1" 200 -'),
    (f'"POST /access/{TOKEN} HTTP/1.1" 302 -', '"POST /access/… HTTP/1.1" 302 -'),
    (f'"POST /shl/{TOKEN} HTTP/1.1" 200 -', '"POST /shl/… HTTP/1.1" 200 -'),  # a health link
    (f'"GET /static/app.js" 200 "https://carnet.example/invite/{TOKEN}"',
     '"GET /static/app.js" 200 "https://carnet.example/invite/…"'),  # a Referer
    ('"GET /access/sent HTTP/1.1" 200 -', '"GET /access/sent HTTP/1.1" 200 -'),
    ('"GET /carnet/1/calendar HTTP/1.1" 200 -', '"GET /carnet/1/calendar HTTP/1.1" 200 -'),
])
def test_the_token_of_a_path_is_written_as_an_ellipsis(app, line, expected):
    assert redact(line, token_routes(app.url_map)) == expected


def test_every_route_taking_a_token_is_redacted(app):
    routes = token_routes(app.url_map)
    token_rules = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert {rule.rule.split("<")[0] for rule in token_rules} == {
        "/calendar/", "/invite/", "/access/", "/shl/"}
    for rule in token_rules:
        path = rule.build({"token": TOKEN})[1]
        assert TOKEN not in redact(f'"GET {path} HTTP/1.1" 200 -', routes), rule.rule


def test_a_gunicorn_access_record_is_redacted(app, caplog):
    # gunicorn logs its access line with a dict of atoms: request line, path, Referer.
    logger = logging.getLogger("gunicorn.access")
    assert any(isinstance(f, RedactTokens) for f in logger.filters)
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logger.info('%(h)s "%(r)s" %(s)s "%(f)s" %(U)s', {
            "h": "192.0.2.1", "r": f"GET /calendar/{TOKEN}.ics HTTP/1.1", "s": "200",
            "f": f"https://carnet.example/access/{TOKEN}", "U": f"/invite/{TOKEN}/options"})
    assert TOKEN not in caplog.text
    assert "/calendar/….ics" in caplog.text and "/invite/…/options" in caplog.text


@pytest.fixture
def served(app):
    """The app served by werkzeug on a free port, as `make run` serves it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # /invite/… sends 127.0.0.1 over to CARNET_ORIGIN: the answer is enough


def _get(url: str) -> int:
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_served_request_with_a_token_is_logged_without_it(served, demo, caplog):
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert _get(f"{served}/calendar/{TOKEN}.ics") == 404
        assert _get(f"{served}/invite/{TOKEN}") == 302
        assert _get(f"{served}/access/{TOKEN}") == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) == 3
    assert not any(TOKEN in line for line in lines)
    assert [("/calendar/….ics" in line, "/invite/…" in line, "/access/…" in line)
            for line in lines] == [(True, False, False), (False, True, False),
                                   (False, False, True)]
