"""Each question type's answers, valid and invalid, checked on the server (A10): the JSON Schema
2020-12 validator with the checks it cannot say (text rule, checksums, E.164, IBAN, money)."""

from __future__ import annotations

import pytest
from django.utils import translation

from durvis.eforms.queries import compile_form, money, parse_page, validate_answers

from .samples import OPTIONS, one_question, q

VALID = [
    (q("x", "short_text"), "Jānis Bērziņš"),
    (q("x", "long_text"), "Rinda\notra rinda\tar tabulāciju"),
    (q("x", "number"), 2.5),
    (q("x", "number", integer=True, min=1, max=10), 10),
    (q("x", "money"), "12.50"),
    (q("x", "money", min="0.01", max="1000.00"), "1000.00"),
    (q("x", "date"), "2026-03-27"),
    (q("x", "single_choice", options=OPTIONS), "b"),
    (q("x", "multiple_choice", options=OPTIONS), ["a", "c"]),
    (q("x", "yes_no"), False),
    (q("x", "email"), "janis@example.lv"),
    (q("x", "phone"), "+37129123456"),
    (q("x", "phone"), "+4915123456789"),
    (q("x", "personal_code"), "32867300679"),  # new format, no birth date
    (q("x", "personal_code"), "16117519997"),
    (q("x", "company_number"), "40003521600"),
    (q("x", "iban"), "LV80BANK0000435195001"),
    (q("x", "file"), {"document_id": 7, "name": "izziņa.pdf"}),
    (q("x", "repeating_group", min=1, max=2, questions=[q("n", "short_text", required=True)]),
     [{"n": "Anna"}, {"n": "Pēteris"}]),
]

INVALID = [
    (q("x", "short_text"), "a\x00b", "control_character"),
    (q("x", "short_text"), "\ud800", "unpaired_surrogate"),
    (q("x", "short_text"), "a" * 201, "max_length"),
    (q("x", "long_text", min=10), "īss", "min_length"),
    (q("x", "short_text"), 5, "type"),
    (q("x", "number"), "5", "type"),
    (q("x", "number", integer=True), 2.5, "integer"),
    (q("x", "number", min=1, max=10), 11, "maximum"),
    (q("x", "number", min=1, max=10), 0, "minimum"),
    (q("x", "money"), 12.5, "type"),  # a float is never money
    (q("x", "money"), "12.505", "money_precision"),
    (q("x", "money"), "12,50", "money"),
    (q("x", "money", min="0.01", max="1000.00"), "1000.01", "maximum"),
    (q("x", "money", min="0.01"), "0.00", "minimum"),
    # Not an amount, with limits to compare it with (was a 500: Decimal's NaN cannot be ordered).
    (q("x", "money", min="0.01", max="1000.00"), "NaN", "money"),
    (q("x", "money", min="0.01", max="1000.00"), "sNaN", "money"),
    (q("x", "money", max="1000.00"), "Infinity", "money"),
    (q("x", "date"), "2026-02-30", "date"),
    (q("x", "date"), "27.03.2026", "date"),
    (q("x", "date", max="today"), "2999-01-01", "maximum"),
    (q("x", "date", min="2000-01-01"), "1999-12-31", "minimum"),
    (q("x", "single_choice", options=OPTIONS), "z", "choice"),
    (q("x", "multiple_choice", options=OPTIONS), ["a", "z"], "choice"),
    (q("x", "multiple_choice", options=OPTIONS), ["a", "a"], "unique"),
    (q("x", "multiple_choice", options=OPTIONS, max=1), ["a", "b"], "max_items"),
    (q("x", "yes_no"), "yes", "type"),
    (q("x", "email"), "janis@", "email"),
    (q("x", "phone"), "29123456", "phone"),  # not E.164: the page's parser adds +371
    (q("x", "phone"), "+3712912345", "phone"),  # one digit short
    (q("x", "personal_code"), "16117519998", "personal_code"),  # wrong check digit
    (q("x", "personal_code"), "40003521600", "personal_code"),  # a company's number
    (q("x", "personal_code"), "1611751999", "personal_code"),
    (q("x", "company_number"), "40003521601", "company_number"),
    (q("x", "company_number"), "16117519997", "company_number"),
    (q("x", "iban"), "LV80BANK0000435195002", "iban"),
    (q("x", "iban"), "XX80BANK0000435195001", "iban"),
    # An address is the register's code, never free text (tests/addresses/test_eform_address.py).
    (q("x", "address"), "Brīvības iela 1, Rīga, LV-1010", "address"),
    (q("x", "address"), "iela\x1b1", "address"),
    (q("x", "file"), {"document_id": "7"}, "type"),
    (q("x", "file"), {"name": "a.pdf"}, "required"),
    (q("x", "repeating_group", max=1, questions=[q("n", "short_text")]),
     [{"n": "A"}, {"n": "B"}], "max_items"),
]


