"""E-form validation (A10): how long the server takes to check one whole answer set of a
30-question form, the way the application journey checks it before submitting.

The form has 30 questions of every type (texts, numbers, money, dates, choices, yes/no,
e-mail, phone, personal codes, company number, IBAN, address, a file, a repeating group of
3 family members with codes and dates), conditions and a route. The answer set is valid, so
every check runs (an invalid one stops no earlier: every question is checked anyway).

Figures: `forms.validate_p95_us` (wall clock; target under 2,000 µs), `forms.validate_p50_us`,
`forms.validate_cpu_p95_us` (the process's CPU time: what the validation costs, without the
time a busy machine gave other processes), and
`forms.validate_p95_ratio_vs_schema_only`: against plain `jsonschema` Draft 2020-12 on the
same answers' schema in the same run (no text rule, checksums, IBAN, phone, conditions), i.e.
what the platform's own checks add. The definition is compiled once, as a published version
is, and the first compilation is timed too (`forms.compile_ms`). Pure CPU: no database query.
Run by `bench/run.py`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

ROUNDS = 3000
WARM_UP = 200


def _t(lv: str) -> dict[str, str]:
    return {"lv": lv, "en": lv}


def _q(key: str, kind: str, **more: Any) -> dict[str, Any]:
    return {"key": key, "type": kind, "label": _t(key), **more}


OPTIONS = [{"value": v, "label": _t(v)} for v in ("a", "b", "c", "d")]


def definition() -> dict[str, Any]:
    """30 top-level questions on three pages."""
    first = [
        _q("name", "short_text", required=True), _q("surname", "short_text", required=True),
        _q("code", "personal_code", required=True), _q("born", "date", required=True, max="today"),
        _q("email", "email", required=True), _q("phone", "phone", required=True),
        _q("address", "address", required=True), _q("resident", "yes_no", required=True),
        _q("status", "single_choice", options=OPTIONS, required=True),
        _q("languages", "multiple_choice", options=OPTIONS, max=3),
    ]
    second = [
        _q("has_family", "yes_no", required=True),
        _q("family", "repeating_group", min=1, max=10, required=True,
           condition={"question": "has_family", "op": "equals", "value": True},
           questions=[_q("member_name", "short_text", required=True),
                      _q("member_code", "personal_code", required=True),
                      _q("member_born", "date", max="today")]),
        _q("children", "number", integer=True, min=0, max=20),
        _q("income", "money", min="0.00", max="100000.00", required=True),
        _q("other_income", "money"), _q("rent", "money"),
        _q("employer", "company_number"), _q("employer_name", "short_text"),
        _q("since", "date"), _q("hours", "number", min=0, max=80),
    ]
    third = [
        _q("iban", "iban", required=True), _q("bank_owner", "short_text"),
        _q("proof", "file", required=True), _q("reason", "long_text", max=5000),
        _q("contact_email", "email"), _q("contact_phone", "phone"),
        _q("preferred", "single_choice", options=OPTIONS),
        _q("consent", "yes_no", required=True), _q("remarks", "long_text"),
        _q("signature_place", "short_text"),
    ]
    return {"format": "durvis-form/1", "pages": [
        {"key": "about", "title": _t("Par jums"), "questions": first, "routing": [
            {"when": {"question": "resident", "op": "equals", "value": False},
             "end": _t("Tikai iedzīvotājiem.")}]},
        {"key": "family", "title": _t("Ģimene"), "questions": second},
        {"key": "payment", "title": _t("Izmaksa"), "questions": third},
    ]}


ANSWERS: dict[str, Any] = {
    "name": "Anna", "surname": "Bērziņa", "code": "161175-19997".replace("-", ""),
    "born": "1975-11-16", "email": "anna@example.lv", "phone": "+37129123456",
    "address": "Brīvības iela 1-5, Rīga, LV-1010", "resident": True, "status": "b",
    "languages": ["a", "c"], "has_family": True,
    "family": [{"member_name": "Jānis", "member_code": "32867300679", "member_born": "2010-05-01"},
               {"member_name": "Līga", "member_code": "16117519997"},
               {"member_name": "Pēteris", "member_code": "32503511782"}],
    "children": 2, "income": "1234.56", "other_income": "0.00", "rent": "350.00",
    "employer": "40003521600", "employer_name": "SIA Piemērs", "since": "2015-01-01",
    "hours": 40, "iban": "LV80BANK0000435195001", "bank_owner": "Anna Bērziņa",
    "proof": {"document_id": 17, "name": "izziņa.pdf"},
    "reason": "Lūdzu piešķirt pabalstu.\nPaldies.", "contact_email": "janis@example.lv",
    "contact_phone": "+37167123456", "preferred": "a", "consent": True,
    "remarks": "Nav.", "signature_place": "Rīga",
}


def _time_us(run: Any, rounds: int, clock: Any = time.perf_counter_ns) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = clock()
        run()
        samples.append((clock() - started) / 1000)
    return samples


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "durvis.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(harness.SRC))
    import django

    django.setup()
    from django.utils import translation
    from jsonschema import Draft202012Validator

    from durvis.eforms.queries import compile_form, problems, validate_answers

    document = definition()
    assert problems(document) == [], problems(document)
    assert sum(len(p["questions"]) for p in document["pages"]) == 30
    started = time.perf_counter()
    form = compile_form(document)
    compile_ms = (time.perf_counter() - started) * 1000
    plain = Draft202012Validator(form.schema)
    documents = {17}
    with translation.override("lv"):
        errors = validate_answers(form, ANSWERS, documents=documents)
        assert errors == {}, errors
        _time_us(lambda: validate_answers(form, ANSWERS, documents=documents), WARM_UP)
        ours = _time_us(lambda: validate_answers(form, ANSWERS, documents=documents), ROUNDS)
        cpu = _time_us(lambda: validate_answers(form, ANSWERS, documents=documents), ROUNDS,
                       time.process_time_ns)
        _time_us(lambda: list(plain.iter_errors(ANSWERS)), WARM_UP)
        schema_only = _time_us(lambda: list(plain.iter_errors(ANSWERS)), ROUNDS)
    p95 = harness.percentile(ours, 0.95)
    harness.note(f"eforms: {ROUNDS} validations of a 30-question answer set")
    harness.emit("forms.validate_p95_us", p95)
    harness.emit("forms.validate_p50_us", harness.percentile(ours, 0.5))
    harness.emit("forms.validate_cpu_p95_us", harness.percentile(cpu, 0.95))
    harness.emit("forms.validate_p95_ratio_vs_schema_only",
                 p95 / harness.percentile(schema_only, 0.95))
    harness.emit("forms.compile_ms", compile_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
