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

Then submitting (A10, B1), on a throwaway PostgreSQL database (`harness.bench_database`, as
`make bench` runs it): a signed-in client's draft of the same form, every page done, with one
attachment (a PDF stored through the documents service), is submitted through HTTP (Django's
request handler in this process: middleware, session, role, CSRF off as for a test client) —
the row lock, the whole validation, the case opened in the register, the attachment linked,
the PDF copy rendered by WeasyPrint and stored, the event, the audit rows. Figures:
`forms.submit_p95_ms` and `forms.submit_p95_ratio_vs_page`: against a GET of the same draft's
"Check your answers" page in the same run (target <= 3).
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
SUBMITS = int(os.environ.get("BENCH_FORMS_SUBMITS", "40"))


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
    with harness.bench_database("durvis_bench_eforms") as url:
        os.environ.update(harness.child_env(url))
        sys.path.insert(0, str(harness.SRC))
        import django

        django.setup()
        validation()
        submitting()
    return 0


def validation() -> None:
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


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
       b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n")


def submitting() -> None:
    """Submit SUBMITS drafts through HTTP; each preceded by a GET of its check page."""
    from django.test import Client
    from django.urls import reverse

    from durvis.catalog import services as catalog
    from durvis.core.actor import Actor
    from durvis.documents import services as documents
    from durvis.eforms import services as eforms
    from durvis.eforms.models import Application
    from durvis.identity import services as identity
    from durvis.identity.sessions import PERSON_KEY, mark_signed_in
    from durvis.web.roles import ClientRole

    holder = identity.record_institution(code="VSAA", names={"lv": "VSAA", "en": "VSAA"},
                                         kind="state")
    service, _changed = catalog.import_service(9011, holder, {
        "name_lv": "Pabalsts", "name_en": "Benefit", "audience": "residents",
        "status": "published", "application_channels": ["eaccount"],
        "result_channels": ["eaccount"]}, {})
    builder = identity.record_staff(username="bench.forms", password="pw-bench-forms-long-1",
                                    institution=holder, roles=["form_builder"])
    eforms.load_definition(Actor(kind="staff", staff=builder), service, definition(),
                           publish_it=True)
    person = identity.record_person(personal_code=ANSWERS["code"], given_name="Anna",
                                    family_name="Bērziņa", email="anna@example.lv")
    for code in ("32867300679", "32503511782"):
        identity.record_person(personal_code=code, given_name="X", family_name="Y")
    actor = Actor(kind="person", person=person)
    browser = Client()
    session = browser.session
    session[PERSON_KEY] = person.pk
    mark_signed_in(session)
    session.save()
    pages, submits = [], []
    for round_ in range(SUBMITS + 3):
        draft = eforms.start_application(
            actor, ClientRole("self", person=person), service,
            prefill={k: v for k, v in ANSWERS.items() if k != "proof"})
        proof = documents.store_document(actor, client=person, name="izzina.pdf", content=PDF,
                                         content_type="application/pdf", title="Izziņa",
                                         direction="sent")
        Application.objects.filter(pk=draft.pk).update(
            answers={**draft.answers, "proof": {"document_id": proof.pk, "name": "izzina.pdf"}},
            pages_done=["about", "family", "payment"])
        check = reverse("eforms:check", args=[draft.reference])
        started = time.perf_counter()
        response = browser.get(check)
        page_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        started = time.perf_counter()
        response = browser.post(check, {"opened_as": "self", "result_channel": "eaccount",
                                        "declaration": "yes"})
        submit_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 302, response.content[:2000]
        if round_ >= 3:  # the first ones load WeasyPrint's fonts and warm the caches
            pages.append(page_ms)
            submits.append(submit_ms)
    p95 = harness.percentile(submits, 0.95)
    harness.note(f"eforms: {SUBMITS} submits of a 30-question form with one attachment")
    harness.emit("forms.submit_p95_ms", p95)
    harness.emit("forms.submit_p50_ms", harness.percentile(submits, 0.5))
    harness.emit("forms.check_page_p95_ms", harness.percentile(pages, 0.95))
    harness.emit("forms.submit_p95_ratio_vs_page", p95 / harness.percentile(pages, 0.95))


if __name__ == "__main__":
    sys.exit(main())
