"""Bad input and faults give friendly, translated pages; never a stack trace."""

from __future__ import annotations

import pytest

from app import create_app


@pytest.mark.parametrize(
    ("language", "title"),
    [("fr", "Page introuvable"), ("en", "Page not found")],
)
def test_an_unknown_url_gives_a_translated_404(client, language, title):
    response = client.get("/no/such/page", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


def test_an_unexpected_error_gives_a_500_page_without_a_trace(database_url, instance_path):
    app = create_app({"DATABASE_URL": database_url, "TESTING": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail: glycaemia 3.2")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in page and "secret detail" not in page
    assert "<h1" in page


def test_a_post_without_csrf_token_is_refused(client, demo):
    response = client.post("/demo/sign-in", data={"account_id": 1})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert client.get("/").headers["Location"].endswith("/sign-in")  # nobody signed in


def test_an_unknown_demo_account_is_a_404(demo_actions):
    token = demo_actions.csrf_token()
    response = demo_actions.client.post("/demo/sign-in",
                                        data={"account_id": "abc", "csrf_token": token})
    assert response.status_code == 404


@pytest.mark.db_engine
def test_a_failing_request_leaves_nothing_behind(database_url, instance_path, engine):
    """One session per request, rolled back when the request fails."""
    from sqlmodel import Session, select

    from app.db import get_session
    from app.models import Account, Role

    app = create_app({"DATABASE_URL": database_url})

    @app.get("/half-done")
    def half_done():
        session = get_session()
        session.add(Account(email="half.done@example.net", first_name="Half", last_name="Done",
                            role=Role.PATIENT, user_handle="half-done"))
        session.flush()
        raise RuntimeError("fails after writing")

    assert app.test_client().get("/half-done").status_code == 500
    with Session(engine) as session:
        assert session.exec(
            select(Account).where(Account.email == "half.done@example.net")
        ).first() is None
