"""Long lists paged from a key ("Who saw my carnet", the reports, the inbox): every row once,
forwards and back, and a link that is not a key answers the first page, never an error."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.models import AuditAction, AuditEvent, Patient, Role, SymptomReport
from app.types import utcnow

from .conftest import persona
from .test_query_counts import _reports

# Marked db_engine: keys compare rows of times and ids in SQL, and a search uses LIKE, each
# engine in its own way.
# Rows each list shows, and how a row is told on it.
SHOWN = re.compile(r'<li id="report-(\d+)"|<time datetime="([^"]+)"')
LINK = re.compile(r'href="\?(after|before)=([0-9.]+)" rel="(next|prev)"')


def _lines(db, patient_id: int, count: int) -> list[int]:
    """``count`` READ lines of Dr Lefèvre, in threes at the same instant (the id decides)."""
    lefevre, now = persona(db, "lefevre"), utcnow()
    ids = db.execute(sa.insert(AuditEvent).returning(AuditEvent.id), [
        {"patient_id": patient_id, "actor_account_id": lefevre.id,
         "actor_role": Role.PROFESSIONAL, "section": "plan", "action": AuditAction.READ,
         "allowed": True, "object_type": "", "object_id": n,
         "created_at": now - timedelta(seconds=n // 3)} for n in range(count)]).scalars().all()
    db.commit()
    return ids


def _links(page: str) -> dict[str, str]:
    """The page's links to the pages around it: {"next": "?after=…", "prev": "?before=…"}."""
    return {rel: f"?{name}={key}" for name, key, rel in LINK.findall(page)}


def _walk(client, path: str, rel: str, start: str = "") -> list[str]:
    """The pages of a list from ``start``, following its ``rel`` links to the end."""
    pages, link = [], start
    while True:
        page = client.get(path + link).get_data(as_text=True)
        assert len(pages) < 50
        pages.append(page)
        link = _links(page).get(rel)
        if link is None:
            return pages


def _reports_shown(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="report-(\d+)"', page)]


@pytest.mark.db_engine
def test_jeanne_reads_who_saw_her_carnet_page_by_page_and_back(signed_in, db, jeanne_id):
    _lines(db, jeanne_id, 75)
    jeanne = signed_in("jeanne")
    path = f"/carnet/{jeanne_id}/who-saw"
    forwards = _walk(jeanne, path, "next")
    times = [t for page in forwards for t in re.findall(r'<time datetime="([^"]+)"', page)]
    total = db.exec(select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.patient_id == jeanne_id)).one()
    assert len(forwards) == -(-total // 30) and len(times) == total
    assert times == sorted(times, reverse=True)
    # Back from the last page, by the "Newer" links: the same pages, in reverse.
    last = _links(forwards[-2])["next"]
    backwards = _walk(jeanne, path, "prev", last)
    assert [_bodies(p) for p in reversed(backwards)] == [_bodies(p) for p in forwards]
    assert "rel=\"prev\"" not in forwards[0]


def _bodies(page: str) -> str:
    """The list of a page, without its links (which differ by direction)."""
    return page.split('<ol class="timeline">')[1].split("</ol>")[0]


@pytest.mark.db_engine
def test_dr_lefevre_reads_every_report_once_page_by_page(signed_in, db, jeanne_id):
    _reports(db, db.get(Patient, jeanne_id), 45, acknowledged=True)
    lefevre = signed_in("lefevre")
    path = f"/carnet/{jeanne_id}/symptoms"
    shown = [i for page in _walk(lefevre, path, "next") for i in _reports_shown(page)]
    stored = db.exec(select(SymptomReport.id).where(SymptomReport.patient_id == jeanne_id)
                     .order_by(SymptomReport.reported_at.desc(), SymptomReport.id.desc())).all()
    assert shown == list(stored)


@pytest.mark.db_engine
def test_a_report_marked_as_seen_on_a_later_page_of_the_inbox_comes_back_to_it(
    signed_in, db, jeanne_id
):
    _reports(db, db.get(Patient, jeanne_id), 50)
    amina = signed_in("amina")
    second = _links(amina.get("/inbox").get_data(as_text=True))["next"]
    page = amina.get(f"/inbox{second}").get_data(as_text=True)
    report_id = _reports_shown(page)[0]
    action = f"/carnet/{jeanne_id}/symptoms/{report_id}/acknowledge{second}"
    assert f'action="{action}"' in page
    response = amina.post(action, back="inbox")
    assert response.status_code == 303 and response.location == f"/inbox{second}"
    after = _reports_shown(amina.get(response.location).get_data(as_text=True))
    assert report_id not in after and after[0] == _reports_shown(page)[1]


GARBAGE = ["", "x", "1", "1.2.3.4.5", "-1.5", "1.-5", "²³.1", "1e5.3", "1.5x", "..",
           "99999999999999999999999999.1", "1.99999999999", "1.0.1", " 1.1", "%C2%B2.1",
           "1764490209123456.1.1"]


def test_a_link_that_is_not_a_key_shows_the_first_page(signed_in, jeanne_id):
    jeanne, lefevre = signed_in("jeanne"), signed_in("lefevre")
    for browser, path in ((jeanne, f"/carnet/{jeanne_id}/who-saw"),
                          (lefevre, f"/carnet/{jeanne_id}/symptoms"), (lefevre, "/inbox")):
        first = _bodies_of(browser.get(path).get_data(as_text=True))
        for name in ("after", "before"):
            for key in GARBAGE:
                response = browser.get(f"{path}?{name}={key}")
                assert response.status_code == 200, (path, name, key)
                assert _bodies_of(response.get_data(as_text=True)) == first, (path, name, key)


def _bodies_of(page: str) -> list:
    return SHOWN.findall(page)


@pytest.mark.db_engine
def test_a_key_past_the_end_shows_the_first_page(signed_in, jeanne_id):
    jeanne = signed_in("jeanne")
    path = f"/carnet/{jeanne_id}/who-saw"
    first = _bodies_of(jeanne.get(path).get_data(as_text=True))
    assert _bodies_of(jeanne.get(f"{path}?after=0.0").get_data(as_text=True)) == first
    assert _bodies_of(jeanne.get(f"{path}?before=9999999999999999.1").get_data(
        as_text=True)) == first


@pytest.mark.db_engine
def test_dr_lefevre_finds_a_patient_by_name(signed_in, db):
    lefevre = signed_in("lefevre")
    page = lefevre.get("/patients?q=belk").get_data(as_text=True)
    assert "Karim Belkacem" in page and "Jeanne Martin" not in page
    assert 'value="belk"' in page
    page = lefevre.get("/patients?q=jeanne+MART").get_data(as_text=True)
    assert "Jeanne Martin" in page and "Karim Belkacem" not in page
    # A wildcard is a letter like any other; a patient of someone else is not found.
    for search in ("%25", "_", "Louise"):
        page = lefevre.get(f"/patients?q={search}").get_data(as_text=True)
        assert "No patient of yours has this name." in page, search
