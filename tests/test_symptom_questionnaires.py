"""Questionnaires are versioned data: checked on load, with a fault that names the file, and a
published version is never changed in place."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.models import Condition, ContentStatus, Questionnaire
from app.symptoms.answers import parse_answers
from app.symptoms.questionnaires import (
    DIRECTORY,
    QuestionnaireError,
    check_questionnaire,
    load_questionnaires,
    read_directory,
)

SEED = json.loads((DIRECTORY / "heart_failure.fr.json").read_text(encoding="utf-8"))


def test_each_demo_condition_has_a_questionnaire_in_french_english_and_arabic():
    files = read_directory()
    assert {(f.condition, f.language) for f in files} == {
        (condition.value, language) for condition in Condition for language in ("fr", "en", "ar")}


@pytest.mark.parametrize(("code", "items"), [
    ("heart_failure", {"weight": "number", "breathlessness": "scale", "ankles": "yes_no",
                       "night_cough": "yes_no", "tiredness": "scale"}),
    ("copd", {"breathlessness": "scale", "cough": "yes_no", "sputum_colour": "choice",
              "spo2": "number", "temperature": "number"}),
    ("diabetes_t2", {"glycaemia": "number", "hypoglycaemia": "number", "foot_wound": "yes_no",
                     "foot_wound_where": "text"}),
    ("cancer_follow_up", {"pain": "scale", "pain_where": "text", "fatigue": "scale",
                          "nausea": "yes_no", "temperature": "number"}),
])
def test_the_seed_questionnaires_ask_what_the_care_teams_need(code, items):
    for file in read_directory():
        if file.code == code:
            assert {i["key"]: i["kind"] for i in file.definition["items"]} == items


def _broken(change) -> dict:
    data = copy.deepcopy(SEED)
    change(data)
    return data


def _item(data, key):
    return next(item for item in data["items"] if item["key"] == key)


def _rule(data, key):
    return next(rule for rule in data["rules"] if rule["key"] == key)


@pytest.mark.parametrize(("change", "fault"), [
    (lambda d: d.pop("title"), 'fill in the title ("title")'),
    (lambda d: d.update(format=2), '"format" must be 1'),
    (lambda d: d.update(condition="flu"), '"condition" must be one of'),
    (lambda d: d.update(language="de"), '"language" must be one of fr, en'),
    (lambda d: d.update(version=0), '"version" must be a whole number from 1'),
    (lambda d: d.update(extra=1), 'unknown field "extra"'),
    (lambda d: d.update(items=[]), 'a questionnaire needs at least one item ("items")'),
    (lambda d: _item(d, "weight").update(kind="slider"), 'item 1 ("weight"): the kind must be'),
    (lambda d: _item(d, "weight").update(min=300),
     'item 1 ("weight"): the lowest value ("min", 300) must be below the highest value'),
    (lambda d: _item(d, "weight").update(step=0), 'item 1 ("weight"): the step ("step") must be'),
    (lambda d: _item(d, "weight").pop("unit"), 'item 1 ("weight"): fill in the unit ("unit")'),
    (lambda d: _item(d, "breathlessness").pop("max_label"),
     'item 2 ("breathlessness"): fill in the words at 10 ("max_label")'),
    (lambda d: _item(d, "breathlessness").update(min_label=" "),
     'item 2 ("breathlessness"): fill in the words at 0 ("min_label")'),
    (lambda d: _item(d, "ankles").update(required="yes"),
     'item 3 ("ankles"): "required" must be true or false'),
    (lambda d: _item(d, "ankles").update(key="Ankles!"), 'item 3 ("Ankles!"): the key must be'),
    (lambda d: _item(d, "ankles").update(key="weight"), 'two items have the key "weight"'),
    (lambda d: d["items"].append({"key": "c", "kind": "choice", "label": "C",
                                  "choices": [{"value": "a", "label": "A"}]}),
     'item 6 ("c"): give at least 2 answers to choose from ("choices")'),
    (lambda d: d["items"].append({"key": "t", "kind": "text", "label": "T",
                                  "max_length": 5000}),
     'item 6 ("t"): the longest answer ("max_length") must be a whole number from 1 to 2000'),
    (lambda d: _rule(d, "breathless_high").update(item="mood"),
     'rule 1 ("breathless_high"): the rule is about "mood", which is not an item'),
    (lambda d: _rule(d, "breathless_high").update(item="ankles"),
     'rule 1 ("breathless_high"): a threshold needs a number or a 0–10 scale item; '
     '"ankles" is a yes/no question'),
    (lambda d: _rule(d, "breathless_high").update(op="=>"),
     'the comparison ("op") must be one of < <= > >='),
    (lambda d: _rule(d, "breathless_high").update(value=12),
     'the threshold 12 is outside the bounds of "breathlessness" (0 to 10)'),
    (lambda d: _rule(d, "weight_gain").update(days=0),
     'the number of days ("days") must be a whole number from 1'),
    (lambda d: _rule(d, "weight_gain").update(change=0),
     'the change ("change") must be a number other'),
    (lambda d: d["rules"].append({"key": "a", "kind": "answer", "item": "weight",
                                  "value": True, "label": "A"}),
     'rule 4 ("a"): an answer rule needs a yes/no or a choice item'),
    (lambda d: d["rules"].append({"key": "a", "kind": "answer", "item": "ankles",
                                  "value": "oui", "label": "A"}),
     'the answer ("value") must be yes or no (true or false) for a yes/no item'),
    (lambda d: _rule(d, "weight_gain").update(zone="orange"),
     'rule 2 ("weight_gain"): the zone ("zone") must be "amber" (call the care team today) or '
     '"red" (call 15 now)'),
    (lambda d: _rule(d, "weight_gain").update(key="breathless_high"),
     'rule 2 ("breathless_high"): two rules have the key "breathless_high"'),
])
def test_a_broken_questionnaire_is_refused_with_its_fault(change, fault):
    with pytest.raises(QuestionnaireError) as error:
        check_questionnaire(_broken(change), "heart_failure.fr.json")
    assert str(error.value).startswith("heart_failure.fr.json: ")
    assert fault in str(error.value)


def _copy_seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "questionnaires"
    shutil.copytree(DIRECTORY, folder)
    return folder


def _rewrite(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_file_that_is_not_json_is_named(tmp_path):
    folder = _copy_seeds(tmp_path)
    (folder / "copd.en.json").write_text('{"format": 1,\n  "code": }', encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"^copd\.en\.json: not valid JSON \(line 2"):
        read_directory(folder)


def test_a_file_must_be_named_after_its_code_and_language(tmp_path):
    folder = _copy_seeds(tmp_path)
    (folder / "copd.en.json").rename(folder / "copd-en.json")
    with pytest.raises(QuestionnaireError, match='copd-en.json: .*named "copd.en.json"'):
        read_directory(folder)


def test_a_translation_may_change_only_the_words(tmp_path):
    folder = _copy_seeds(tmp_path)
    _rewrite(folder / "heart_failure.en.json",
             lambda d: _rule(d, "breathless_high").update(value=8))
    with pytest.raises(QuestionnaireError,
                       match="heart_failure.en.json: differs from heart_failure.fr.json"):
        read_directory(folder)


def test_a_translation_keeps_the_zones_of_the_rules(tmp_path):
    folder = _copy_seeds(tmp_path)
    _rewrite(folder / "copd.ar.json", lambda d: _rule(d, "spo2_low").update(zone="amber"))
    with pytest.raises(QuestionnaireError, match="copd.ar.json: differs from copd.fr.json"):
        read_directory(folder)


def _copd_version_3(tmp_path: Path) -> Path:
    """The French COPD questionnaire one version past the seeds' (2), its translations not."""
    folder = _copy_seeds(tmp_path)
    _rewrite(folder / "copd.fr.json", lambda d: (
        d.update(version=3), _item(d, "spo2").update(help="Au repos, une minute.")))
    return folder


