"""Hand-over by QR code: SMART Health Links (HL7 SMART Health Cards and Links IG).

The patient chooses parts of her carnet, a lifetime (an hour to 30 days), an optional
passcode and a label. Carnet then builds the FHIR Bundle of those parts as they are now
and encrypts it (JWE compact, ``dir`` + ``A256GCM``) with a new random key. The key goes
into the link and nowhere else:

    <origin>/shl/view#shlink:/<base64url of {"url", "key", "exp", "flag", "label", "v"}>

The part after ``#`` never reaches a server. Carnet keeps the ciphertext, the hash of the
manifest's token and the passcode's argon2id hash, and so cannot read what it hands over.
Whoever holds the link (the emergency doctor's phone camera, a hospital's SHL reader)
asks the manifest ``url`` with a name and the passcode, receives the ciphertext, and
decrypts it with the link's key — in the viewer page (static/shl-viewer.js) or in any
SMART Health Links reader.

Every request for the content, given or refused, is a :class:`HealthLinkUse` and an
EXPORT line (``health_link``) in "Who saw my carnet". The patient ends a link in one tap;
the sixth wrong passcode ends it too. An ended link's ciphertext is erased.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from jwcrypto import jwe, jwk
from sqlmodel import Session, col, func, select

from .. import policy
from ..auth.recovery import HASHER  # the passcode: salted and slow, as a recovery code
from ..carnet.access import Line, record
from ..models import AuditAction, HealthLink, HealthLinkUse, Patient
from ..tokens import b64url, digest
from .bundle import build

# What a patient may choose, and what the link says about itself.
LIFETIMES = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7),
             "30d": timedelta(days=30)}
LABEL_MAX = 80  # the specification's limit
RECIPIENT_MAX = 80
PASSCODE_MAX = 40
# Five wrong passcodes are forgiven (a tired night, a small keyboard); the sixth ends the
# link, whoever types it.
WRONG_PASSCODES_FORGIVEN = 5
FILE_TYPE = "application/fhir+json"
HANDED_OVER = "health_link"  # the object_type of its lines in "Who saw my carnet"


def make(db: Session, patient: Patient, sections: list[str], lifetime: str, passcode: str,
         label: str, now: datetime) -> tuple[HealthLink, str]:
    """A new link (flushed) to a copy of ``sections`` of the carnet as it is at ``now``,
    and the link itself — the only place its key will ever be."""
    chosen = set(sections)
    bundle = build(db, patient, lambda section: section in chosen, owner=False,
                   namespace=current_app.config["CARNET_ORIGIN"], now=now)
    key = secrets.token_bytes(32)
    sealed = jwe.JWE(json.dumps(bundle, ensure_ascii=False).encode(), protected=json.dumps(
        {"alg": "dir", "enc": "A256GCM", "cty": FILE_TYPE}))
    sealed.add_recipient(jwk.JWK(kty="oct", k=b64url(key)))
    token = secrets.token_urlsafe(32)  # 256 bits, as the specification asks of the url
    link = HealthLink(patient_id=patient.id, token_hash=digest(token), label=label,
                      sections=[section for section in sections if section in chosen],
                      passcode_hash=HASHER.hash(passcode) if passcode else "",
                      content=sealed.serialize(compact=True), created_at=now,
                      expires_at=now + LIFETIMES[lifetime])
    db.add(link)
    db.flush()
    return link, viewer_url(link, token, key)


def viewer_url(link: HealthLink, token: str, key: bytes) -> str:
    """The link as the QR code carries it: Carnet's viewer, then the SMART Health Link."""
    origin = current_app.config["CARNET_ORIGIN"].rstrip("/")
    payload = {"url": origin + url_for("fhir.manifest", token=token), "key": b64url(key),
               "exp": int(link.expires_at.timestamp()), "v": 1}
    if link.passcode_hash:
        payload["flag"] = "P"
    if link.label:
        payload["label"] = link.label
    shlink = "shlink:/" + b64url(json.dumps(payload, separators=(",", ":")).encode())
    return origin + url_for("fhir.viewer") + "#" + shlink


def find(db: Session, token: str) -> HealthLink | None:
    """The link of a manifest ``token``, held until this request commits (the count of
    wrong passcodes is read and written by one request at a time)."""
    return db.exec(select(HealthLink).where(HealthLink.token_hash == digest(token))
                   .with_for_update()).first()


@dataclass(frozen=True)
class Answer:
    """What a request for a link's content gets: the ciphertext, or why not."""

    content: str = ""
    wrong_passcode: bool = False
    attempts_left: int = 0


def retrieve(db: Session, link: HealthLink, recipient: str, passcode: str,
             now: datetime) -> Answer:
    """Hand over the link's content to ``recipient`` if the policy and the passcode let
    it; every request is written in "Who saw my carnet". The caller commits."""
    use = HealthLinkUse(link_id=link.id, recipient=recipient, created_at=now)
    answer = Answer()
    if policy.may_open_health_link(link, now):
        if not link.passcode_hash or _passcode_right(link, passcode):
            answer = Answer(content=link.content)
        else:
            link.wrong_passcodes += 1
            left = WRONG_PASSCODES_FORGIVEN + 1 - link.wrong_passcodes
            if left <= 0:
                end(link, now)
            answer = Answer(wrong_passcode=True, attempts_left=max(left, 0))
        db.add(link)
    use.given = bool(answer.content)
    db.add(use)
    db.flush()
    sections = link.sections if use.given else ["carnet"]
    for section in sections:
        record(db, None, link.patient_id, Line(AuditAction.EXPORT, section, HANDED_OVER,
                                               use.id), allowed=use.given)
    return answer


def _passcode_right(link: HealthLink, passcode: str) -> bool:
    try:
        return HASHER.verify(link.passcode_hash, passcode)
    except (VerificationError, InvalidHashError):
        return False


def end(link: HealthLink, now: datetime) -> None:
    """End the link now, and forget its ciphertext: nobody may have it any more."""
    if link.ended_at is None:
        link.ended_at = now
    link.content = ""


@dataclass(frozen=True)
class Made:
    """A link on the patient's hand-over page: how many times its copy was given."""

    link: HealthLink
    given: int

    def open(self, now: datetime) -> bool:
        return policy.may_open_health_link(self.link, now)


def made(db: Session, patient: Patient, limit: int = 20) -> list[Made]:
    """The patient's links, newest first, each with its number of copies given, in one
    query."""
    given = (select(func.count(col(HealthLinkUse.id)))
             .where(HealthLinkUse.link_id == HealthLink.id, col(HealthLinkUse.given))
             .correlate(HealthLink).scalar_subquery())
    rows = db.exec(select(HealthLink, given).where(HealthLink.patient_id == patient.id)
                   .order_by(col(HealthLink.created_at).desc(), col(HealthLink.id).desc())
                   .limit(limit)).all()
    return [Made(link, count) for link, count in rows]


def own_link(db: Session, patient: Patient, link_id: int) -> HealthLink | None:
    link = db.get(HealthLink, link_id)
    return link if link is not None and link.patient_id == patient.id else None


def recipients(db: Session, use_ids: set[int]) -> dict[int, str]:
    """The name each of these uses was asked with ("Who saw my carnet" says it), one
    query, none without uses."""
    if not use_ids:
        return {}
    return dict(db.exec(select(HealthLinkUse.id, HealthLinkUse.recipient).where(
        col(HealthLinkUse.id).in_(sorted(use_ids)))).all())

