"""Trends: each numeric answer of a patient over 30 or 90 days, as a small chart drawn by the
server (plain SVG, no chart library) with its alert thresholds, and the same values as a
table. The geometry is computed here; templates/symptoms/_chart.html only writes it out.

What a page costs does not grow with the patient's history: a fixed number of queries, the
newest ``TABLE_ROWS`` answers in each table, and each date written once a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import format_decimal, to_user_timezone
from sqlmodel import Session, col, select

from ..i18n import date_text, day_and_time, time_text
from ..models import Patient, Questionnaire, SymptomReport
from ..types import utcnow
from .answers import decimals_of
from .questionnaires import NUMERIC_KINDS, is_number
from .reports import current_questionnaires
from .rules import OPERATORS

PERIODS = (30, 90)
# The chart's own coordinates (the viewBox); CSS scales it to the width of the page.
WIDTH, HEIGHT = 320, 168
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 26
# Above this many points a dot per report would only blur the line: the line alone stays.
DOTS_MAX = 60
# The table of an item lists the newest answers only; the reports list has them all.
TABLE_ROWS = 60


@dataclass(frozen=True)
class Point:
    """One answer: when it was reported, and the number."""

    at: datetime
    value: float | int


@dataclass
class Threshold:
    """A threshold rule drawn across the chart at ``value``."""

    value: float | int
    op: str
    label: str
    y: float = 0.0


class Moments:
    """The dates and times of one page, each written once: a report is a row of several
    tables, a day is in many rows, and every chart has the same period. Formatting them
    again and again is what the page spent most of its time on (issue 16, point 7)."""

    def __init__(self) -> None:
        self._days: dict[tuple[date, str], str] = {}
        self._moments: dict[datetime, str] = {}

    def day(self, at: datetime, fmt: str = "medium") -> str:
        """The day of ``at`` in Paris, as ``date_text`` writes it."""
        day = to_user_timezone(at).date()
        if (day, fmt) not in self._days:
            self._days[day, fmt] = date_text(day, fmt)
        return self._days[day, fmt]

    def moment(self, at: datetime) -> str:
        """ "1 décembre 2026, 09:30", as ``moment_text`` writes it."""
        if at not in self._moments:
            self._moments[at] = day_and_time(self.day(at, "long"), time_text(at))
        return self._moments[at]


@dataclass
class Chart:
    """One numeric item of one questionnaire over a period, ready to be drawn."""

    questionnaire: Questionnaire  # the current version, in the reader's language
    item: dict
    since: datetime
    until: datetime
    points: list[Point] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)
    trends: list[str] = field(default_factory=list)  # the words of its trend rules
    low: float = 0.0
    high: float = 1.0
    moments: Moments = field(default_factory=Moments)  # shared by the charts of a page

    width, height = WIDTH, HEIGHT
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    table_rows = TABLE_ROWS

    @property
    def key(self) -> str:
        return f"{self.questionnaire.code}-{self.item['key']}"

    def x(self, at: datetime) -> float:
        span = (self.until - self.since).total_seconds() or 1.0
        share = min(1.0, max(0.0, (at - self.since).total_seconds() / span))
        return round(self.left + share * (self.right - self.left), 1)

    def y(self, value: float | int) -> float:
        share = (float(value) - self.low) / ((self.high - self.low) or 1.0)
        return round(self.bottom - share * (self.bottom - self.top), 1)

    def scale(self) -> Chart:
        """Fit the vertical range to the points and the thresholds; place the thresholds."""
        self.low, self.high = _range(self.item, [float(p.value) for p in self.points],
                                     self.thresholds)
        for threshold in self.thresholds:
            threshold.y = self.y(threshold.value)
        return self

    def line(self) -> str:
        """The points of the SVG polyline, oldest first."""
        return " ".join(f"{self.x(p.at)},{self.y(p.value)}" for p in self.points)

    def dots(self) -> list[tuple[float, float]]:
        return ([(self.x(p.at), self.y(p.value)) for p in self.points]
                if len(self.points) <= DOTS_MAX else [])

    def ticks(self) -> list[tuple[float, float]]:
        """(value, y) of the three horizontal grid lines: bottom, middle, top."""
        middle = (self.low + self.high) / 2
        return [(value, self.y(value)) for value in (self.low, middle, self.high)]

    def table(self) -> list[Point]:
        """The rows of the table: the newest ``TABLE_ROWS`` points, newest first."""
        return self.points[-TABLE_ROWS:][::-1]

    @property
    def left_out(self) -> int:
        """How many of the points are drawn but not in the table (the oldest)."""
        return max(0, len(self.points) - TABLE_ROWS)

    def is_alert(self, value: float | int) -> bool:
        """Whether ``value`` is beyond one of the thresholds (said in the table too)."""
        return any(OPERATORS[t.op](Decimal(str(value)), Decimal(str(t.value)))
                   for t in self.thresholds)


def _range(item: dict, values: list[float], thresholds: list[Threshold]) -> tuple[float, float]:
    """The vertical range: 0–10 for a scale; for a number, the values and the thresholds
    with a margin, never narrower than a few steps, within the item's bounds."""
    if item["kind"] == "scale":
        return float(item["min"]), float(item["max"])
    seen = values + [float(t.value) for t in thresholds]
    if not seen:
        return float(item["min"]), float(item["max"])
    low, high = min(seen), max(seen)
    least = max(float(item.get("step", 1)) * 10, (float(item["max"]) - float(item["min"])) / 50)
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    margin = (high - low) * 0.1
    low = max(float(item["min"]), low - margin)
    high = min(float(item["max"]), high + margin)
    return low, high