def test_a_translation_may_lag_behind_its_french_source(engine, db, demo, tmp_path):
    folder = _copd_version_3(tmp_path)
    with Session(engine) as session:
        load_questionnaires(session, folder)
        session.commit()
    (english,) = _rows(db, "copd", "en")
    assert (english.version, english.outdated, english.status) == (
        2, True, ContentStatus.PUBLISHED)


def test_a_lagging_translation_must_match_the_french_version_it_translates(
    engine, db, demo, tmp_path
):
    folder = _copd_version_3(tmp_path)
    _rewrite(folder / "copd.en.json", lambda d: _rule(d, "fever").update(value=38))
    with Session(engine) as session:
        session.delete(_rows(session, "copd", "en")[0])  # as if never loaded
        session.flush()
        with pytest.raises(QuestionnaireError,
                           match="copd.en.json: differs from copd.fr.json version 2"):
            load_questionnaires(session, folder)


def test_a_translation_needs_its_french_source(tmp_path):
    folder = _copy_seeds(tmp_path)
    _rewrite(folder / "copd.en.json", lambda d: d.update(version=3))
    with pytest.raises(QuestionnaireError, match="copd.en.json: no French source at version 3"):
        read_directory(folder)


def _rows(db, code="heart_failure", language="fr") -> list[Questionnaire]:
    db.expire_all()
    return list(db.exec(select(Questionnaire).where(
        Questionnaire.code == code, Questionnaire.language == language
    ).order_by(Questionnaire.version)))


