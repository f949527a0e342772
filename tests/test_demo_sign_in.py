"""Demo sign-in: one click as one of the demo's people, only in demo mode."""

from __future__ import annotations

import re

import pytest

from app import create_app


def test_the_demo_page_says_it_is_a_demo_and_lists_the_people(client, demo):
    page = client.get("/demo/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "démonstration" in page
    assert "Jeanne Martin" in page and "Dr Paul Lefèvre" in page and "Françoise Petit" in page


def test_outside_demo_mode_the_route_does_not_exist(database_url, instance_path):
    app = create_app({"DATABASE_URL": database_url, "CARNET_DEMO": False, "TESTING": True})
    assert "demo.sign_in_as" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    assert app.test_client().get("/demo/").status_code == 404
    assert app.test_client().post("/demo/sign-in").status_code in (400, 404)


def test_jeanne_signs_in_and_sees_her_home(demo_actions):
    response = demo_actions.sign_in("jeanne")
    assert response.status_code == 302
    page = demo_actions.client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Prochain rendez-vous" in page
    assert "Dr Paul Lefèvre" in page
    assert "Médecin traitant" in page


@pytest.mark.parametrize(
    ("name", "lands_on"),
    [("lefevre", "/day"), ("claire", "/carnets")],
)
def test_each_role_lands_on_its_starting_page(demo_actions, name, lands_on):
    demo_actions.sign_in(name)
    assert demo_actions.client.get("/").headers["Location"].endswith(lands_on)


def test_signing_in_starts_a_new_session(demo_actions):
    demo_actions.csrf_token()
    with demo_actions.client.session_transaction() as session:
        assert "csrf_token" in session and "token" not in session
    demo_actions.sign_in("jeanne")
    with demo_actions.client.session_transaction() as session:
        assert "token" in session
        assert "csrf_token" not in session  # the anonymous session was not carried over


def test_answers_say_what_they_cost_only_when_a_benchmark_asks(database_url, instance_path):
    timed = create_app({"DATABASE_URL": database_url, "CARNET_DEMO": True, "TESTING": True,
                        "CARNET_SERVER_TIMING": True})
    answer = timed.test_client().get("/demo/hello")
    assert answer.get_data(as_text=True) == "hello"
    assert re.fullmatch(r"cpu;dur=\d+\.\d\d, app;dur=\d+\.\d\d", answer.headers["Server-Timing"])
    plain = create_app({"DATABASE_URL": database_url, "CARNET_DEMO": True, "TESTING": True})
    assert "Server-Timing" not in plain.test_client().get("/demo/hello").headers
