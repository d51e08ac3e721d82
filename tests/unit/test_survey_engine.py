"""The survey engine with no app: definitions, conditions, responses, aggregation."""
from fractions import Fraction

import pytest

from surveys.engine import (OTHER, DefinitionInvalid, ResponseInvalid, aggregate, satisfaction_index, shown,
                            validate_definition, validate_response)

LIFT = {"version": 1, "sections": [{"id": "s1", "title": "加装电梯", "questions": [
    {"id": "want", "type": "single", "required": True, "options": [{"id": "yes"}, {"id": "no"}], "other": True},
    {"id": "pay", "type": "number", "min": 0, "max": 200000, "unit": "元", "required": True,
     "show_if": {"question": "want", "op": "equals", "value": "yes"}},
    {"id": "items", "type": "multiple", "min": 1, "max": 2, "options": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
    {"id": "rank", "type": "ranking", "options": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
    {"id": "happy", "type": "rating"},
    {"id": "why", "type": "text", "show_if": {"any": [{"question": "happy", "op": "equals", "value": 1},
                                                      {"question": "items", "op": "contains", "value": "c"}]}},
    {"id": "grid", "type": "matrix", "rows": [{"id": "light"}, {"id": "road"}], "scale": [{"id": "ok"}, {"id": "bad"}]},
]}]}


def test_a_good_definition_passes():
    assert validate_definition(LIFT) is LIFT


@pytest.mark.parametrize("condition,key", [
    ({"question": "later", "op": "answered"}, "survey.def.later_question"),
    ({"question": "q1", "op": "equals", "value": 1}, "survey.def.cycle"),
    ({"question": "q0", "op": "bogus"}, "survey.def.condition"),
    ({"question": "q0", "op": "equals"}, "survey.def.condition"),
])
def test_broken_conditions_name_their_path(condition, key):
    definition = {"sections": [{"questions": [
        {"id": "q0", "type": "text"}, {"id": "q1", "type": "text", "show_if": condition},
        {"id": "later", "type": "text"}]}]}
    with pytest.raises(DefinitionInvalid) as caught:
        validate_definition(definition)
    assert [(f.path, f.key) for f in caught.value.faults] == [("sections[0].questions[1].show_if", key)]


def test_hidden_questions_must_not_be_answered_and_required_ones_must():
    with pytest.raises(ResponseInvalid) as caught:
        validate_response(LIFT, {"want": "no", "pay": 500})
    assert {(f.path, f.key) for f in caught.value.faults} == {("pay", "survey.answer.hidden")}
    with pytest.raises(ResponseInvalid) as caught:
        validate_response(LIFT, {"want": "yes"})
    assert {(f.path, f.key) for f in caught.value.faults} == {("pay", "survey.answer.required")}


def test_a_draft_may_leave_required_questions_empty():
    assert validate_response(LIFT, {"want": "yes"}, draft=True) == {"want": "yes"}


@pytest.mark.parametrize("answers,question", [
    ({"want": "maybe"}, "want"), ({"want": "yes", "pay": -1}, "pay"), ({"want": "no", "items": ["a", "b", "c"]}, "items"),
    ({"want": "no", "rank": ["a", "b"]}, "rank"), ({"want": "no", "happy": 6}, "happy"),
    ({"want": "no", "grid": {"light": "great"}}, "grid"), ({"want": {"choice": OTHER, "text": " "}}, "want"),
    # U+0000 cannot be kept among the answers; an "other" answer is its choice and its words, nothing else
    ({"want": "no", "happy": 1, "why": "楼道\x00灯"}, "why"), ({"want": {"choice": OTHER, "text": "看\x00费用"}}, "want"),
    ({"want": {"choice": OTHER, "text": "看费用", "note": "再说"}}, "want"),
])
def test_each_question_type_refuses_bad_answers(answers, question):
    with pytest.raises(ResponseInvalid) as caught:
        validate_response(LIFT, answers)
    assert question in {f.path for f in caught.value.faults}


def test_combined_conditions():
    assert shown(LIFT["sections"][0]["questions"][5]["show_if"], {"happy": 1})
    assert shown(LIFT["sections"][0]["questions"][5]["show_if"], {"items": ["c"]})
    assert not shown(LIFT["sections"][0]["questions"][5]["show_if"], {"happy": 4, "items": ["a"]})


def test_other_please_say_is_kept_as_text():
    clean = validate_response(LIFT, {"want": {"choice": OTHER, "text": "看费用再定"}})
    result = aggregate(LIFT, [clean])["want"]
    assert result.other_texts == ("看费用再定",) and result.counts == {OTHER: 1}


def test_aggregation_counts_shares_ratings_borda_numbers_and_buildings():
    responses = [
        {"want": "yes", "pay": 1000, "rank": ["a", "b", "c"], "happy": 5, "grid": {"light": "bad"}},
        {"want": "yes", "pay": 3000, "rank": ["b", "a", "c"], "happy": 4},
        {"want": "no", "rank": ["a", "c", "b"], "happy": 2},
    ]
    results = aggregate(LIFT, responses, buildings=["1", "1", "2"])
    assert results["want"].shares == {"yes": Fraction(2, 3), "no": Fraction(1, 3)}
    assert results["want"].by_building == {"1": {"yes": 2}, "2": {"no": 1}}
    assert results["happy"].mean == Fraction(11, 3) and results["happy"].median == 4
    assert results["happy"].by_building == {"1": Fraction(9, 2), "2": 2}
    assert list(results["rank"].borda) == ["a", "b", "c"] and results["rank"].borda["a"] == 5
    assert results["pay"].median == 2000 and results["pay"].percentiles[90] == 3000
    assert results["grid"].matrix == {"light": {"bad": 1}}
    assert satisfaction_index(LIFT, responses) == Fraction(11, 15)
