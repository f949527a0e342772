"""End to end: Jeanne reports her symptoms in the app; the worker tells her team's devices
through our own push service. Dr Lefèvre's phone gets a message with no health data in it;
Marc, the pharmacist Jeanne opposed on symptoms, gets nothing."""

from __future__ import annotations

import json

from app.models import ConsentKind
from app.push.worker import Relay
from app.types import utcnow

from .conftest import persona
from .push_actions import subscribe
from .push_service import PushService
from .symptom_actions import decide, report_form


def test_jeannes_urgent_report_reaches_lefevre_and_not_marc(app, signed_in, db, jeanne_id):
    service = PushService(app.config["VAPID_PUBLIC_KEY"]).start()
    try:
        decide(db, "jeanne", "marc", ConsentKind.OPPOSE, "symptoms")
        with app.app_context():
            lefevre, _ = subscribe(db, service, "lefevre")
            marc, _ = subscribe(db, service, "marc")
        persona(db, "lefevre").locale = "en"
        db.commit()
        form = report_form(db, breathlessness="9", note="J'ai du mal à respirer la nuit")

        signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new", **form)
        Relay.for_app(app).drain(utcnow())

        [received] = [r for r in service.received if r.token == lefevre.token]
        assert received.headers["urgency"] == "high"
        assert received.payload["notification"]["title"] == "New update in Jeanne M.'s carnet"
        assert received.payload["notification"]["data"]["url"] == f"/carnet/{jeanne_id}/symptoms"
        # The link says which page to open (behind sign-in); the rest says nothing more.
        shown = received.payload["notification"]
        words = json.dumps({k: v for k, v in shown.items() if k not in ("navigate", "data")},
                           ensure_ascii=False).lower()
        for health in ("respirer", "breath", "weight", "72.5", "heart", "urgent", "symptom"):
            assert health not in words
        assert service.payloads(marc) == []
        assert service.problems == []
    finally:
        service.stop()