def charts_of(questionnaire: Questionnaire, since: datetime, until: datetime,
              moments: Moments | None = None) -> list[Chart]:
    """An empty chart for each numeric item of ``questionnaire``, with its alert rules."""
    charts = []
    moments = Moments() if moments is None else moments
    rules = questionnaire.definition["rules"]
    for item in questionnaire.definition["items"]:
        if item["kind"] not in NUMERIC_KINDS:
            continue
        chart = Chart(questionnaire, item, since, until, moments=moments)
        chart.thresholds = [Threshold(rule["value"], rule["op"], rule["label"]) for rule in rules
                            if rule["kind"] == "threshold" and rule["item"] == item["key"]]
        chart.trends = [rule["label"] for rule in rules
                        if rule["kind"] == "trend" and rule["item"] == item["key"]]
        charts.append(chart)
    return charts


def patient_trends(db: Session, patient: Patient, days: int, language: str,
                   now: datetime | None = None) -> list[Chart]:
    """A chart for each numeric item of the patient's current questionnaires (2 queries,
    however many reports). Answers to older versions count when the item's key is the same:
    keys are stable across versions (app/questionnaires/README.md)."""
    until = now or utcnow()
    since = until - timedelta(days=days)
    questionnaires = current_questionnaires(db, patient, language)
    moments = Moments()
    charts = [chart for q in questionnaires for chart in charts_of(q, since, until, moments)]
    if not charts:
        return []
    by_item = {(chart.questionnaire.code, chart.item["key"]): chart for chart in charts}
    rows = db.exec(
        select(SymptomReport.reported_at, SymptomReport.answers, Questionnaire.code)
        .join(Questionnaire, Questionnaire.id == SymptomReport.questionnaire_id)
        .where(SymptomReport.patient_id == patient.id,
               col(Questionnaire.code).in_({q.code for q in questionnaires}),
               SymptomReport.reported_at >= since, SymptomReport.reported_at <= until)
        .order_by(col(SymptomReport.reported_at), col(SymptomReport.id))
    ).all()
    for reported_at, answers, code in rows:
        for key, value in answers.items():
            chart = by_item.get((code, key))
            if chart is not None and is_number(value):
                chart.points.append(Point(reported_at, value))
    for chart in charts:
        chart.scale()
    return charts


def by_questionnaire(charts: list[Chart]) -> list[tuple[Questionnaire, list[Chart]]]:
    """The charts grouped by questionnaire, in the order of the patient's conditions."""
    groups: dict[int, tuple[Questionnaire, list[Chart]]] = {}
    for chart in charts:
        groups.setdefault(chart.questionnaire.id, (chart.questionnaire, []))[1].append(chart)
    return list(groups.values())


def chart_number(item: dict, value: float | int) -> str:
    """A number on the chart's axis, with no more decimals than the item's step."""
    decimals = decimals_of(item.get("step", 1))
    return format_decimal(round(value, decimals), format="#,##0" + ("." + "#" * decimals
                                                                     if decimals else ""))


def period(raw: str | None) -> int:
    """The number of days asked for: 30 or 90; anything else is 30."""
    return int(raw) if raw in {str(days) for days in PERIODS} else PERIODS[0]
