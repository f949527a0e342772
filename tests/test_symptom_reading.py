"""Reading the reports: newest first, paginated, urgent ones with their rule, who reported and
who has seen them; a team professional acknowledges with one tap; no N+1 query."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.models import AuditEvent, ConsentKind, SymptomReport
from app.symptoms.reports import content_hash, new_client_id
from app.types import utcnow

from .carnet_actions import stored
from .conftest import persona
from .symptom_actions import decide, questionnaire, report_form


def _titles(page: str) -> list[str]:
    return re.findall(r'<li id="report-(\d+)"', page)


def test_jeanne_reads_her_reports_newest_first_with_the_urgent_one_marked(
    signed_in, db, jeanne_id
):
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms").get_data(as_text=True)
    ids = [int(i) for i in _titles(page)]
    times = [db.get(SymptomReport, i).reported_at for i in ids]
    assert times == sorted(times, reverse=True) and len(ids) == 12
    first = page.split('<li id="report-')[1]
    # This morning's report: weight up 2.1 kg in 3 days, seen by the IPA 45 minutes later.
    assert '<span class="badge badge--urgent">Urgent</span>' in first
    # The rule in the reader's language, although she answered the French questionnaire.
    assert "<strong>Alert:</strong> Weight gain of 2 kg or more in 3 days" in first
    assert re.search(r"Seen by Sophie Girard (on [^<]+ )?at \d{1,2}:\d{2}", first)
    assert "by Jeanne Martin (patient)" in first
    assert "73.2\u00a0kg" in first and "Je suis plus essoufflée dans l&#39;escalier." in first
    assert "Mark as seen" not in page  # she does not acknowledge her own reports
    assert "Not seen yet by the care team." in page


def test_a_report_made_by_claire_says_so(signed_in, db, jeanne_id):
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")
    signed_in("claire").post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db))
    page = signed_in("lefevre").get(f"/carnet/{jeanne_id}/symptoms").get_data(as_text=True)
    first = page.split('<li id="report-')[1]
    assert "by Claire Martin (caregiver)" in first


def test_amina_acknowledges_a_report_with_one_tap_and_jeanne_sees_it(signed_in, db, jeanne_id):
    signed_in("jeanne").post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db))
    report = db.exec(select(SymptomReport).order_by(SymptomReport.id.desc())).first()
    amina = signed_in("amina")
    page = amina.get(f"/carnet/{jeanne_id}/symptoms").get_data(as_text=True)
    action = f"/carnet/{jeanne_id}/symptoms/{report.id}/acknowledge"
    assert f'action="{action}"' in page
    response = amina.post(action)
    assert response.status_code == 303
    assert response.location == f"/carnet/{jeanne_id}/symptoms#report-{report.id}"
    db.refresh(report)
    assert report.acknowledged_by_id == persona(db, "amina").id
    seen_at = report.acknowledged_at

    signed_in("lefevre").post(action)  # a second tap keeps the first acknowledgement
    db.refresh(report)
    assert (report.acknowledged_by_id, report.acknowledged_at) == (
        persona(db, "amina").id, seen_at)
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms").get_data(as_text=True)
    assert "Seen by Amina Benali at " in page.split('<li id="report-')[1]


@pytest.mark.parametrize("name", ["jeanne", "claire", "lucas", "karim", "francoise"])
def test_only_the_care_team_acknowledges(signed_in, db, jeanne_id, name):
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms", "symptoms:write")
    report = db.exec(select(SymptomReport).where(
        SymptomReport.patient_id == jeanne_id,
        SymptomReport.acknowledged_at.is_(None))).first()
    before = stored(db, ("symptom_report",))
    response = signed_in(name).post(f"/carnet/{jeanne_id}/symptoms/{report.id}/acknowledge")
    assert response.status_code == 404
    assert stored(db, ("symptom_report",)) == before


def test_a_report_of_another_carnet_cannot_be_acknowledged_through_jeannes(
    signed_in, db, jeanne_id
):
    karims = db.exec(select(SymptomReport).where(SymptomReport.patient_id != jeanne_id,
                                                 SymptomReport.acknowledged_at.is_(None))).first()
    response = signed_in("lefevre").post(f"/carnet/{jeanne_id}/symptoms/{karims.id}/acknowledge")
    assert response.status_code == 404
    db.refresh(karims)
    assert karims.acknowledged_at is None


def test_marc_opposed_on_symptoms_gets_404_on_every_symptom_page(signed_in, db, jeanne_id):
    marc = signed_in("marc")
    report = db.exec(select(SymptomReport).where(SymptomReport.patient_id == jeanne_id)).first()
    assert marc.get(f"/carnet/{jeanne_id}/symptoms").status_code == 200
    decide(db, "jeanne", "marc", ConsentKind.OPPOSE, "symptoms")
    for path in ("symptoms", "symptoms?page=2", "symptoms/new"):
        assert marc.get(f"/carnet/{jeanne_id}/{path}").status_code == 404, path
    assert marc.post(f"/carnet/{jeanne_id}/symptoms/{report.id}/acknowledge").status_code == 404
    assert marc.post(f"/carnet/{jeanne_id}/symptoms/new", **report_form(db)).status_code == 404
    home = marc.get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
    assert f'href="/carnet/{jeanne_id}/symptoms"' not in home


def test_a_read_by_a_professional_is_audited_and_jeannes_own_is_not(signed_in, db, jeanne_id):
    def audited(name):
        db.expire_all()
        return db.exec(select(AuditEvent).where(
            AuditEvent.actor_account_id == persona(db, name).id,
            AuditEvent.section == "symptoms")).all()

    signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms")
    signed_in("lefevre").get(f"/carnet/{jeanne_id}/symptoms")
    assert audited("jeanne") == []
    assert [(e.action, e.allowed) for e in audited("lefevre")] == [("read", True)]


def test_the_home_page_leads_to_the_report_form_and_the_reports(signed_in, db, jeanne_id):
    home = signed_in("jeanne").get("/").get_data(as_text=True)
    assert f'href="/carnet/{jeanne_id}/symptoms/new">How do I feel today?</a>' in home
    assert f'href="/carnet/{jeanne_id}/symptoms"' in home
    claire = signed_in("claire")
    home = claire.get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
    assert "/symptoms" not in home
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")
    home = claire.get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
    assert f'href="/carnet/{jeanne_id}/symptoms/new">How does Jeanne Martin feel today?' in home
    assert f'href="/carnet/{jeanne_id}/symptoms"' not in home
    lefevre = signed_in("lefevre").get(f"/carnet/{jeanne_id}/").get_data(as_text=True)
    assert "feel today" not in lefevre and f'href="/carnet/{jeanne_id}/symptoms"' in lefevre


def _seed(db, patient_id: int, count: int) -> None:
    """``count`` more reports, a third by Claire, every other one urgent, some acknowledged."""
    form = questionnaire(db, "heart_failure", "fr")
    jeanne, claire, amina = (persona(db, n) for n in ("jeanne", "claire", "amina"))
    now = utcnow()
    rows = []
    for n in range(count):
        answers = {"weight": 70 + n % 5, "breathlessness": n % 11, "ankles": n % 2 == 0,
                   "night_cough": False, "tiredness": 3}
        rows.append(SymptomReport(
            patient_id=patient_id, questionnaire_id=form.id, client_id=new_client_id(),
            content_hash=content_hash(patient_id, form.id, answers, ""), answers=answers,
            urgent=n % 2 == 0, fired_rules=[{"key": "breathless_high", "kind": "threshold",
                                             "item": "breathlessness", "label": "x"}]
            if n % 2 == 0 else [],
            reported_by_account_id=(claire if n % 3 == 0 else jeanne).id,
            reported_at=now - timedelta(days=60, minutes=n),
            acknowledged_by_id=amina.id if n % 4 == 0 else None,
            acknowledged_at=now - timedelta(days=59) if n % 4 == 0 else None))
    db.add_all(rows)
    db.commit()


def next_page(client, path: str) -> str:
    """The link to the page after the one at ``path`` (lists paged from a key)."""
    found = re.search(r'href="\?after=([0-9.]+)" rel="next"', client.get(path).get_data(
        as_text=True))
    assert found, f"no page after {path}"
    return f"{path.split('?')[0]}?after={found.group(1)}"


def _count_queries(engine, client, path: str) -> int:
    statements: list[str] = []

    def listener(connection, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, path
    return len(statements)


@pytest.mark.db_engine
@pytest.mark.parametrize("name", ["jeanne", "lefevre"])
def test_the_reports_make_as_many_queries_with_1000_reports_as_with_10(
    signed_in, engine, db, jeanne_id, name
):
    decide(db, "jeanne", "claire", ConsentKind.GRANT, "symptoms:write")
    _seed(db, jeanne_id, 10)
    client = signed_in(name)
    first = f"/carnet/{jeanne_id}/symptoms"
    paths = [first, next_page(client.actions.client, first)]
    for path in paths:
        _count_queries(engine, client.actions.client, path)
    with_10 = [_count_queries(engine, client.actions.client, path) for path in paths]
    _seed(db, jeanne_id, 990)
    paths = [first, next_page(client.actions.client, first)]
    page = client.get(paths[1]).get_data(as_text=True)
    assert 'rel="prev">Newer</a>' in page and "by Claire Martin (caregiver)" in page
    assert [_count_queries(engine, client.actions.client, path) for path in paths] == with_10
