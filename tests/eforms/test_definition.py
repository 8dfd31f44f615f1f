"""A definition is checked before it is saved (A10): its shape against definition.schema.json,
then what JSON Schema cannot say, each problem placed at a page, question and field."""

from __future__ import annotations

import copy

import pytest

from durvis.eforms.queries import problems, publish_problems

from .samples import OPTIONS, family_benefit, one_question, q


def codes(definition):
    return [(p.question or p.page, p.field, p.code) for p in problems(definition)]


def test_the_sample_is_good():
    assert problems(family_benefit()) == []
    assert publish_problems(family_benefit()) == []


@pytest.mark.parametrize("broken", [
    {"format": "durvis-form/2", "pages": []},
    {"format": "durvis-form/1"},
    one_question({"key": "Bad Key", "type": "short_text", "label": {"lv": "a"}}),
    one_question({"key": "x", "type": "slider", "label": {"lv": "a"}}),
    one_question({"key": "x", "type": "short_text"}),
    one_question({"key": "x", "type": "short_text", "label": {"en": "only English"}}),
    one_question({"key": "x", "type": "short_text", "label": {"lv": "a"}, "script": "alert(1)"}),
])
def test_a_misshapen_definition_is_refused_with_its_place(broken):
    found = problems(broken)
    assert found and all(p.code == "schema" for p in found)
    assert found[0].message.startswith("$")


def test_duplicate_keys():
    definition = family_benefit()
    definition["pages"][1]["questions"].append(q("name", "short_text"))
    definition["pages"].append({"key": "payment", "title": {"lv": "X"}, "questions": []})
    assert ("name", "key", "duplicate") in codes(definition)
    assert ("payment", "key", "duplicate") in codes(definition)


@pytest.mark.parametrize("key", ["check", "submitted", "discard", "new", "end"])
def test_a_page_key_naming_a_step_of_the_journey_is_refused(key):
    """A page keyed `check` would be `…/<reference>/check/`, the check-your-answers page:
    the citizen could never reach it (found by a tester: a redirect loop)."""
    definition = family_benefit()
    definition["pages"][1]["key"] = key
    assert (key, "key", "reserved") in codes(definition)


def test_a_choice_needs_options():
    assert codes(one_question(q("x", "single_choice", options=[]))) == [
        ("x", "options", "no_options")]
    assert codes(one_question(q("x", "single_choice", options=OPTIONS[:1]))) == [
        ("x", "options", "no_options")]
    assert codes(one_question(q("x", "multiple_choice"))) == [("x", "options", "no_options")]
    twice = [OPTIONS[0], OPTIONS[0]]
    assert codes(one_question(q("x", "multiple_choice", options=twice))) == [
        ("x", "options", "duplicate_option")]


def test_a_condition_on_a_later_question_is_refused():
    definition = family_benefit()
    definition["pages"][0]["questions"][0]["condition"] = {
        "question": "iban", "op": "equals", "value": "x", "effect": "show"}
    assert ("name", "condition_question", "condition_later") in codes(definition)


def test_a_condition_on_an_unknown_or_uncomparable_question_or_value():
    definition = family_benefit()
    applicant = definition["pages"][0]["questions"]
    applicant[2]["condition"] = {"question": "name", "op": "equals", "value": "Anna"}
    applicant[5]["condition"] = {"question": "nobody", "op": "equals", "value": True}
    applicant[4]["condition"] = {"question": "has_children", "op": "equals", "value": "jā"}
    assert codes(definition) == [
        ("phone", "condition_question", "condition_type"),
        ("children_count", "condition_value", "condition_value"),
        ("email", "condition_question", "condition_unknown")]


def test_routing_to_an_earlier_page_or_nowhere_is_refused():
    definition = family_benefit()
    definition["pages"][1]["routing"] = [
        {"when": {"question": "resident", "op": "equals", "value": True}, "goto": "applicant"},
        {"when": {"question": "resident", "op": "equals", "value": True}, "goto": "family"},
        {"when": {"question": "resident", "op": "equals", "value": True}, "goto": "nowhere"},
        {"when": {"question": "resident", "op": "equals", "value": True}, "end": {"lv": " "}},
    ]
    found = [(p.page, p.route, p.field, p.code) for p in problems(definition)]
    assert found == [("family", 0, "goto", "goto_earlier"), ("family", 1, "goto", "goto_earlier"),
                     ("family", 2, "goto", "goto_unknown"), ("family", 3, "end_lv", "end_reason")]


def test_a_route_on_a_later_question_is_refused():
    definition = family_benefit()
    definition["pages"][0]["routing"][0]["when"]["question"] = "iban"
    assert [(p.page, p.field, p.code) for p in problems(definition)] == [
        ("applicant", "when_question", "condition_later")]


def test_limits_fit_the_type():
    assert codes(one_question(q("x", "short_text", min="a"))) == [("x", "min", "limit")]
    assert codes(one_question(q("x", "money", min=1.5))) == [("x", "min", "limit")]
    assert codes(one_question(q("x", "money", min="1.005"))) == [("x", "min", "limit")]
    assert codes(one_question(q("x", "number", min=5, max=1))) == [("x", "max", "limit_order")]
    assert codes(one_question(q("x", "date", min="2026-13-01"))) == [("x", "min", "limit")]
    assert codes(one_question(q("x", "date", max="today"))) == []


def test_groups_hold_questions_but_no_groups_or_conditions():
    assert codes(one_question(q("g", "repeating_group"))) == []  # a draft is built step by step
    assert [p.code for p in publish_problems(one_question(q("g", "repeating_group")))] == [
        "group_empty"]
    inner = q("h", "repeating_group", questions=[q("i", "short_text")])
    conditional = q("c", "short_text", condition={"question": "x", "op": "equals", "value": 1})
    found = codes(one_question(q("g", "repeating_group", questions=[inner, conditional])))
    assert ("g.h", "type", "group_nested") in found
    assert ("g.c", "condition_question", "condition_in_group") in found


def test_publishing_needs_a_question_on_every_page():
    definition = copy.deepcopy(family_benefit())
    definition["pages"][1]["questions"] = []
    assert problems(definition) == []
    assert [p.code for p in publish_problems(definition)] == ["empty_page"]
    assert [p.code for p in publish_problems({"format": "durvis-form/1", "pages": []})] == [
        "no_pages"]


def test_length_limits_on_an_address_are_refused_with_a_clear_error():
    from django.utils import translation

    with translation.override("en"):
        found = problems(one_question(q("home", "address", min=5, max=100)))
    assert [(p.field, p.code) for p in found] == [("min", "limit"), ("max", "limit")]
    assert "State Address Register" in found[0].message and "no length" in found[0].message
    assert problems(one_question(q("home", "address", required=True))) == []
