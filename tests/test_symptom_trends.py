"""Trends: each numeric answer over 30 or 90 days, as a chart drawn by the server with the
alert thresholds on it, and the same values in a table; for 0, 1 or 1,000 answers, with the
same number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import AuditEvent, ConsentKind, SymptomReport
from app.symptoms import trends
from app.symptoms.reports import content_hash, new_client_id
from app.types import utcnow

from .conftest import persona
from .symptom_actions import decide, forget_heart_reports, questionnaire
from .test_symptom_reading import _count_queries


def _diary(db, patient_id: int, count: int, *, days: float = 29, after: float = 0,
           **fixed) -> None:
    """``count`` heart-failure reports by Jeanne, spread over the last ``days`` days (the
    older part of them only, from ``after`` days ago)."""
    form = questionnaire(db, "heart_failure", "fr")
    jeanne = persona(db, "jeanne")
    now = utcnow()
    rows = []
    for n in range(count):
        answers = {"weight": round(70 + (n % 30) / 10, 1), "breathlessness": n % 11,
                   "ankles": False, "night_cough": False, "tiredness": 3, **fixed}
        rows.append(SymptomReport(
            patient_id=patient_id, questionnaire_id=form.id, client_id=new_client_id(),
            content_hash=content_hash(patient_id, form.id, answers, ""), answers=answers,
            urgent=False, fired_rules=[], reported_by_account_id=jeanne.id,
            reported_at=now - timedelta(days=after + (days - after) * (n + 1) / (count + 1))))
    db.add_all(rows)
    db.commit()


def _chart(page: str, key: str) -> str:
    """The chart and table of one item (``heart_failure-weight``) on a trends page."""
    match = re.search(rf'<section class="trend stack" id="trend-{key}".*?</section>', page, re.S)
    assert match, key
    return match.group(0)


def _rows(chart: str) -> int:
    return len(re.findall(r'<tr><th scope="row">', chart))


@pytest.mark.parametrize("count", [0, 1, 1000])
def test_the_chart_and_its_table_render_for_0_1_and_1000_answers(
    signed_in, db, jeanne_id, count
):
    forget_heart_reports(db, jeanne_id)
    _diary(db, jeanne_id, count)
    response = signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms/trends")
    assert response.status_code == 200
    weight = _chart(response.get_data(as_text=True), "heart_failure-weight")
    assert '<svg class="chart" dir="ltr" viewBox="0 0 320 168" role="img"' in weight
    assert "<caption " in weight and '<th scope="col">Date</th>' in weight
    assert _rows(weight) == min(count, trends.TABLE_ROWS)  # the newest; the chart has them all
    assert ("<polyline" in weight) == (count > 1)
    # A dot per answer while they can be told apart; beyond that, the line alone.
    assert weight.count("<circle") == (count if count <= trends.DOTS_MAX else 0)
    assert ("No answer in these days" in weight) == (count == 0)
    if count == 1000:
        assert len(re.search(r'points="([^"]*)"', weight).group(1).split()) == 1000


def test_the_threshold_line_is_drawn_at_its_value(signed_in, db, jeanne_id):
    """Breathlessness ≥ 7 on a 0–10 scale: the dashed line goes through a 7's dot, above a 6's
    and below an 8's (SVG's y grows downwards)."""
    forget_heart_reports(db, jeanne_id)
    for value in (6, 7, 8):
        _diary(db, jeanne_id, 1, days=value, breathlessness=value)
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms/trends").get_data(as_text=True)
    chart = _chart(page, "heart_failure-breathlessness")
    line = re.search(r'<line class="chart__threshold" data-value="7" [^>]*y1="([\d.]+)"', chart)
    dots = {float(y) for y in re.findall(r'<circle class="chart__dot" cx="[\d.]+" cy="([\d.]+)"',
                                         chart)}
    threshold = float(line.group(1))
    top, bottom = trends.TOP, trends.HEIGHT - trends.BOTTOM
    assert threshold == pytest.approx(bottom - 0.7 * (bottom - top))
    assert threshold in dots and min(dots) < threshold < max(dots)
    assert "alert ≥ 7" in chart and "Alert: Severe breathlessness (7 or more out of 10)" in chart
    assert chart.count('<span class="badge badge--urgent">Alert</span>') == 2  # the 7 and the 8
    # The weight has no threshold, only a trend rule, which is said in words.
    weight = _chart(page, "heart_failure-weight")
    assert "chart__threshold" not in weight
    assert "Alert: Weight gain of 2 kg or more in 3 days" in weight


def test_a_number_chart_fits_its_values_and_its_thresholds(app, db, jeanne_id):
    """Glycaemia: alert below 0.70 and above 3 g/L; both lines stay inside the chart."""
    form = questionnaire(db, "diabetes_t2", "en")
    now = utcnow()
    with app.test_request_context():
        glycaemia = trends.charts_of(form, now - timedelta(days=30), now)[0]
        glycaemia.points = [trends.Point(now - timedelta(days=2), 1.25)]
        glycaemia.scale()
        assert glycaemia.item["key"] == "glycaemia"
        assert [t.value for t in glycaemia.thresholds] == [0.7, 3]
        assert all(glycaemia.top <= t.y <= glycaemia.bottom for t in glycaemia.thresholds)
        low, high = glycaemia.thresholds
        assert high.y < glycaemia.y(1.25) < low.y
        assert glycaemia.is_alert(0.69) and not glycaemia.is_alert(0.7)
        assert trends.chart_number(glycaemia.item, 1.254) == "1,25"  # French by default


@pytest.mark.db_engine
def test_the_period_is_30_or_90_days(signed_in, db, jeanne_id):
    forget_heart_reports(db, jeanne_id)
    _diary(db, jeanne_id, 1, days=60)
    jeanne = signed_in("jeanne")
    for query, rows in (("", 0), ("?days=30", 0), ("?days=90", 1), ("?days=1000", 0),
                        ("?days=abc", 0), ("?days=-90", 0)):
        response = jeanne.get(f"/carnet/{jeanne_id}/symptoms/trends{query}")
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        assert _rows(_chart(page, "heart_failure-weight")) == rows, query
    page = jeanne.get(f"/carnet/{jeanne_id}/symptoms/trends?days=90").get_data(as_text=True)
    assert f'href="/carnet/{jeanne_id}/symptoms/trends?days=90" aria-current="page"' in page


def test_the_trends_show_every_numeric_item_of_jeannes_questionnaires(signed_in, jeanne_id):
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms/trends").get_data(as_text=True)
    shown = re.findall(r'<section class="trend stack" id="trend-([\w-]+)"', page)
    assert shown == ["heart_failure-weight", "heart_failure-breathlessness",
                     "heart_failure-tiredness", "diabetes_t2-glycaemia",
                     "diabetes_t2-hypoglycaemia"]
    assert _rows(_chart(page, "heart_failure-weight")) > 0  # the demo's diary


def test_the_reports_lead_to_the_trends(signed_in, jeanne_id):
    page = signed_in("lefevre").get(f"/carnet/{jeanne_id}/symptoms").get_data(as_text=True)
    assert f'href="/carnet/{jeanne_id}/symptoms/trends">See the trends</a>' in page


def test_a_professional_reading_the_trends_is_audited_and_marc_opposed_gets_404(
    signed_in, db, jeanne_id
):
    assert signed_in("lefevre").get(f"/carnet/{jeanne_id}/symptoms/trends").status_code == 200
    events = db.exec(select(AuditEvent).where(
        AuditEvent.actor_account_id == persona(db, "lefevre").id,
        AuditEvent.section == "symptoms")).all()
    assert [(e.action, e.allowed) for e in events] == [("read", True)]
    decide(db, "jeanne", "marc", ConsentKind.OPPOSE, "symptoms")
    assert signed_in("marc").get(f"/carnet/{jeanne_id}/symptoms/trends").status_code == 404
    assert signed_in("karim").get(f"/carnet/{jeanne_id}/symptoms/trends").status_code == 404


@pytest.mark.db_engine
@pytest.mark.parametrize("name", ["jeanne", "lefevre"])
def test_the_trends_make_as_many_queries_with_1000_reports_as_with_10(
    signed_in, engine, db, jeanne_id, name
):
    forget_heart_reports(db, jeanne_id)
    _diary(db, jeanne_id, 10)
    client = signed_in(name).actions.client
    paths = [f"/carnet/{jeanne_id}/symptoms/trends", f"/carnet/{jeanne_id}/symptoms/trends?days=90"]
    for path in paths:
        _count_queries(engine, client, path)
    with_10 = [_count_queries(engine, client, path) for path in paths]
    _diary(db, jeanne_id, 990, days=80)
    page = client.get(paths[1]).get_data(as_text=True)
    assert _rows(_chart(page, "heart_failure-weight")) == trends.TABLE_ROWS
    assert [_count_queries(engine, client, path) for path in paths] == with_10
