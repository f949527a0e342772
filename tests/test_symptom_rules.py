"""Alert rules at their boundaries: just under, at and just over each threshold; trends over
exactly their days and just over. Pure functions: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.symptoms.questionnaires import read_directory
from app.symptoms.rules import Earlier, fired_rules, fires, trend_days, zone_of, zone_of_report

NOW = datetime(2025, 3, 14, 8, 15, tzinfo=UTC)
DEFINITIONS = {(q.code, q.language): q.definition for q in read_directory()}


def _fired(code: str, answers: dict, earlier=()) -> list[str]:
    return [rule["key"] for rule in fired_rules(DEFINITIONS[code, "fr"], answers, NOW, earlier)]


@pytest.mark.parametrize(("code", "item", "value", "rule", "expected"), [
    # breathlessness >= 7 (heart failure and COPD)
    ("heart_failure", "breathlessness", 6, "breathless_high", False),
    ("heart_failure", "breathlessness", 7, "breathless_high", True),
    ("heart_failure", "breathlessness", 8, "breathless_high", True),
    # breathless at rest: >= 9 (heart failure, the red zone)
    ("heart_failure", "breathlessness", 8, "breathless_rest", False),
    ("heart_failure", "breathlessness", 9, "breathless_rest", True),
    ("heart_failure", "breathlessness", 10, "breathless_rest", True),
    ("copd", "breathlessness", 6, "breathless_high", False),
    ("copd", "breathlessness", 7, "breathless_high", True),
    ("copd", "breathlessness", 8, "breathless_high", True),
    # SpO2 < 90 %
    ("copd", "spo2", 89, "spo2_low", True),
    ("copd", "spo2", 90, "spo2_low", False),
    ("copd", "spo2", 91, "spo2_low", False),
    # temperature >= 38.5 °C (COPD and cancer follow-up)
    ("copd", "temperature", 38.4, "fever", False),
    ("copd", "temperature", 38.5, "fever", True),
    ("copd", "temperature", 38.6, "fever", True),
    ("cancer_follow_up", "temperature", 38.4, "fever", False),
    ("cancer_follow_up", "temperature", 38.5, "fever", True),
    ("cancer_follow_up", "temperature", 38.6, "fever", True),
    # pain >= 7
    ("cancer_follow_up", "pain", 6, "pain_high", False),
    ("cancer_follow_up", "pain", 7, "pain_high", True),
    ("cancer_follow_up", "pain", 8, "pain_high", True),
    # glycaemia < 0.70 g/L and > 3 g/L
    ("diabetes_t2", "glycaemia", 0.69, "glycaemia_low", True),
    ("diabetes_t2", "glycaemia", 0.7, "glycaemia_low", False),
    ("diabetes_t2", "glycaemia", 0.71, "glycaemia_low", False),
    ("diabetes_t2", "glycaemia", 2.99, "glycaemia_high", False),
    ("diabetes_t2", "glycaemia", 3, "glycaemia_high", False),
    ("diabetes_t2", "glycaemia", 3.01, "glycaemia_high", True),
    # two low-sugar episodes or more
    ("diabetes_t2", "hypoglycaemia", 1, "hypoglycaemia_repeated", False),
    ("diabetes_t2", "hypoglycaemia", 2, "hypoglycaemia_repeated", True),
    ("diabetes_t2", "hypoglycaemia", 3, "hypoglycaemia_repeated", True),
    # a wound on a foot (a yes/no answer)
    ("diabetes_t2", "foot_wound", False, "foot_wound", False),
    ("diabetes_t2", "foot_wound", True, "foot_wound", True),
])
def test_each_threshold_at_its_boundary(code, item, value, rule, expected):
    assert (rule in _fired(code, {item: value})) is expected


def test_an_unanswered_item_fires_nothing():
    assert _fired("copd", {"breathlessness": 2}) == []


def _diary(*entries: tuple[timedelta, float]) -> list[Earlier]:
    return [Earlier(NOW - ago, {"weight": weight}) for ago, weight in entries]


@pytest.mark.parametrize(("ago", "earlier_weight", "today", "expected"), [
    (timedelta(days=3), 71.0, 72.9, False),  # +1.9 kg: just under
    (timedelta(days=3), 71.0, 73.0, True),  # +2 kg, exactly 3 days before: at
    (timedelta(days=3), 71.0, 73.1, True),  # just over
    (timedelta(days=3, seconds=1), 71.0, 73.1, False),  # just over 3 days: out of the window
    (timedelta(days=4), 70.0, 75.0, False),
    (timedelta(days=1), 72.1, 74.1, True),  # 74.1 − 72.1 is 2 exactly (not 1.9999…)
    (timedelta(hours=1), 71.2, 73.2, True),
])
def test_weight_gain_of_2_kg_within_3_days(ago, earlier_weight, today, expected):
    fired = _fired("heart_failure", {"weight": today}, _diary((ago, earlier_weight)))
    assert ("weight_gain" in fired) is expected


def test_the_trend_compares_with_the_lowest_weight_of_the_window():
    diary = _diary((timedelta(days=2), 71.5), (timedelta(days=3), 71.0),
                   (timedelta(days=1), 72.0))
    assert _fired("heart_failure", {"weight": 73.0}, diary) == ["weight_gain"]
    assert _fired("heart_failure", {"weight": 72.9}, diary) == []


def test_a_first_report_has_no_trend():
    assert _fired("heart_failure", {"weight": 120}) == []


def test_a_fall_rule_fires_on_a_loss():
    definition = {"rules": [{"key": "loss", "kind": "trend", "item": "weight", "change": -3,
                             "days": 7, "label": "Weight loss"}]}
    rule = definition["rules"][0]
    assert fires(rule, {"weight": 67.0}, NOW, _diary((timedelta(days=7), 70.0)))
    assert not fires(rule, {"weight": 67.1}, NOW, _diary((timedelta(days=7), 70.0)))
    assert trend_days(definition) == 7


def test_what_a_report_stores_of_a_fired_rule():
    assert fired_rules(DEFINITIONS["heart_failure", "en"], {"breathlessness": 8}, NOW) == [
        {"key": "breathless_high", "kind": "threshold", "item": "breathlessness",
         "label": "Severe breathlessness (7 or more out of 10)", "zone": "amber"}]


@pytest.mark.parametrize(("answers", "before", "zone"), [
    ({"weight": 72.0, "breathlessness": 2}, 71.0, "green"),  # +1 kg: nothing fires
    ({"weight": 73.4, "breathlessness": 2}, 71.0, "amber"),  # +2.4 kg in 3 days
    ({"weight": 71.0, "breathlessness": 8}, 71.0, "amber"),  # breathless, not at rest
    ({"weight": 73.4, "breathlessness": 9}, 71.0, "red"),  # at rest: the worst zone wins
])
def test_a_report_is_in_the_zone_of_the_worst_rule_it_fires(answers, before, zone):
    fired = fired_rules(DEFINITIONS["heart_failure", "fr"], answers, NOW,
                        _diary((timedelta(days=3), before)))
    assert zone_of_report(fired) == zone


def test_a_rule_without_a_zone_means_amber_and_so_does_an_older_report():
    copd = DEFINITIONS["copd", "fr"]
    assert [zone_of(rule) for rule in copd["rules"]] == ["amber", "red", "amber"]
    assert zone_of_report([{"key": "weight_gain", "label": "…"}]) == "amber"  # kept before
    assert zone_of_report([]) == "green"


def test_translations_fire_the_same_rules():
    answers = {"weight": 74.0, "breathlessness": 7}
    diary = _diary((timedelta(days=2), 71.0))
    keys = {language: [r["key"] for r in fired_rules(DEFINITIONS["heart_failure", language],
                                                      answers, NOW, diary)]
            for language in ("fr", "en")}
    assert keys["fr"] == keys["en"] == ["breathless_high", "weight_gain"]
