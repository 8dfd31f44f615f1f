"""The text rule through the API (issues 10 and 12): control characters, text of only invisible
characters and (in lines) bidirectional controls are refused with a 422 naming the field on
every endpoint, never a 500 (PostgreSQL cannot store U+0000 nor encode a lone surrogate) and
never stored (SQLite would); text is stored in Normalization Form C. The forms' side is in
tests/core/test_forms.py and tests/core/test_text_rule.py."""

from __future__ import annotations

import base64
import copy
import importlib
import inspect
import itertools
import json
import pkgutil
import re
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

import durvis
from durvis.api import api
from durvis.core.forms import Form, ModelForm, QueryForm, guard_text_fields
from durvis.documents.models import Document
from durvis.identity import services as identity
from durvis.integrations.models import IdempotencyRecord
from durvis.messaging.models import InboxMessage, Thread
from durvis.payments.models import Invoice
from durvis.register.models import CaseEvent, Consultation, ServiceCase
from tests.documents.samples import PDF
from tests.eforms.submitted import delivery_files, submit_application  # noqa: F401

NUL = "a\x00b"
ZERO_WIDTH_SUBJECT = "\u200b\u200b\u200b"
RLO_NAME = "Iesniegums \u202eexe.fdp"
BIDI_CONTROLS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
                 "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]
ALL_SCOPES = ("cases:read", "cases:write", "consultations:write", "messages:read",
              "messages:write", "applications:read", "applications:prefill", "invoices:read",
              "invoices:write", "payments:write", "events:read", "appointments:read",
              "appointments:write")


def event(**fields):
    """A status event the holder's system may post about a case made just now."""
    return {"status": "in_progress", "occurred_at": timezone.now().isoformat(), **fields}


