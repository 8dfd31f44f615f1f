"""Conditions and routing (A10): questions shown or required on earlier answers, pages skipped,
the form ended with a reason; answers to hidden questions refused or stripped."""

from __future__ import annotations

from django.utils import translation

from durvis.eforms.queries import (
    compile_form,
    next_page,
    parse_page,
    required_questions,
    strip_hidden,
    validate_answers,
    validate_page,
    visible_questions,
    walk,
)

from .samples import family_benefit

FORM = compile_form(family_benefit())
WITH_CHILDREN = {"name": "Anna", "resident": True, "has_children": True, "children_count": 2,
                 "email": "anna@example.lv",
                 "members": [{"member_name": "Jānis", "member_code": "161175-19997"}],
                 "iban": "LV80BANK0000435195001"}


def keys(questions):
    return [question.key for question in questions]


def test_a_question_shows_on_an_earlier_answer():
    assert "children_count" not in keys(visible_questions(FORM, {"has_children": False}))
    assert "children_count" in keys(visible_questions(FORM, {"has_children": True}))
    assert "children_count" not in keys(visible_questions(FORM, {}))  # unanswered: hidden


def test_a_question_is_required_on_an_earlier_answer():
    assert "email" not in required_questions(FORM, {"has_children": False})
    assert "email" in required_questions(FORM, {"has_children": True})
    errors = validate_page(FORM, {"name": "A", "resident": True, "has_children": True},
                           "applicant")
    assert errors["email"].code == "required"


def test_a_route_skips_to_a_later_page():
    assert next_page(FORM, {"resident": True, "has_children": False}, "applicant").page == "payment"
    assert next_page(FORM, {"resident": True, "has_children": True}, "applicant").page == "family"
    assert walk(FORM, {"resident": True, "has_children": False}).pages == ["applicant", "payment"]
    assert next_page(FORM, WITH_CHILDREN, "payment").done


def test_a_route_ends_the_form_with_the_reason_in_the_users_language():
    answers = {"name": "Anna", "resident": False, "has_children": True}
    step = next_page(FORM, answers, "applicant")
    assert step.ineligible and step.page is None
    assert step.reason == "Pabalstu var saņemt tikai Latvijas iedzīvotāji."
    with translation.override("en"):
        assert next_page(FORM, answers, "applicant").reason.startswith("Only residents")
        errors = validate_answers(FORM, answers)
    assert errors["__all__"].code == "not_eligible"


def test_a_whole_answer_set_is_valid_and_complete():
    assert validate_answers(FORM, {**WITH_CHILDREN, "members": [
        {"member_name": "Jānis", "member_code": "16117519997"}]}) == {}


def test_skipped_pages_questions_are_hidden_and_their_answers_refused_or_stripped():
    answers = {**WITH_CHILDREN, "has_children": False}
    answers.pop("children_count")
    answers.pop("email")
    errors = validate_answers(FORM, answers)
    assert errors["members"].code == "hidden"  # on a page the route skipped
    assert "members" not in strip_hidden(FORM, answers)
    assert validate_answers(FORM, strip_hidden(FORM, answers)) == {}


def test_an_answer_nobody_asked_is_refused():
    errors = validate_answers(FORM, {**WITH_CHILDREN, "admin": True})
    assert errors["admin"].code == "unknown"


def test_required_questions_and_the_group_minimum():
    errors = validate_answers(FORM, {"resident": True, "has_children": True})
    assert {k: e.code for k, e in errors.items()}.items() >= {
        "name": "required", "members": "required", "iban": "required", "email": "required"}.items()


def test_a_page_is_validated_on_its_own_from_posted_fields():
    data = {"name": "Anna", "resident": "yes", "has_children": "yes", "children_count": "0",
            "phone": "2912345", "email": "anna@"}
    answers = parse_page(FORM, "applicant", data)
    errors = validate_page(FORM, answers, "applicant")
    assert {k: e.code for k, e in errors.items()} == {
        "phone": "phone", "children_count": "minimum", "email": "email"}
    assert list(errors) == ["phone", "children_count", "email"]  # the form's order


def test_conditions_see_only_visible_answers():
    # The answer to children_count stays in the draft after has_children turned to no, but a
    # hidden question's answer never decides a later condition.
    answers = {"resident": True, "has_children": False, "children_count": 3}
    assert "children_count" not in walk(FORM, answers).visible


def test_file_answers_are_checked_against_the_applicants_documents():
    from durvis.eforms.queries import file_answers

    from .samples import one_question, q

    form = compile_form(one_question(q("proof", "file", required=True)))
    answers = {"proof": {"document_id": 5, "name": "a.pdf"}}
    assert file_answers(form, answers) == [("proof", 5)]
    assert validate_answers(form, answers, documents={5, 6}) == {}
    assert validate_answers(form, answers, documents={6})["proof"].code == "document"
