"""The PWA shell: manifest, icons, service worker, offline page."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_has_what_a_phone_needs(client):
    response = client.get("/manifest.webmanifest")
    manifest = response.get_json(force=True)
    assert response.mimetype == "application/manifest+json"
    for key in ("name", "short_name", "start_url", "display", "theme_color",
                "background_color", "icons"):
        assert manifest[key], key
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


def test_the_icons_exist_at_their_declared_sizes(client):
    for icon in client.get("/manifest.webmanifest").get_json(force=True)["icons"]:
        assert client.get(icon["src"]).status_code == 200
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert _png_size(ROOT / urlsplit(icon["src"]).path.lstrip("/")) == (width, height)


def test_the_service_worker_is_served_from_the_root_with_a_version(client):
    response = client.get("/sw.js")
    source = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "__CARNET_VERSION__" not in source
    assert "/offline" in source


def test_the_offline_page_names_no_one(demo_actions):
    demo_actions.sign_in("jeanne")
    page = demo_actions.client.get("/offline").get_data(as_text=True)
    assert "Jeanne" not in page
    assert "15" in page  # the emergency number is always there


def test_htmx_is_served_from_our_own_static_folder(signed_in, jeanne_id):
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/plan").get_data(as_text=True)
    htmx = re.search(r'src="(/static/vendor/htmx\.min\.js\?v=[0-9a-f]+)"', page).group(1)
    assert "://" not in "".join(
        line for line in page.splitlines() if "<script" in line or "stylesheet" in line
    )
    assert signed_in("jeanne").get(htmx).status_code == 200


@pytest.mark.parametrize(("language", "direction"), [("fr", "ltr"), ("en", "ltr"), ("ar", "rtl")])
def test_the_manifest_speaks_the_visitors_language_and_turns_with_the_phone(client, language,
                                                                            direction):
    manifest = client.get("/manifest.webmanifest",
                          headers={"Accept-Language": language}).get_json(force=True)
    assert (manifest["lang"], manifest["dir"]) == (language, direction)
    assert "orientation" not in manifest  # a phone on a stand, a tablet (WCAG 1.3.4)