def _errors(question, answer):
    return validate_answers(compile_form(one_question(question)), {"x": answer})


@pytest.mark.parametrize(("question", "answer"), VALID, ids=lambda v: str(v)[:40])
def test_a_valid_answer_passes(question, answer):
    assert _errors(question, answer) == {}


@pytest.mark.parametrize(("question", "answer", "code"), INVALID, ids=lambda v: str(v)[:40])
def test_an_invalid_answer_is_refused_at_the_question(question, answer, code):
    errors = _errors(question, answer)
    assert list(errors) == ["x"] or next(iter(errors)).startswith("x"), errors
    assert next(iter(errors.values())).code == code


def test_a_group_item_is_checked_per_item_and_question():
    group = q("members", "repeating_group", questions=[
        q("n", "short_text", required=True), q("code", "personal_code")])
    errors = validate_answers(compile_form(one_question(group)), {"members": [
        {"n": "Anna", "code": "16117519997"}, {"code": "16117519998"}, {"n": "X", "z": 1}]})
    assert {k: e.code for k, e in errors.items()} == {
        "members.1.n": "required", "members.1.code": "personal_code", "members.2.z": "unknown"}


def test_errors_are_in_the_users_language_and_the_questions_own_text():
    question = q("x", "iban", error={"lv": "Ievadiet kontu.", "en": "Enter the account."})
    form = compile_form(one_question(question))
    with translation.override("en"):
        assert validate_answers(form, {"x": "LV00"})["x"].message == "Enter the account."
    assert validate_answers(form, {"x": "LV00"})["x"].message == "Ievadiet kontu."
    plain = compile_form(one_question(q("x", "short_text", required=True)))
    with translation.override("en"):
        assert validate_answers(plain, {})["x"].message == "Enter an answer."
    assert validate_answers(plain, {})["x"].message == "Ievadiet atbildi."


def test_money_is_exact():
    assert money("0.10") + money("0.20") == money("0.30")


@pytest.mark.parametrize(("kind", "typed", "stored"), [
    ("money", "1 234,50 €", "1234.50"), ("money", "12", "12.00"), ("money", "1,005", "1.005"),
    ("number", "2,5", 2.5), ("number", "3", 3), ("date", "27.03.2026", "2026-03-27"),
    ("phone", "29 123 456", "+37129123456"), ("phone", "+49 151 23456789", "+4915123456789"),
    ("personal_code", "161175-19997", "16117519997"), ("iban", "lv80 bank 0000 4351 9500 1",
                                                        "LV80BANK0000435195001"),
    ("yes_no", "no", False), ("short_text", "  Anna  ", "Anna"),
    ("money", "-0", "0.00"), ("number", "-0", 0),
    # Only ASCII digits are read: an exponent, NaN or another script's digits stay as typed
    # (and are refused for the type).
    ("money", "1e3", "1e3"), ("money", "\uff11\uff12", "\uff11\uff12"), ("money", "NaN", "NaN"),
    ("number", "1e3", "1e3"), ("number", "\u0661\u0662", "\u0661\u0662"), ("number", "nan", "nan"),
])
def test_what_people_type_becomes_the_stored_answer(kind, typed, stored):
    form = compile_form(one_question(q("x", kind)))
    assert parse_page(form, "p1", {"x": typed}) == {"x": stored}


def test_a_page_parses_groups_and_several_choices():
    form = compile_form(one_question(q("g", "repeating_group", questions=[
        q("n", "short_text"), q("c", "multiple_choice", options=OPTIONS)])))
    data = {"g-count": "3", "g-0-n": "Anna", "g-0-c": ["a", "b"], "g-1-n": "", "g-2-n": "Ēriks"}
    assert parse_page(form, "p1", data) == {"g": [{"n": "Anna", "c": ["a", "b"]}, {"n": "Ēriks"}]}


@pytest.mark.parametrize("typed", ["NaN", "nan", "sNaN", "Infinity", "1e3", "\uff11\uff12"])
def test_an_amount_not_written_in_digits_is_refused_on_the_page(typed):
    form = compile_form(one_question(q("x", "money", min="0.01", max="1000.00")))
    errors = _errors(q("x", "money", min="0.01", max="1000.00"),
                     parse_page(form, "p1", {"x": typed})["x"])
    assert next(iter(errors.values())).code == "money"
