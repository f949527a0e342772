"""VAPID keys: made on first run in the instance folder, or taken from the environment;
``flask vapid`` shows the public key and ``--rotate`` makes a new pair."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from py_vapid import Vapid
from sqlmodel import select

from app import create_app
from app.models import PushSubscription
from app.push.vapid import KEY_FILE, VapidError, public_key_of

from .conftest import persona
from .push_actions import subscribe
from .push_service import PushService


@pytest.fixture
def fresh_instance(app, tmp_path, monkeypatch, database_url):
    """``fresh_instance()`` builds an app over an empty instance folder of its own."""
    monkeypatch.setenv("CARNET_INSTANCE", str(tmp_path))
    for name in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "VAPID_SUBJECT"):
        monkeypatch.delenv(name, raising=False)
    return lambda **config: create_app({"DATABASE_URL": database_url, "TESTING": True,
                                        "SECRET_KEY": "test-secret", **config})


def test_keys_are_made_on_first_run_and_kept(fresh_instance, tmp_path):
    first = fresh_instance()
    key_file = tmp_path / KEY_FILE
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert fresh_instance().config["VAPID_PUBLIC_KEY"] == first.config["VAPID_PUBLIC_KEY"]
    # What browsers take as applicationServerKey: an uncompressed P-256 point, base64url.
    assert len(first.config["VAPID_PUBLIC_KEY"]) == 87


def test_keys_from_the_environment_are_used_and_nothing_is_written(fresh_instance, tmp_path,
                                                                   monkeypatch):
    keys = Vapid()
    keys.generate_keys()
    monkeypatch.setenv("VAPID_PRIVATE_KEY", keys.private_pem().decode())
    monkeypatch.setenv("VAPID_PUBLIC_KEY", public_key_of(keys))
    monkeypatch.setenv("VAPID_SUBJECT", "mailto:admin@cpts.example.org")

    app = fresh_instance()

    assert app.config["VAPID_PUBLIC_KEY"] == public_key_of(keys)
    assert app.extensions["carnet.vapid"].subject == "mailto:admin@cpts.example.org"
    assert not (tmp_path / KEY_FILE).exists()


def test_a_public_key_that_does_not_match_is_refused(fresh_instance, monkeypatch):
    one, other = Vapid(), Vapid()
    one.generate_keys()
    other.generate_keys()
    monkeypatch.setenv("VAPID_PRIVATE_KEY", one.private_pem().decode())
    monkeypatch.setenv("VAPID_PUBLIC_KEY", public_key_of(other))
    with pytest.raises(VapidError, match="not the public half"):
        fresh_instance()


def test_an_unreadable_key_is_refused(fresh_instance, monkeypatch):
    monkeypatch.setenv("VAPID_PRIVATE_KEY", "not a key")
    with pytest.raises(VapidError, match="cannot be read"):
        fresh_instance()


def test_the_command_shows_the_public_key(app):
    result = app.test_cli_runner().invoke(args=["vapid"])
    assert result.exit_code == 0
    assert result.output.strip() == app.config["VAPID_PUBLIC_KEY"]


def test_rotating_makes_a_new_pair_and_forgets_the_devices(fresh_instance, tmp_path, demo,
                                                           db):
    app = fresh_instance()
    with app.app_context():
        subscribe(db, PushService(app.config["VAPID_PUBLIC_KEY"], origin="http://127.0.0.1:1"),
                  "lefevre")
    old = app.config["VAPID_PUBLIC_KEY"]

    result = app.test_cli_runner().invoke(args=["vapid", "--rotate", "--yes"])

    assert result.exit_code == 0, result.output
    assert fresh_instance().config["VAPID_PUBLIC_KEY"] != old
    assert old not in result.output
    assert db.exec(select(PushSubscription).where(
        PushSubscription.account_id == persona(db, "lefevre").id)).all() == []


def test_rotating_asks_first(fresh_instance, tmp_path):
    app = fresh_instance()
    before = Path(tmp_path / KEY_FILE).read_bytes()
    result = app.test_cli_runner().invoke(args=["vapid", "--rotate"], input="n\n")
    assert result.exit_code != 0
    assert Path(tmp_path / KEY_FILE).read_bytes() == before


def test_keys_from_the_environment_are_not_rotated_here(fresh_instance, monkeypatch):
    keys = Vapid()
    keys.generate_keys()
    monkeypatch.setenv("VAPID_PRIVATE_KEY", keys.private_pem().decode())
    result = fresh_instance().test_cli_runner().invoke(args=["vapid", "--rotate", "--yes"])
    assert result.exit_code != 0 and "VAPID_PRIVATE_KEY" in result.output
