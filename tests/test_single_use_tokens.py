"""Single-use tokens are spent by one compare-and-set: two people racing with one token,
at the same instant, never both get what it grants."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from app.auth import recovery
from app.consent import access_requests
from app.models import AccessLink, AccessRequest, Invitation, Passkey, Patient

from .conftest import CSRF_META, persona
from .passkey_actions import ORIGIN, PasskeyActions

ROUNDS = 3  # each round is one race; a single race could happen not to overlap
HANG = 30  # seconds: a thread that waits longer than this has hung


def _race(*attempts):
    """Run ``attempts`` in threads released at the same instant; their results, in order."""
    barrier = threading.Barrier(len(attempts), timeout=HANG)
    results: list = [None] * len(attempts)

    def run(index, attempt):
        barrier.wait()
        results[index] = attempt()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return results


def _ready_registration(app, token: str):
    """A browser with its own phone, options in hand: what is left is the final POST."""
    browser = PasskeyActions(app, app.test_client())
    headers = browser.csrf()
    options = browser.client.post(f"/invite/{token}/options", json={}, headers=headers)
    credential = browser.phone.create(options.get_json(), origin=ORIGIN)
    return lambda: browser.client.post(f"/invite/{token}/register", headers=headers,
                                       json={"credential": credential, "name": "Phone"})


@pytest.mark.db_engine
def test_two_phones_racing_with_one_invitation_make_one_passkey(app, demo, db):
    jeanne = persona(db, "jeanne")
    inviter = PasskeyActions(app, app.test_client())
    for _ in range(ROUNDS):
        token = inviter.invite(jeanne)
        responses = _race(_ready_registration(app, token), _ready_registration(app, token))
        assert sorted(r.status_code for r in responses) == [200, 404]
        loser = next(r for r in responses if r.status_code == 404)
        assert "already been used" in loser.get_json()["error"]
    db.expire_all()
    assert len(db.exec(select(Passkey).where(Passkey.account_id == jeanne.id)).all()) == ROUNDS
    assert all(i.used_at is not None for i in db.exec(select(Invitation)).all())


def test_a_refused_registration_leaves_the_invitation_usable(app, demo, db):
    jeanne = PasskeyActions(app, app.test_client())
    token = jeanne.invite(persona(db, "jeanne"))
    assert jeanne.register(token, origin="https://evil.example").status_code == 400
    assert db.exec(select(Invitation)).one().used_at is None
    assert jeanne.register(token).status_code == 200


def test_a_challenge_made_for_one_invitation_does_not_spend_another(app, demo, db):
    jeanne = PasskeyActions(app, app.test_client())
    first, second = jeanne.invite(persona(db, "jeanne")), jeanne.invite(persona(db, "jeanne"))
    options = jeanne.post(f"/invite/{first}/options").get_json()
    credential = jeanne.phone.create(options, origin=ORIGIN)
    response = jeanne.post(f"/invite/{second}/register", {"credential": credential})
    assert response.status_code == 400
    db.expire_all()
    assert all(i.used_at is None for i in db.exec(select(Invitation)).all())


def _ready_request(app, engine, token: str, who: str):
    """A professional outside the team, signed in, the link's form open."""
    from .conftest import DemoActions

    browser = DemoActions(app.test_client(), engine)
    browser.sign_in(who)
    page = browser.client.get(f"/access/{token}").get_data(as_text=True)
    data = {"csrf_token": CSRF_META.search(page).group(1), "sections": ["plan"],
            "message": "Pour préparer la visite."}
    return lambda: browser.client.post(f"/access/{token}", data=data)


@pytest.mark.db_engine
def test_two_professionals_racing_with_one_access_link_make_one_request(app, engine, demo,
                                                                         db):
    # Lucas (social worker) and Julie (Karim's physiotherapist) are outside Jeanne's team.
    jeanne = persona(db, "jeanne")
    patient = db.exec(select(Patient).where(Patient.account_id == jeanne.id)).one()
    for _ in range(ROUNDS):
        with app.test_request_context():
            link, token = access_requests.make_link(db, patient, jeanne)
        db.commit()  # the domain only flushes: the request (here, the test) commits
        responses = _race(_ready_request(app, engine, token, "lucas"),
                          _ready_request(app, engine, token, "julie"))
        assert sorted(r.status_code for r in responses) == [302, 404]
        db.expire_all()
        used = db.get(AccessLink, link.id)
        assert used.used_at is not None
        asked = db.get(AccessRequest, used.access_request_id)
        winner = "lucas" if responses[0].status_code == 302 else "julie"
        assert asked.requester_account_id == persona(db, winner).id


def _ready_recovery(app, code: str):
    """A browser on the sign-in page, the code typed: what is left is the POST."""
    browser = PasskeyActions(app, app.test_client())
    data = {"code": code, "csrf_token": browser.csrf()["X-CSRFToken"]}
    return browser, lambda: browser.client.post("/sign-in/recovery", data=data)


@pytest.mark.db_engine
def test_two_browsers_racing_with_one_recovery_code_open_one_session(app, demo, db):
    jeanne = persona(db, "jeanne")
    with app.app_context():
        codes = recovery.new_codes(db, jeanne)
    for code in codes[:ROUNDS]:
        (first, attempt), (second, other_attempt) = (_ready_recovery(app, code),
                                                     _ready_recovery(app, code))
        responses = _race(attempt, other_attempt)
        assert sorted(r.status_code for r in responses) == [302, 400]
        signed_in = [b.signed_in_account_id() for b in (first, second)]
        assert sorted(signed_in, key=bool) == [None, jeanne.id]
    with app.app_context():
        assert recovery.remaining(db, jeanne) == len(codes) - ROUNDS
