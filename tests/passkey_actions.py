"""Drive the passkey ceremonies over HTTP with the software authenticator, as a browser would."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, col, select

from app.auth.invitations import create_invitation
from app.models import Account, AccountSession, InvitationKind

from .conftest import CSRF_META
from .softauthn import SoftAuthenticator

ORIGIN = "http://localhost:5000"


class PasskeyActions:
    """A browser with a phone: ``client`` is the browser, ``phone`` its authenticator."""

    def __init__(self, app, client, phone: SoftAuthenticator | None = None):
        self.app = app
        self.client = client
        self.phone = phone or SoftAuthenticator()

    def csrf(self, path: str = "/sign-in") -> dict[str, str]:
        page = self.client.get(path).get_data(as_text=True)
        return {"X-CSRFToken": CSRF_META.search(page).group(1), "Accept": "application/json",
                "Accept-Language": "en"}

    def post(self, path: str, body=None, csrf_from: str = "/sign-in"):
        return self.client.post(path, json=body if body is not None else {},
                                headers=self.csrf(csrf_from))

    def invite(self, account: Account, kind: InvitationKind = InvitationKind.RECOVERY) -> str:
        """A fresh invitation token for ``account`` (made as a professional would)."""
        with self.app.app_context(), Session(self.app.extensions["carnet.engine"]) as db:
            _, token = create_invitation(db, db.get(Account, account.id), kind)
            db.commit()
        return token

    def register(self, token: str, **forge):
        """Open the invitation, create a passkey on the phone, send it; the response."""
        options = self.post(f"/invite/{token}/options").get_json()
        credential = self.phone.create(options, origin=forge.pop("origin", ORIGIN), **forge)
        return self.post(f"/invite/{token}/register", {"credential": credential, "name": "Phone"})

    def sign_in_options(self) -> dict:
        return self.post("/sign-in/options").get_json()

    def sign_in(self, options: dict | None = None, **forge):
        """Sign in with the phone's passkey; the verify response."""
        options = options or self.sign_in_options()
        credential = self.phone.get(options, origin=forge.pop("origin", ORIGIN), **forge)
        return self.post("/sign-in/verify", {"credential": credential})

    def signed_in_account_id(self) -> int | None:
        """Whose session this browser's cookie carries, if the server still knows it."""
        with self.client.session_transaction() as session:
            token = session.get("token")
        if token is None:
            return None
        with Session(self.app.extensions["carnet.engine"]) as db:
            row = db.exec(select(AccountSession).where(
                AccountSession.token_hash == hashlib.sha256(token.encode()).hexdigest(),
                col(AccountSession.ended_at).is_(None))).first()
            return row.account_id if row is not None else None