def test_loading_again_changes_nothing(engine, db, demo):
    before = len(db.exec(select(Questionnaire)).all())
    with Session(engine) as session:
        what = {what for _row, what in load_questionnaires(session)}
        session.commit()
    assert what == {"unchanged"}
    assert len(db.exec(select(Questionnaire)).all()) == before == 12


def test_a_published_version_is_never_changed_in_place(engine, db, demo, tmp_path):
    folder = _copy_seeds(tmp_path)
    _rewrite(folder / "heart_failure.fr.json",
             lambda d: _item(d, "weight").update(label="Mon poids"))
    with Session(engine) as session, pytest.raises(
        QuestionnaireError,
        match="heart_failure.fr.json: version 2 is already published and cannot change; "
              "give the changed questionnaire version 3",
    ):
        load_questionnaires(session, folder)
    assert _item(_rows(db)[0].definition, "weight")["label"] == "Mon poids ce matin"


def test_a_new_version_is_published_and_retires_the_previous_one(engine, db, demo, tmp_path):
    folder = _copy_seeds(tmp_path)
    _rewrite(folder / "heart_failure.fr.json", lambda d: (
        d.update(version=3), _item(d, "weight").update(label="Mon poids")))
    with Session(engine) as session:
        added = [(r.code, r.language, r.version)
                 for r, what in load_questionnaires(session, folder) if what == "added"]
        session.commit()
    assert added == [("heart_failure", "fr", 3)]
    old, new = _rows(db)
    assert (old.status, new.status) == (ContentStatus.RETIRED, ContentStatus.PUBLISHED)
    assert old.retired_at is not None and old.definition != new.definition
    (english,) = _rows(db, language="en")
    assert english.outdated and english.status == ContentStatus.PUBLISHED


def test_an_older_version_than_the_published_one_is_refused(engine, db, demo, tmp_path):
    folder = _copy_seeds(tmp_path)
    for name in ("heart_failure.fr.json", "heart_failure.en.json"):
        _rewrite(folder / name, lambda d: d.update(version=3))
    with Session(engine) as session:
        load_questionnaires(session, folder)
        session.commit()
    with Session(engine) as session, pytest.raises(
            QuestionnaireError, match="version 2 is older than version 3"):
        load_questionnaires(session)


def test_nothing_is_written_when_one_file_is_broken(engine, db, demo, tmp_path):
    folder = _copy_seeds(tmp_path)
    _rewrite(folder / "heart_failure.fr.json", lambda d: d.update(version=3))
    _rewrite(folder / "heart_failure.en.json", lambda d: d.update(version=3))
    _rewrite(folder / "copd.fr.json", lambda d: d.pop("title"))
    with Session(engine) as session, pytest.raises(QuestionnaireError, match="copd.fr.json"):
        load_questionnaires(session, folder)
    assert [row.version for row in _rows(db)] == [2]


def test_every_demo_report_answers_its_questionnaire(db, demo):
    from app.demo.territory_content import REPORTS

    definitions = {f.code: f.definition for f in read_directory() if f.language == "fr"}
    for report in REPORTS:
        raw = {key: ("yes" if value else "no") if isinstance(value, bool) else str(value)
               for key, value in report.answers.items() if key != "comment"}
        answers, errors = parse_answers(definitions[report.code], raw)
        assert errors == {}, report
        assert answers == {k: v for k, v in report.answers.items() if k != "comment"}


def test_the_command_publishes_the_questionnaires_once(tmp_path):
    from app import create_app
    from app.db import upgrade

    url = f"sqlite:///{tmp_path / 'questionnaires.sqlite'}"
    upgrade(url)
    runner = create_app({"DATABASE_URL": url, "TESTING": True}).test_cli_runner()
    first = runner.invoke(args=["symptoms", "load"])
    assert first.exit_code == 0, first.output
    assert "heart_failure.fr version 2: added" in first.output
    assert first.output.count(": added") == 12
    again = runner.invoke(args=["symptoms", "load"])
    assert again.output.count(": unchanged") == 12
