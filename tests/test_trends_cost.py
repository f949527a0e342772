"""What the trends page costs does not grow with the patient's history (issue 16, point 7):
as many dates written by Babel for 1,000 reports as for a few (its queries are counted in
test_symptom_trends), and a table of the newest answers only, which leads to all the
reports."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import babel.dates
import pytest
from sqlmodel import col, select

from app.i18n import date_text, moment_text
from app.models import SymptomReport
from app.symptoms import trends

from .symptom_actions import forget_heart_reports, questionnaire
from .test_symptom_trends import _chart, _diary, _rows


@pytest.fixture
def babel_calls(monkeypatch) -> Counter:
    """The calls to Babel's date and time formatting, by function: Flask-Babel and the
    carnet's filters (app/i18n.py) all end there."""
    calls: Counter = Counter()

    def counted(name: str):
        formatter = getattr(babel.dates, name)

        def count_and_format(*args, **kwargs):
            calls[name] += 1
            return formatter(*args, **kwargs)

        return count_and_format

    for name in ("format_date", "format_time", "format_datetime"):
        monkeypatch.setattr(babel.dates, name, counted(name))
    return calls


PATHS = ["/carnet/{id}/symptoms/trends", "/carnet/{id}/symptoms/trends?days=90"]


@pytest.mark.parametrize(("count", "more"), [(trends.TABLE_ROWS, False),
                                             (trends.TABLE_ROWS + 1, True), (1000, True)])
def test_the_table_shows_the_newest_answers_and_leads_to_all_the_reports(
    signed_in, db, jeanne_id, count, more
):
    forget_heart_reports(db, jeanne_id)
    _diary(db, jeanne_id, count)
    page = signed_in("jeanne").get(f"/carnet/{jeanne_id}/symptoms/trends").get_data(as_text=True)
    weight = _chart(page, "heart_failure-weight")
    assert _rows(weight) == trends.TABLE_ROWS
    shown = [datetime.fromisoformat(at) for at in re.findall(r'<time datetime="([^"]+)"', weight)]
    assert shown == db.exec(select(SymptomReport.reported_at).where(
        SymptomReport.patient_id == jeanne_id,
        SymptomReport.questionnaire_id == questionnaire(db, "heart_failure", "fr").id,
    ).order_by(col(SymptomReport.reported_at).desc()).limit(trends.TABLE_ROWS)).all()
    # The chart still draws every answer of the period.
    assert len(re.search(r'points="([^"]*)"', weight).group(1).split()) == count
    sentence = f"Only the latest {trends.TABLE_ROWS} answers are in this table."
    assert (sentence in weight) == more
    assert (f'<a href="/carnet/{jeanne_id}/symptoms">All the reports</a></p>' in weight) == more
    assert ('aria-describedby="table-heart_failure-weight-more"' in weight) == more


# Each language once, each reader once: the dates are the same whoever reads them.
@pytest.mark.parametrize(("name", "language"), [("jeanne", "fr"), ("lefevre", "en")])
def test_babel_writes_as_many_dates_for_1000_reports_as_for_100(
    signed_in, db, jeanne_id, babel_calls, name, language
):
    """The newest 100 reports are the same in both: the 900 older ones add rows to the chart's
    line, not one date to write."""
    forget_heart_reports(db, jeanne_id)
    _diary(db, jeanne_id, 100, days=10)
    browser = signed_in(name)
    browser.actions.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    paths = [path.format(id=jeanne_id) for path in PATHS]

    def calls(path: str) -> int:
        babel_calls.clear()
        response = browser.get(path)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        # At most a day and a time for each report in the tables (a report is a row of
        # several), and the two ends of the period once for all the charts.
        moments = set(re.findall(r'<time datetime="([^"]+)"', page))
        assert babel_calls.total() <= 2 * len(moments) + 2 < _rows(page)
        return babel_calls.total()

    with_100 = [calls(path) for path in paths]
    _diary(db, jeanne_id, 900, days=85, after=10.1)
    assert [calls(path) for path in paths] == with_100


@pytest.mark.parametrize(("language", "day", "moment"), [
    ("fr", "31/12/2026", "1 janvier 2027, 00:30"),
    ("en", "31/12/2026", "1 January 2027, 00:30"),
])
def test_the_table_writes_each_day_once_as_the_carnet_writes_it(
    app, babel_calls, language, day, moment
):
    """In Paris time (23:30 UTC on New Year's Eve is already 2027 there), in the reader's
    language, like every other moment of the carnet (app.i18n.moment_text)."""
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    same_day = [new_year + timedelta(hours=hours) for hours in range(1, 7)]
    with app.test_request_context(headers={"Accept-Language": language}):
        moments = trends.Moments()
        assert moments.day(new_year - timedelta(hours=1), "short") == day
        assert moments.moment(new_year) == moment == moment_text(new_year)
        babel_calls.clear()
        written = [moments.moment(at) for at in same_day + same_day]
        assert babel_calls == Counter(format_time=len(same_day))  # 1 January: written above
        assert written == [moment_text(at) for at in same_day + same_day]
        assert moments.day(new_year, "short") == date_text(new_year, "short")