@pytest.fixture
def system(api_client_factory, family, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DURVIS_MALWARE_SCANNER = "durvis.documents.scanning.eicar"
    return api_client_factory("VSAA", operations=ALL_SCOPES)


def valid_requests(family):
    """A request every operation of the API accepts, by operation id: (path parameters, query,
    body). A new operation needs one here (the walk below says so)."""
    number = family["own"].number.replace(" ", "-")
    parent = family["parent"].personal_code
    new_case = {"service_code": 1011, "identification": "identified_by_agent",
                "application_channel": "centre", "acted_by": "agent", "personal_code": parent,
                "registration_number": "", "client_phone": "", "representative_code": "",
                "mandate_reference": "", "result_channel": "eaccount", "provider_code": "",
                "service_point": "Rīga", "holder_reference": "R-1", "holder_status": "",
                "note": "Piezīme"}
    status_event = event(holder_status="", note="", event_id="E-1")
    return {
        "listServices": ({}, {"q": "pabalsts"}, None),
        "getService": ({"code": "1011"}, {}, None),
        "listCategories": ({}, {}, None),
        "listLifeSituations": ({}, {}, None),
        "listInstitutions": ({}, {}, None),
        "createCase": ({}, {}, new_case),
        "listCases": ({}, {}, None),
        "getCase": ({"number": number}, {}, None),
        "postCaseEvent": ({"number": number}, {}, status_event),
        "postCaseEvents": ({}, {}, {"events": [
            {**status_event, "case_number": family["own"].number}]}),
        "postCaseResult": ({"number": number}, {}, {
            "occurred_at": timezone.now().isoformat(), "title": "Lēmums", "reference": "R",
            "note": "", "event_id": ""}),
        "acknowledgeCase": ({"number": number}, {}, None),
        "createConsultation": ({}, {}, {
            "channel": "phone", "identification": "anonymous", "outcome": "answered",
            "occurred_at": "2026-11-21T10:00:00Z", "topic": "Adrese", "personal_code": "",
            "registration_number": "", "client_phone": "", "agent_reference": "A-1",
            "case_number": ""}),
        "whoAmI": ({}, {}, None),
        "listEvents": ({}, {}, None),
        "getAsyncApi": ({}, {}, None),
        "postCaseDocument": ({"number": number}, {}, {"title": "Lēmums"}),
        "getDocument": ({"document_id": "1"}, {}, None),
        "sendMessage": ({}, {}, {
            "personal_code": parent, "registration_number": "", "subject": "Temats",
            "body": "Teksts", "case_number": "", "attachments": [{
                "name": "a.txt", "content_type": "text/plain", "title": "Pielikums",
                "content": base64.b64encode(b"Teksts").decode()}]}),
        "listReplies": ({}, {}, None),
        "getMessage": ({"message_id": "1"}, {}, None),
        "listApplications": ({}, {}, None),
        "getApplication": (
            {"reference": "5b0e2c4e-8d1f-4c1e-9a6a-0d6f3f6a2b11"}, {}, None),
        "getApplicationAttachment": (
            {"reference": "5b0e2c4e-8d1f-4c1e-9a6a-0d6f3f6a2b11", "document_id": "1"}, {}, None),
        "createPrefill": ({}, {}, {
            "service_code": 1011, "answers": {"name": "Jānis"},
            "return_url": "https://e.vsaa.gov.lv/atpakal", "personal_code": ""}),
        # Invoices (issue 14): the valid requests' numbers are those `issued_invoices` gives.
        "createInvoice": ({}, {}, {
            "case_number": family["own"].number, "due_date": None, "payer_name": "Jānis",
            "language": "lv", "origin": "external", "holder_number": "R-2026-1",
            "reference": "RF18 5390 0754 7034", "lines": [{
                "kind": "fee", "description": "Ekspertīze", "quantity": "1",
                "unit_price": "7.11", "vat_rate": "21"}]}),
        "listInvoices": ({}, {"case_number": "1011-13", "state": "issued"},
                                              None),
        "getInvoice": ({"number": "1011-13-01"}, {}, None),
        "postInvoicePayment": ({"number": "1011-13-01"}, {}, {
            "amount": "7.11", "paid_at": "2026-11-20T10:00:00+02:00", "payment_id": "FS-1",
            "bank_reference": "2026112000012345", "payer_name": "Jānis Bērziņš"}),
        "cancelInvoice": ({"number": "1011-13-01"}, {}, {"reason": "Atsaukts"}),
        "creditInvoice": ({"number": "1011-13-01"}, {}, {"reason": "Nesniegts"}),
        # A camt file is the raw body (its text is checked by the reader: tests/payments).
        "postStatement": ({}, {}, None),
        "getStatement": ({"statement_id": 1}, {}, None),
        "listAddresses": ({}, {"q": "barona 1 riga"}, None),
        # Service points and appointments (issue 18): the ids are `booked_appointment`'s.
        "listServicePoints": ({}, {"service": 1011, "near": "56,95; 24,11"}, None),
        "getServicePoint": ({"point_id": "1"}, {}, None),
        "listAppointments": ({}, {"from": "2026-11-20T00:00:00Z",
                                  "to": "2026-12-20T00:00:00Z", "state": "booked"}, None),
        "getAppointment": ({"uid": "5b0e2c4e-8d1f-4c1e-9a6a-0d6f3f6a2b11@durvis"}, {}, None),
        "cancelAppointment": ({"uid": "5b0e2c4e-8d1f-4c1e-9a6a-0d6f3f6a2b11@durvis"}, {}, None),
    }


def booked_appointment(family):
    """A VSAA office with a calendar of the family's service and the parent's booking there,
    for the appointments' valid requests: {"point_id", "uid"} (ids differ on PostgreSQL)."""
    from decimal import Decimal

    from durvis.calendars import ics
    from durvis.calendars import queries as calendar_queries
    from durvis.calendars import services as calendars
    from durvis.calendars.models import Calendar
    from durvis.core.actor import Actor
    from durvis.servicepoints.models import ServicePoint

    case = family["own"]
    point = ServicePoint.objects.create(
        institution=case.holder, name="VSAA Rīgas nodaļa", kind="institution_office",
        address="Lāčplēša iela 70a, Rīga", town="Rīga", latitude=Decimal("56.954"),
        longitude=Decimal("24.128"), hours="mon-sun 00:00-24:00")
    calendar = Calendar.objects.create(point=point, service=case.service, lead_minutes=0)
    day = calendar_queries.bookable_days(calendar)[0]
    booking = calendars.book(Actor(kind="person", person=family["parent"]), calendar,
                             calendar_queries.free_slots(calendar, day)[0].starts_at,
                             family["parent"])
    return {"point_id": str(point.pk), "uid": ics.uid_of(booking)}


def issued_invoices(family):
    """Invoices of the family's case for the walk's valid requests, issued by a finance
    specialist of VSAA into a payee account: by the operation each is for."""
    from durvis.core.actor import Actor
    from durvis.identity.models import Institution
    from durvis.payments import services as payments

    vsaa = Institution.objects.get(code="VSAA")
    payments.save_payee_account(Actor(kind="system"), vsaa, name="VSAA",
                                iban="LV71TREL9140401016000", bic="TRELLV22")
    finance = Actor(kind="staff", staff=identity.record_staff(
        username="finance.walk", password="pw-finance-walk-long", institution=vsaa,
        roles=["finance"]))
    new = payments.NewInvoice(kind="postpayment", lines=[payments.NewLine(
        kind="fee", description="Ekspertīze", unit_price="7.11")])
    return {use: payments.issue_invoice(finance, family["own"].number, new).number
            for use in ("read", "payments", "cancel", "credit")}


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _takes_text(schema, node):
    node = _resolve(schema, node)
    if node.get("format") == "binary":
        return False  # a file's content; its name is tested on its own
    return (node.get("type") == "string" or "enum" in node
            or any(_takes_text(schema, branch) for branch in node.get("anyOf", [])))


def text_places(schema, node, place=()):
    """The place (keys and list indexes) of every text value a request body schema takes, at
    any depth (the first item of a list), with its schema."""
    node = _resolve(schema, node)
    if _takes_text(schema, node):
        yield place, node
    for name, child in node.get("properties", {}).items():
        yield from text_places(schema, child, (*place, name))
    if node.get("type") == "array":
        yield from text_places(schema, node["items"], (*place, 0))
    for branch in node.get("anyOf", []):
        if _resolve(schema, branch).get("type") in ("object", "array"):
            yield from text_places(schema, branch, place)


def free_text(schema, node):
    """Whether any text is valid there as far as the schema says (no enum, pattern or format
    refuses it first)."""
    node = _resolve(schema, node)
    branches = node.get("anyOf") or [node]
    return any(not ({"enum", "pattern", "format", "const"} & set(_resolve(schema, b)))
               and _resolve(schema, b).get("type") == "string" for b in branches)


def operations():
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield schema, path.removeprefix("/api/v1"), method, operation


def send(http, method, path, path_params, query, body, content_type, **headers):
    url = "/api/v1" + path.format(**path_params)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    if method == "get":
        return http.get(url, **extra)
    if content_type == "multipart/form-data":
        upload = SimpleUploadedFile("lēmums.pdf", PDF,
                                    content_type="application/pdf")
        return http.post(url, {**(body or {}), "file": upload}, **extra)
    return http.post(url, json.dumps(body or {}), content_type="application/json", **extra)


def with_text_at(body, place, value):
    body = copy.deepcopy(body) if body is not None else {}
    target = body
    for step, following in itertools.pairwise(place):
        if isinstance(target, list):
            while len(target) <= step:
                target.append({})
        elif step not in target:
            target[step] = [] if isinstance(following, int) else {}
        target = target[step]
    target[place[-1]] = value
    return body


def nothing_stored():
    return not (CaseEvent.objects.exclude(kind="status", status="received").exists()
                or ServiceCase.objects.count() > 4 or Consultation.objects.exists()
                or Document.objects.exists() or InboxMessage.objects.exists()
                or IdempotencyRecord.objects.exists() or Invoice.objects.exists())


def walk(system, family, text):
    """Walks the OpenAPI schema: every path parameter, query parameter and text property of
    every request body, at any depth, gets `text` in an otherwise valid request. Yields each
    (path, source, place, schema node, paragraphs?, response)."""
    valid = valid_requests(family)
    for schema, path, method, operation in operations():
        path_params, query, body = valid.pop(operation["operationId"])
        places = []
        for parameter in operation.get("parameters", []):
            places.append((parameter["in"], (parameter["name"],), parameter["schema"]))
        content = operation.get("requestBody", {}).get("content", {})
        content_type = next(iter(content), None)
        if content_type:
            places += [("body", place, node) for place, node in
                       text_places(schema, content[content_type]["schema"])]
        for source, place, node in places:
            if source == "path":
                request = ({**path_params, place[0]: quote(text)}, query, body)
            elif source == "query":
                request = (path_params, {**query, place[0]: quote(text)}, body)
            else:
                request = (path_params, query, with_text_at(body, place, text))
            response = send(system, method, path, *request, content_type)
            paragraphs = _resolve(schema, node).get("x-text") == "paragraphs"
            yield path, source, place, node, schema, paragraphs, response
    assert not valid, f"operations no longer in the API: {sorted(valid)}"


# Places whose own validator refuses any text it cannot parse, before the text rule runs.
VALIDATED_FIRST = {("query", ("since",)), ("query", ("after",))}


def refused_at(response, source, place, type_, schema, node):
    """The request was refused with a 422 naming the place, with `type_` where nothing in the
    schema refuses the text first."""
    assert response.status_code == 422, (source, place, response.content)
    errors = {tuple(error["loc"]): error["type"] for error in response.json()["detail"]}
    assert (source, *place) in errors, (place, errors)
    if free_text(schema, node) and (source, place) not in VALIDATED_FIRST:
        assert errors[(source, *place)] == type_, (place, errors)


def test_a_nul_in_any_text_of_any_operation_is_a_422_naming_it(system, family):
    tried = set()
    for path, source, place, node, schema, _paragraphs, response in walk(system, family, NUL):
        refused_at(response, source, place, "control_character", schema, node)
        tried.add((path, source, place))
    assert ("/case-events", "body", ("events", 0, "note")) in tried
    assert ("/messages", "body", ("attachments", 0, "name")) in tried
    assert ("/cases/{number}/documents", "body", ("title",)) in tried
    assert nothing_stored()


@pytest.mark.parametrize("text", [ZERO_WIDTH_SUBJECT, " \u200b\u00ad\ufeff ", "\u3164\u2060"])
def test_text_of_only_invisible_characters_anywhere_is_a_422_naming_it(system, family, text):
    """The subject that made an inbox link nobody could see, and its siblings, in every text
    of every operation: paragraphs too (a note of nothing is no note)."""
    tried = set()
    for path, source, place, node, schema, _paragraphs, response in walk(system, family, text):
        refused_at(response, source, place, "only_invisible", schema, node)
        tried.add((path, source, place))
    assert ("/messages", "body", ("subject",)) in tried
    assert ("/messages", "body", ("body",)) in tried
    assert nothing_stored()


@pytest.mark.parametrize("text", [RLO_NAME, "\u2067Iesniegums\u2069", "Iesniegums\u200f.pdf"])
def test_a_bidi_control_in_any_line_of_any_operation_is_a_422_naming_it(system, family, text):
    """The right-to-left override that showed "Iesniegums \u202eexe.fdp" as "Iesniegums
    pdf.exe", and its siblings, in every line of every operation (names, subjects, titles,
    file names, references, parameters); only the paragraphs the schema marks (`x-text`)
    take them."""
    lines, paragraphs = set(), set()
    for path, source, place, node, schema, in_paragraph, response in walk(system, family, text):
        if in_paragraph:
            problems = response.json().get("detail", []) if response.status_code == 422 else []
            assert "bidi_control" not in {p["type"] for p in problems}, (place, problems)
            paragraphs.add((path, place))
        else:
            refused_at(response, source, place, "bidi_control", schema, node)
            lines.add((path, source, place))
    assert ("/messages", "body", ("subject",)) in lines
    assert ("/messages", "body", ("attachments", 0, "name")) in lines
    assert ("/cases/{number}/documents", "body", ("title",)) in lines
    assert paragraphs == {("/cases", ("note",)), ("/cases/{number}/events", ("note",)),
                          ("/case-events", ("events", 0, "note")),
                          ("/cases/{number}/result", ("note",)), ("/messages", ("body",))}


def submitted_application(request, family):
    """An application submitted to 1011 (its e-form published) and the settings a prefill
    needs: the e-forms operations of the walk are valid for them."""
    application = request.getfixturevalue("submit_application")(family["parent"])
    request.getfixturevalue("settings").DURVIS_WEBHOOK_ALLOW_INTERNAL = True
    vsaa = application.service.holder
    vsaa.website = "https://www.vsaa.gov.lv"
    vsaa.save()
    return {"reference": str(application.reference),
            "document_id": str(application.answers["certificate"]["document_id"])}


def test_the_valid_requests_of_the_walk_are_accepted(request, system, family):
    """The walk proves something only if its requests are otherwise valid."""
    valid = valid_requests(family)
    application = submitted_application(request, family)
    invoices = issued_invoices(family)
    appointment = booked_appointment(family)
    for _schema, path, method, operation in operations():
        content = operation.get("requestBody", {}).get("content", {})
        if operation["operationId"] == "postStatement":
            continue  # a camt file, not JSON: accepted in tests/payments/test_statement_api.py
        path_values, query, body = valid[operation["operationId"]]
        if "reference" in path_values or "document_id" in path_values:  # ids differ on PostgreSQL
            path_values = {**path_values, **{k: application[k] for k in path_values}}
        if "message_id" in path_values:  # the newest message (ids do not restart on PostgreSQL)
            from durvis.messaging.models import InboxMessage

            newest = InboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
            path_values = {**path_values, "message_id": str(newest)}
        if path == "/statements/{statement_id}":  # an import of the client's institution
            from durvis.identity.models import Institution
            from durvis.payments.models import BankStatement

            statement = BankStatement.objects.create(
                institution=Institution.objects.get(code="VSAA"), message_id="M",
                message_type="camt.054.001.08", sha256="0" * 64)
            path_values = {"statement_id": str(statement.pk)}
        if "point_id" in path_values or "uid" in path_values:
            path_values = {k: appointment[k] for k in path_values}
        if path.startswith("/invoices/{number}"):  # an invoice of its own for each write
            path_values = {"number": invoices[path.rpartition("/")[2].replace("{number}",
                                                                              "read")]}
        response = send(system, method, path, path_values, query, body, next(iter(content), None))
        assert response.status_code in (200, 201), (path, response.content)


@pytest.mark.parametrize("character", [
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"])
def test_every_control_character_is_refused(system, family, character):
    number = family["own"].number.replace(" ", "-")
    response = send(system, "post", f"/cases/{number}/events", {}, {},
                    event(note=f"pirms{character}pēc"), None)
    assert response.status_code == 422, response.content
    assert response.json()["detail"] == [{
        "loc": ["body", "note"], "type": "control_character",
        "msg": response.json()["detail"][0]["msg"]}]
    assert f"U+{ord(character):04X}" in response.json()["detail"][0]["msg"]
    assert nothing_stored()


@pytest.mark.parametrize("text", [
    "rinda\nrinda", "rinda\r\nrinda", "kolonna\tkolonna", "rinda\u2028rinda",
    "Ā ē ī ū č ģ ķ ļ ņ š ž", "🙂 ‍ ‏", "\ufeffBOM"])
def test_tabs_line_breaks_and_other_characters_are_text(system, family, text):
    number = family["own"].number.replace(" ", "-")
    response = send(system, "post", f"/cases/{number}/events", {}, {},
                    event(note=text), None)
    assert response.status_code == 201, response.content
    assert CaseEvent.objects.get(case=family["own"], status="in_progress").note == text


def test_a_lone_surrogate_is_refused(system, family):
    number = family["own"].number.replace(" ", "-")
    for body in ('{"status": "in_progress", "occurred_at": "2026-11-21T10:00:00Z", '
                 '"note": "a\\ud800b"}',
                 '{"status": "in_progress", "occurred_at": "2026-11-21T10:00:00Z", '
                 '"note\\udfff": "x"}'):
        response = system.post(f"/api/v1/cases/{number}/events", body,
                               content_type="application/json")
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["loc"][:2] == ["body", "note"] or (
            response.json()["detail"][0]["loc"] == ["body", "note\udfff"])
    assert nothing_stored()


def test_every_place_is_named_at_once_in_a_batch(system, family):
    events = [event(case_number=family["own"].number, event_id=f"E-{i}") for i in range(5)]
    events[3]["note"] = NUL
    events[4]["holder_status"] = "\x1b[31m"
    response = send(system, "post", "/case-events", {}, {}, {"events": events}, None)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [
        ["body", "events", 3, "note"], ["body", "events", 4, "holder_status"]]
    assert nothing_stored()


def test_a_key_of_the_json_body_is_text_too(system, family):
    valid = valid_requests(family)["createCase"][2]
    response = send(system, "post", "/cases", {}, {}, {**valid, "note\x00": "x"}, None)
    assert response.status_code == 422
    assert ["body", "note\x00"] in [e["loc"] for e in response.json()["detail"]]


@pytest.mark.parametrize(("key", "type_"), [(NUL, "control_character"),
                                            ("k\x7f", "control_character"),
                                            ("k\t1", "control_character"),
                                            # UTF-8 "ābc" as a WSGI server hands it on (Latin-1)
                                            ("ābc".encode().decode("latin-1"), "not_ascii"),
                                            ("k" * 201, "too_long")])
def test_an_idempotency_key_that_cannot_be_stored_is_a_422_at_the_header(system, family, key,
                                                                         type_):
    number = family["own"].number.replace(" ", "-")
    response = send(system, "post", f"/cases/{number}/events", {}, {}, event(), None,
                    **{"Idempotency-Key": key})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert response.json()["detail"][0]["type"] == type_
    assert nothing_stored()


@pytest.mark.parametrize("token", ["dv_\x00_x", "dv_0123456789_\x00", "\x00", "dv_ā_x"])
def test_a_token_with_a_control_character_is_no_token(client, db, token):
    response = client.get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


def test_an_uploaded_files_name_loses_its_control_characters(system, family):
    """Django's multipart parser drops non-printable characters from file names before any
    code sees them: such a name is stored without them, never a 500."""
    number = family["own"].number.replace(" ", "-")
    upload = SimpleUploadedFile("lē\x00mums\x1b.pdf", PDF,
                                content_type="application/pdf")
    response = system.post(f"/api/v1/cases/{number}/documents",
                           {"title": "Lēmums", "file": upload})
    assert response.status_code == 201, response.content
    assert Document.objects.get().file_name == "lēmums.pdf"


@pytest.mark.parametrize("path", ["/api/v1/cases/1011-13%00", "/api/v1/services/10%0011",
                                  "/api/v1/no%00such"])
def test_a_nul_in_a_path_is_never_a_500(system, path):
    assert system.get(path).status_code in (404, 422)


def test_the_refusal_speaks_the_requests_language(system, family):
    number = family["own"].number.replace(" ", "-")
    answers = [send(system, "post", f"/cases/{number}/events", {}, {},
                    event(note=NUL), None, **{"Accept-Language": language}).json()
               for language in ("en", "lv")]
    (english,), (latvian,) = (answer["detail"] for answer in answers)
    assert english["type"] == latvian["type"] == "control_character"
    assert english["msg"] != latvian["msg"] and "U+0000" in latvian["msg"]


def test_a_form_sent_to_an_operation_without_one_is_checked_and_never_a_500(system, family):
    number = family["own"].number.replace(" ", "-")
    url = f"/api/v1/cases/{number}/acknowledge"
    refused = system.post(url, "note=a%00b", content_type="application/x-www-form-urlencoded")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "note"]
    no_boundary = system.post(url, b"--x\r\n", content_type="multipart/form-data")
    assert no_boundary.status_code == 200, no_boundary.content
    plain = system.post(url, "note=ok", content_type="application/x-www-form-urlencoded",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert plain.status_code == 200, plain.content


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_every_bidi_control_is_refused_in_a_line_and_kept_in_a_paragraph(system, family,
                                                                          control):
    number = family["own"].number.replace(" ", "-")
    refused = send(system, "post", f"/cases/{number}/events", {}, {},
                   event(holder_status=f"Izskatīšanā{control}", note="x"), None)
    assert refused.status_code == 422, refused.content
    (problem,) = refused.json()["detail"]
    assert problem["loc"] == ["body", "holder_status"] and problem["type"] == "bidi_control"
    assert f"U+{ord(control):04X}" in problem["msg"]
    assert nothing_stored()
    note = f"عربي {control}Rīga{control} עברית"
    kept = send(system, "post", f"/cases/{number}/events", {}, {}, event(note=note), None)
    assert kept.status_code == 201, kept.content
    assert CaseEvent.objects.get(case=family["own"], status="in_progress").note == note


@pytest.mark.parametrize("text", ["\u200b", "\u200c\u200d", "\u2060", "\ufeff", "\u00ad",
                                  "\u180e", "\u034f", "\ufe0f", "\u3164", "\U000e0020",
                                  "\u200e\u200f", " \u200b\n\t"])
def test_every_kind_of_invisible_text_is_refused(system, family, text):
    number = family["own"].number.replace(" ", "-")
    response = send(system, "post", f"/cases/{number}/events", {}, {}, event(note=text), None)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["type"] == "only_invisible"
    assert nothing_stored()


def test_text_is_stored_in_normalization_form_c(system, family):
    """"Bērziņš" typed decomposed (e + U+0304, n + U+0327, s + U+030C) is stored composed; the
    length limit counts the composed text (200 "ē" decomposed are 400 code points)."""
    decomposed = "Be\u0304rzin\u0327s\u030c"
    number = family["own"].number.replace(" ", "-")
    response = send(system, "post", f"/cases/{number}/events", {}, {},
                    event(note=decomposed, holder_status=decomposed), None)
    assert response.status_code == 201, response.content
    stored = CaseEvent.objects.get(case=family["own"], status="in_progress")
    assert stored.note == stored.holder_status == "Bērziņš"
    title = "e\u0304" * 200
    upload = SimpleUploadedFile("le\u0304mums.pdf", PDF, content_type="application/pdf")
    response = system.post(f"/api/v1/cases/{number}/documents", {"title": title, "file": upload})
    assert response.status_code == 201, response.content
    document = Document.objects.get()
    assert (document.title, document.file_name) == ("ē" * 200, "lēmums.pdf")
    response = send(system, "get", "/services", {}, {"q": "pabalst%CC%84"}, None, None)
    assert response.status_code == 200


def test_an_uploaded_files_name_loses_its_direction_controls(system, family):
    """Django's multipart parser keeps the printable characters of a file's name only: the
    override is gone before any code sees it, and the name shows as it is."""
    number = family["own"].number.replace(" ", "-")
    upload = SimpleUploadedFile("Iesniegums \u202efdp.pdf", PDF, content_type="application/pdf")
    response = system.post(f"/api/v1/cases/{number}/documents",
                           {"title": "Lēmums", "file": upload})
    assert response.status_code == 201, response.content
    assert Document.objects.get().file_name == "Iesniegums fdp.pdf"


def test_a_bidi_refusal_speaks_the_requests_language(system, family):
    number = family["own"].number.replace(" ", "-")
    answers = [send(system, "post", f"/cases/{number}/events", {}, {},
                    event(holder_status=RLO_NAME), None, **{"Accept-Language": language}).json()
               for language in ("en", "lv")]
    (english,), (latvian,) = (answer["detail"] for answer in answers)
    assert english["type"] == latvian["type"] == "bidi_control"
    assert english["msg"] != latvian["msg"] and "U+202E" in latvian["msg"]


# --- Every text field of every form of the pages --------------------------------------------

def _form_classes():
    for module in pkgutil.walk_packages(durvis.__path__, "durvis."):
        if ".migrations" not in module.name and ".management" not in module.name:
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    abstract = {Form, ModelForm, QueryForm}
    return sorted((cls for cls in set(subclasses(forms.BaseForm))
                   if cls.__module__.startswith("durvis.") and cls not in abstract),
                  key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _make(cls, data):
    """The form bound to `data`, given what its constructor needs besides."""
    parameters = inspect.signature(cls.__init__).parameters
    extra: dict = {name: [] for name in ("cases", "institutions", "services", "colleagues",
                                         "exits", "people", "steps", "teams", "nodes",
                                         "articles", "days", "slots", "choices",
                                         "calendars")
                   if name in parameters}
    if "parties" in parameters:  # an agent's booking: nobody to book for
        extra["parties"] = {}
    if "me" in parameters:  # the access review: nobody to review
        extra["me"] = None
    if "client" in parameters:  # the workplace's consultation form: no client identified
        extra["client"] = None
    if "institution_id" in parameters:  # the delegations form: no institution's services
        extra["institution_id"] = 0
    if cls.__name__ == "PasswordForm":
        return cls(None, data=data)
    if "kind" in parameters:  # the builder's question form: a type with every text field
        return cls(data, kind="single_choice", compiled=_a_form())
    if "compiled" in parameters:  # the builder's route form
        return cls(data, compiled=_a_form(), page="first")
    if issubclass(cls, QueryForm):
        return cls(QueryDict(urlencode(data, doseq=True)), **extra)
    return cls(data, **extra)


def _a_form():
    """A compiled two-page e-form with a yes/no question to route and condition on."""
    from durvis.eforms.engine import compile_form

    label = {"lv": "Jautājums", "en": "Question"}
    return compile_form({"format": "durvis-form/1", "pages": [
        {"key": "first", "title": label, "questions": [
            {"key": "ok", "type": "yes_no", "label": label}]},
        {"key": "second", "title": label, "questions": [
            {"key": "name", "type": "short_text", "label": label}]}]})


def form_text_fields():
    """(form class, field name, a paragraph?, a secret?) of every text field of every form."""
    for cls in _form_classes():
        for name, field in _make(cls, {}).fields.items():
            if isinstance(field, forms.CharField):
                yield (cls, name, isinstance(field.widget, forms.Textarea),
                       isinstance(field.widget, forms.PasswordInput))


def _codes(cls, name, text):
    form = _make(cls, {name: text})
    form.is_valid()
    return {error.code for error in form.errors.as_data().get(name, [])}


def test_every_text_field_of_every_form_refuses_text_of_only_invisible_characters(db):
    tried = []
    for cls, name, _paragraph, _secret in form_text_fields():
        for text in (ZERO_WIDTH_SUBJECT, " \u200b\u00ad\ufeff ", "\u3164\u2060"):
            codes = _codes(cls, name, text)
            # A web address is no address first: Django's URL field says so before any rule.
            assert "only_invisible" in codes or (name, codes) == ("url", {"invalid"}), (
                cls, name, repr(text))
        tried.append((cls.__name__, name))
    assert ("WriteForm", "subject") in tried and ("UploadForm", "title") in tried
    assert ("ServiceForm", "name_lv") in tried and ("HistoryFilterForm", "number") in tried
    assert len(tried) >= 25, tried


def test_every_line_of_every_form_refuses_bidi_controls_and_paragraphs_keep_them(db):
    lines, paragraphs = [], []
    for cls, name, paragraph, secret in form_text_fields():
        for text in (RLO_NAME, *(f"Iesniegums {c}pdf" for c in BIDI_CONTROLS)):
            codes = _codes(cls, name, text)
            if paragraph or secret:
                assert "bidi_control" not in codes, (cls, name, repr(text))
            else:
                assert "bidi_control" in codes, (cls, name, repr(text))
        (paragraphs if paragraph else lines).append((cls.__name__, name))
    assert ("WriteForm", "subject") in lines and ("StaffMessageForm", "subject") in lines
    assert ("WriteForm", "attachment_title") in lines and ("UploadForm", "title") in lines
    assert ("WriteForm", "body") in paragraphs and ("FeedbackForm", "comment") in paragraphs


def test_every_text_field_of_every_form_is_normalised_to_nfc(db):
    decomposed = "Be\u0304rzin\u0327s\u030c"
    for cls, name, _paragraph, secret in form_text_fields():
        form = _make(cls, {name: decomposed})
        guard_text_fields(form)
        value = form.fields[name].to_python(decomposed)
        assert value.removeprefix("https://") == (decomposed if secret else "Bērziņš"), (
            cls, name)


# --- Every choice of every form: a value that is not an option is not said back -------------

NOT_AN_OPTION = "nav-tādas<b>izvēles</b>-987654"


def form_choice_fields():
    """(form class, field name, several?) of every choice (select, radios, check boxes, records)
    of every form."""
    for cls in _form_classes():
        for name, field in _make(cls, {}).fields.items():
            if isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
                yield cls, name, isinstance(field, (forms.MultipleChoiceField,
                                                    forms.ModelMultipleChoiceField))


@pytest.mark.parametrize(("language", "expected"), [("lv", "Izvēlieties"), ("en", "Choose")])
def test_every_choice_of_every_form_refuses_a_value_not_offered_without_saying_it(
        db, language, expected):
    from django.utils import translation

    tried = []
    with translation.override(language):
        for cls, name, several in form_choice_fields():
            for value in (NOT_AN_OPTION, "987654"):
                form = _make(cls, {name: [value] if several else value})
                form.is_valid()
                messages = [str(m) for m in form.errors.get(name, [])]
                assert messages, (cls, name, value)
                for message in messages:
                    assert value not in message and "<b>" not in message, (cls, name, message)
                    assert "is not one of" not in message, (cls, name, message)
                assert any(expected in m for m in messages), (cls, name, messages)
            tried.append((cls.__name__, name))
    assert len(tried) >= 20, tried


# --- Every text field with a limit: no `maxlength` cuts it silently, the server says so ------

def test_no_text_field_of_any_form_is_rendered_with_a_maxlength_and_the_server_refuses_more(db):
    tried = []
    for cls in _form_classes():
        for name, field in _make(cls, {}).fields.items():
            if not isinstance(field, forms.CharField) or not field.max_length:
                continue
            form = _make(cls, {})
            assert "maxlength" not in str(form[name]), (cls, name)
            too_long = "7" * (field.max_length + 1)
            form = _make(cls, {name: too_long})
            form.is_valid()
            codes = {error.code for error in form.errors.as_data().get(name, [])}
            # (an e-mail, a web address or a pattern may be refused as such first; a user name
            # longer than any is a sign-in that fails as a whole, Django's AuthenticationForm)
            assert codes & {"max_length", "invalid"} or (cls.__name__, name) == (
                "PasswordForm", "username"), (cls, name, codes)
            tried.append((cls.__name__, name))
    assert ("HistoryFilterForm", "number") in tried and ("ReviewNoteForm", "note") in tried
    assert len(tried) >= 20, tried


@pytest.mark.parametrize(("language", "expected"), [
    ("lv", "ne vairāk kā 500"), ("en", "at most 500 characters")])
def test_a_too_long_note_is_refused_by_the_server_not_cut_by_the_browser(db, language, expected):
    from django.utils import translation

    from durvis.administration.audit import ReviewNoteForm

    with translation.override(language):
        assert "maxlength" not in str(ReviewNoteForm())
        form = ReviewNoteForm({"note": "ā" * 501})
        assert not form.is_valid()
        assert expected in str(form.errors["note"]) and "501" in str(form.errors["note"])


# --- The same, as a person meets it on the pages --------------------------------------------

LV_INVISIBLE = "Tekstā ir tikai neredzamas rakstzīmes"
EN_INVISIBLE = "The text has only invisible characters"
LV_BIDI = "kas maina teksta virzienu"
EN_BIDI = "changes the direction of the text"


@pytest.mark.parametrize(("subject", "latvian", "english"), [
    (ZERO_WIDTH_SUBJECT, LV_INVISIBLE, EN_INVISIBLE), (RLO_NAME, LV_BIDI, EN_BIDI),
    ("\u2066Iesniegums", LV_BIDI, EN_BIDI), ("Iesniegums\u200e", LV_BIDI, EN_BIDI)])
def test_a_message_with_an_invisible_or_reversing_subject_is_not_sent(client_login, family,
                                                                      subject, latvian,
                                                                      english):
    client = client_login(family["parent"])
    for url, said in ((reverse("inbox:write"), latvian), ("/en/eaccount/messages/new/", english)):
        response = client.post(url, {"opened_as": "self", "case": family["own"].pk, "subject": subject,
                                     "body": "Teksts"})
        assert response.status_code == 422
        page = response.content.decode()
        assert page.count(said) == 2, page  # on the field and in the summary
        assert subject not in page.split("<title>")[1].split("</title>")[0]
    assert not Thread.objects.exists()


def test_a_message_body_may_hold_bidi_marks_and_is_stored_composed(client_login, family):
    client = client_login(family["parent"])
    body = "مرحبا \u200fRīga\u200f, Be\u0304rzin\u0327s\u030c"
    response = client.post(reverse("inbox:write"), {
        "opened_as": "self", "case": family["own"].pk, "subject": "Jauta\u0304jums", "body": body})
    assert response.status_code == 302, response.content.decode()
    message = InboxMessage.objects.get()
    assert (message.thread.subject, message.body) == (
        "Jautājums", "مرحبا \u200fRīga\u200f, Bērziņš")


def test_staff_cannot_send_a_reversing_subject_either(client, staff_login, family, staff):
    member = identity.record_staff(username="agent.vsaa", password="pw-agent-long-enough",
                                   institution=family["own"].holder, roles=["back_office"])
    response = staff_login(client, member).post(reverse("staff-messages:new"), {
        "case_number": family["own"].number, "subject": RLO_NAME, "body": "Teksts"})
    assert response.status_code == 422 and LV_BIDI in response.content.decode()
    assert not InboxMessage.objects.exists()


def test_an_e_account_upload_keeps_no_direction_control_in_its_name(client_login, family,
                                                                    settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_login(family["parent"])
    response = client.post(reverse("documents:upload"), {
        "opened_as": "self", "title": "Izziņa", "file": SimpleUploadedFile("Iesniegums \u202efdp.pdf", PDF,
                                                     content_type="application/pdf")})
    assert response.status_code == 302
    assert Document.objects.get().file_name == "Iesniegums fdp.pdf"
    response = client.post(reverse("documents:upload"), {
        "opened_as": "self", "title": RLO_NAME, "file": SimpleUploadedFile("a.pdf", PDF,
                                                     content_type="application/pdf")})
    assert response.status_code == 422 and LV_BIDI in response.content.decode()
    assert Document.objects.count() == 1


@pytest.mark.parametrize(("language", "expected"), [
    ("lv", "Izvēlieties vienu no piedāvātajām iespējām."), ("en", "Choose one of the options shown.")])
def test_a_page_given_a_value_not_offered_says_so_without_showing_it(client_login, family,
                                                                      language, expected):
    client = client_login(family["parent"])
    from django.utils import translation

    with translation.override(language):
        url = reverse("eaccount:history")
    response = client.get(url, {"status": "<i>nav-tāda</i>",
                                     "institution": "987654"})
    page = response.content.decode()
    assert response.status_code == 200
    errors = re.findall(r'class="errorlist"[^>]*>(.*?)</div>', page, re.S)
    assert len(errors) == 2 and all(expected in error for error in errors), errors
    # (the page's own address, in its links, keeps what was asked)
    assert not any("nav-tāda" in e or "987654" in e or "<i>" in e for e in errors), errors
    number = re.search(r'<input[^>]*name="number"[^>]*>', page).group()
    assert "maxlength" not in number  # (the browser would cut a pasted number silently)
