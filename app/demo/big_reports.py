"""Symptom reports of the big territory: believable answers to the published questionnaires.

Each patient has a steady state (a weight, a usual breathlessness) that drifts a little
from one report to the next; now and then a bad day. Whether a report is urgent is decided
as the server decides it, by the questionnaire's alert rules (:mod:`app.symptoms.rules`),
trend rules included, so the rows look like reports the app stored itself.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.symptoms import rules
from app.symptoms.reports import content_hash

from .big_content import REPORT_NOTES

BAD_DAY = 0.03  # share of reports made on a bad day (most of them fire a rule)


@dataclass
class Reporter:
    """One patient's steady state, and their recent reports (for the trend rules)."""

    patient_id: int
    account_id: int
    weight: float
    breathless: int
    glycaemia: float
    spo2: int
    recent: dict[str, list[rules.Earlier]] = field(default_factory=dict)


def new_reporter(rng: random.Random, patient_id: int, account_id: int) -> Reporter:
    """A patient's steady state, drawn once."""
    return Reporter(patient_id, account_id, weight=round(rng.uniform(52, 105), 1),
                    breathless=rng.randint(1, 4), glycaemia=rng.uniform(1.0, 1.6),
                    spo2=rng.randint(92, 97))


def _scale(rng: random.Random, around: int, spread: int = 1) -> int:
    return max(0, min(10, around + rng.randint(-spread, spread)))


def answers_for(rng: random.Random, code: str, who: Reporter, bad: bool) -> dict:
    """Answers to the questionnaire ``code`` as this patient would give them today."""
    if code == "heart_failure":
        who.weight = round(who.weight + rng.uniform(-0.3, 0.3), 1)
        weight = round(who.weight + (rng.uniform(2.0, 2.8) if bad else 0), 1)
        return {"weight": weight,
                "breathlessness": rng.randint(7, 9) if bad else _scale(rng, who.breathless),
                "ankles": bad or rng.random() < 0.1, "night_cough": rng.random() < 0.08,
                "tiredness": _scale(rng, who.breathless + 1)}
    if code == "diabetes_t2":
        glycaemia = (rng.choice((rng.uniform(0.55, 0.68), rng.uniform(3.1, 3.8))) if bad
                     else who.glycaemia + rng.uniform(-0.3, 0.4))
        answers = {"glycaemia": round(glycaemia, 2),
                   "hypoglycaemia": rng.choice((0, 0, 1, 2)) if bad else 0,
                   "foot_wound": bad and rng.random() < 0.2}
        if answers["foot_wound"]:
            answers["foot_wound_where"] = "Sous le gros orteil droit"
        return answers
    if code == "copd":
        answers = {"breathlessness": rng.randint(7, 8) if bad else _scale(rng, who.breathless + 1),
                   "cough": rng.random() < (0.8 if bad else 0.4),
                   "sputum_colour": rng.choice(("yellow", "green") if bad
                                               else ("none", "clear", "white"))}
        if rng.random() < 0.7:
            answers["spo2"] = rng.randint(86, 89) if bad else who.spo2 + rng.randint(-1, 1)
        if bad or rng.random() < 0.3:
            answers["temperature"] = round(rng.uniform(38.5, 39.3) if bad
                                           else rng.uniform(36.3, 37.3), 1)
        return answers
    answers = {"pain": rng.randint(7, 8) if bad else rng.randint(0, 4),
               "fatigue": rng.randint(2, 7), "nausea": rng.random() < 0.1}
    if bad and rng.random() < 0.5:
        answers["temperature"] = round(rng.uniform(38.5, 39.0), 1)
    return answers


@dataclass(frozen=True)
class Acknowledger:
    """Who on the patient's team acknowledges their reports."""

    account_ids: tuple[int, ...]


def report_row(
    rng: random.Random, who: Reporter, questionnaire: tuple[int, str, dict],
    reported_at: datetime, now: datetime, by_account_id: int, ack: Acknowledger,
) -> dict:
    """One symptom_report row; most are acknowledged, the urgent ones sooner."""
    questionnaire_id, code, definition = questionnaire
    answers = answers_for(rng, code, who, rng.random() < BAD_DAY)
    recent = who.recent.setdefault(code, [])
    since = reported_at - timedelta(days=rules.trend_days(definition))
    recent[:] = [e for e in recent if e.reported_at >= since]
    fired = rules.fired_rules(definition, answers, reported_at, recent)
    recent.append(rules.Earlier(reported_at, answers))
    note = rng.choice(REPORT_NOTES) if rng.random() < 0.05 else ""
    acknowledged_at, acknowledged_by = None, None
    delay = timedelta(minutes=rng.randint(10, 90) if fired else rng.randint(60, 24 * 60))
    # The last day and a half's reports are still waiting, some of them.
    recent_report = now - reported_at < timedelta(hours=36)
    if reported_at + delay < now and not (recent_report and rng.random() < 0.6):
        acknowledged_at, acknowledged_by = reported_at + delay, rng.choice(ack.account_ids)
    return {
        "patient_id": who.patient_id, "questionnaire_id": questionnaire_id,
        "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "content_hash": content_hash(who.patient_id, questionnaire_id, answers, note),
        "answers": answers, "note": note, "urgent": bool(fired), "fired_rules": fired,
        "reported_by_account_id": by_account_id, "reported_at": reported_at,
        "created_at": reported_at, "acknowledged_by_id": acknowledged_by,
        "acknowledged_at": acknowledged_at,
    }


def report_times(rng: random.Random, count: int, since: datetime, now: datetime) -> list[datetime]:
    """``count`` moments between ``since`` and ``now``, evenly spread, mostly in the morning."""
    if count <= 0:
        return []
    span = (now - since) / count
    times = []
    for n in range(count):
        day = since + span * n + span * rng.random()
        hour = rng.choice((7, 8, 8, 8, 9, 9, 12, 19, 20))  # UTC: morning, noon, evening
        moment = day.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59))
        times.append(max(since, min(moment, now - timedelta(minutes=rng.randint(5, 600)))))
    return sorted(times)
