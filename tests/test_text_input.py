"""Control characters in text, through the API (part of issue 10): refused with a 422 naming the
field on every endpoint, never a 500 (PostgreSQL cannot store U+0000 nor encode a lone
surrogate) and never stored (SQLite would). The forms' side is in tests/core/test_forms.py."""

from __future__ import annotations

import base64
import copy
import itertools
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from durvis.api import api
from durvis.documents.models import Document
from durvis.integrations.models import IdempotencyRecord
from durvis.messaging.models import InboxMessage
from durvis.register.models import CaseEvent, Consultation, ServiceCase
from tests.documents.samples import PDF

NUL = "a\x00b"
ALL_SCOPES = ("cases:read", "cases:write", "consultations:write", "messages:read",
              "messages:write")


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
        "durvis_catalog_api_list_services": ({}, {"q": "pabalsts"}, None),
        "durvis_catalog_api_get_service": ({"code": "1011"}, {}, None),
        "durvis_catalog_api_list_categories": ({}, {}, None),
        "durvis_catalog_api_list_life_situations": ({}, {}, None),
        "durvis_catalog_api_list_institutions": ({}, {}, None),
        "durvis_register_api_create_case": ({}, {}, new_case),
        "durvis_register_api_list_cases": ({}, {}, None),
        "durvis_register_api_get_case": ({"number": number}, {}, None),
        "durvis_register_api_post_event": ({"number": number}, {}, status_event),
        "durvis_register_api_post_events": ({}, {}, {"events": [
            {**status_event, "case_number": family["own"].number}]}),
        "durvis_register_api_post_result": ({"number": number}, {}, {
            "occurred_at": timezone.now().isoformat(), "title": "Lēmums", "reference": "R",
            "note": "", "event_id": ""}),
        "durvis_register_api_acknowledge": ({"number": number}, {}, None),
        "durvis_register_api_create_consultation": ({}, {}, {
            "channel": "phone", "identification": "anonymous", "outcome": "answered",
            "occurred_at": "2026-11-21T10:00:00Z", "topic": "Adrese", "personal_code": "",
            "registration_number": "", "client_phone": "", "agent_reference": "A-1",
            "case_number": ""}),
        "durvis_integrations_api_whoami": ({}, {}, None),
        "durvis_documents_api_post_document": ({"number": number}, {}, {"title": "Lēmums"}),
        "durvis_messaging_api_send_message": ({}, {}, {
            "personal_code": parent, "registration_number": "", "subject": "Temats",
            "body": "Teksts", "case_number": "", "attachments": [{
                "name": "a.txt", "content_type": "text/plain", "title": "Pielikums",
                "content": base64.b64encode(b"Teksts").decode()}]}),
        "durvis_messaging_api_list_replies": ({}, {}, None),
        "durvis_messaging_api_get_message": ({"message_id": "1"}, {}, None),
    }


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
    any depth (the first item of a list)."""
    node = _resolve(schema, node)
    if _takes_text(schema, node):
        yield place
    for name, child in node.get("properties", {}).items():
        yield from text_places(schema, child, (*place, name))
    if node.get("type") == "array":
        yield from text_places(schema, node["items"], (*place, 0))
    for branch in node.get("anyOf", []):
        if _resolve(schema, branch).get("type") in ("object", "array"):
            yield from text_places(schema, branch, place)


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
                or IdempotencyRecord.objects.exists())


def test_a_nul_in_any_text_of_any_operation_is_a_422_naming_it(system, family):
    """Walks the OpenAPI schema: every path parameter, query parameter and text property of
    every request body, at any depth, gets a NUL in an otherwise valid request."""
    valid = valid_requests(family)
    tried = set()
    for schema, path, method, operation in operations():
        path_params, query, body = valid.pop(operation["operationId"])
        places = []
        for parameter in operation.get("parameters", []):
            places.append((parameter["in"], (parameter["name"],)))
        content = operation.get("requestBody", {}).get("content", {})
        content_type = next(iter(content), None)
        if content_type:
            places += [("body", place) for place in
                       text_places(schema, content[content_type]["schema"])]
        for source, place in places:
            if source == "path":
                request = ({**path_params, place[0]: "a%00b"}, query, body)
            elif source == "query":
                request = (path_params, {**query, place[0]: "a%00b"}, body)
            else:
                request = (path_params, query, with_text_at(body, place, NUL))
            response = send(system, method, path, *request, content_type)
            assert response.status_code == 422, (path, source, place, response.content)
            locs = [error["loc"] for error in response.json()["detail"]]
            assert [source, *place] in locs, (path, place, locs)
            tried.add((path, source, place))
    assert not valid, f"operations no longer in the API: {sorted(valid)}"
    assert ("/case-events", "body", ("events", 0, "note")) in tried
    assert ("/messages", "body", ("attachments", 0, "name")) in tried
    assert ("/cases/{number}/documents", "body", ("title",)) in tried
    assert nothing_stored()


def test_the_valid_requests_of_the_walk_are_accepted(system, family):
    """The walk proves something only if its requests are otherwise valid."""
    valid = valid_requests(family)
    for _schema, path, method, operation in operations():
        content = operation.get("requestBody", {}).get("content", {})
        response = send(system, method, path, *valid[operation["operationId"]],
                        next(iter(content), None))
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
    valid = valid_requests(family)["durvis_register_api_create_case"][2]
    response = send(system, "post", "/cases", {}, {}, {**valid, "note\x00": "x"}, None)
    assert response.status_code == 422
    assert ["body", "note\x00"] in [e["loc"] for e in response.json()["detail"]]


@pytest.mark.parametrize(("key", "type_"), [(NUL, "control_character"),
                                            ("k\x7f", "control_character"),
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
