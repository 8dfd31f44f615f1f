"""Every refusal under /api/ has the one JSON error body, also those no endpoint makes: unknown
paths, methods a path does not take, bodies over the size limit (part of issue 10)."""

import json

import pytest
from django.conf import settings


def detail(response):
    assert response["Content-Type"].startswith("application/json")
    return response.json()["detail"][0]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/cases/1011-37/nothing", "/api/v2/"])
def test_an_unknown_api_path_is_a_json_404(client, path, db):
    response = client.get(path)
    assert response.status_code == 404
    assert detail(response) == {"loc": ["path"], "msg": "No such API path.", "type": "not_found"}


@pytest.mark.parametrize("method", ["delete", "put", "patch"])
def test_a_method_the_path_does_not_take_is_a_json_405(client, method, db):
    response = getattr(client, method)("/api/v1/cases")
    assert response.status_code == 405 and "POST" in response["Allow"]
    assert detail(response)["type"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/case-events", "/api/v1/messages"])
def test_a_body_over_the_limit_is_a_json_413(api_client_factory, path):
    system = api_client_factory("VSAA", operations=("cases:write", "messages:write"))
    body = json.dumps({"note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = system.post(path, body, content_type="application/json")
    assert response.status_code == 413
    assert detail(response)["type"] == "too_large"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in detail(response)["msg"]


def test_pages_keep_their_own_404(client, db):
    response = client.get("/eaccount/nothing-here/")
    assert response.status_code in (302, 404)
    assert not response.get("Content-Type", "").startswith("application/json")


# --- Every validation error names where the value came from (part of issue 10) -----------------

ALL_SCOPES = ("cases:read", "cases:write", "consultations:write", "messages:read",
              "messages:write", "invoices:read", "invoices:write", "payments:write")
EVENT = {"status": "in_progress", "occurred_at": "2026-11-21T10:00:00Z"}
LINE = {"kind": "fee", "description": "Ekspertīze", "unit_price": "7.11"}
PAYMENT = {"amount": "7.11", "paid_at": "2026-11-20T10:00:00+02:00", "payment_id": "FS-1"}
PATH_OPERATIONS = [
    ("get", "/cases/{}", None),
    ("post", "/cases/{}/events", EVENT),
    ("post", "/cases/{}/result", {"occurred_at": "2026-11-25T10:00:00Z", "title": "Lēmums"}),
    ("post", "/cases/{}/acknowledge", {}),
    ("upload", "/cases/{}/documents", None),
]


def call(http, method, path, body=None, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    if method == "upload":
        return http.post(f"/api/v1{path}", {
            "title": "Lēmums", "file": SimpleUploadedFile("a.pdf", b"%PDF-1.7\n%%EOF\n",
                                                          content_type="application/pdf"),
            **(body or {})}, **extra)
    if method == "get":
        return http.get(f"/api/v1{path}", body or {}, **extra)
    return http.post(f"/api/v1{path}", json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def system(api_client_factory, family):
    return api_client_factory("VSAA", operations=ALL_SCOPES)


@pytest.mark.parametrize(("method", "path", "body"), PATH_OPERATIONS)
@pytest.mark.parametrize(("number", "type_"), [("1011-14", "checksum"), ("1011-x3", None)])
def test_a_bad_case_number_in_the_path_is_named_at_the_path(system, method, path, body,
                                                            number, type_):
    response = call(system, method, path.format(number), body)
    assert response.status_code == 422, response.content
    (error,) = response.json()["detail"]
    assert error["loc"] == ["path", "number"]
    if type_:
        assert error["type"] == type_


@pytest.mark.parametrize(("method", "path", "body"), PATH_OPERATIONS)
def test_an_unknown_case_in_the_path_is_a_404_at_the_path(system, method, path, body):
    response = call(system, method, path.format("1011-999"), body)  # valid, but no such case
    assert response.status_code == 404, response.content
    assert response.json()["detail"][0]["loc"][0] == "path"


@pytest.mark.parametrize(("method", "path", "body", "loc"), [
    ("post", "/cases", {"service_code": "x"}, ["body", "service_code"]),
    ("post", "/case-events", {"events": [{**EVENT, "case_number": "1011 13", "note": 5}]},
     ["body", "events", 0, "note"]),
    ("post", "/messages", {"subject": "", "body": "x"}, ["body", "subject"]),
    ("get", "/cases", {"since": "-1"}, ["query", "since"]),
    ("get", "/messages/replies", {"limit": "0"}, ["query", "limit"]),
    ("upload", "/cases/1011-13/documents", {"title": "x" * 301}, ["body", "title"]),
    ("post", "/invoices", {"case_number": "1011 13", "lines": [LINE | {"unit_price": 7.11}]},
     ["body", "lines", 0, "unit_price"]),
    ("get", "/invoices", {"since": "-1"}, ["query", "since"]),
    ("post", "/invoices/1011-13-01/payments", {**PAYMENT, "amount": "1.001"}, ["body", "amount"]),
])
def test_validation_errors_name_the_source_and_the_field(system, method, path, body, loc):
    response = call(system, method, path, body)
    assert response.status_code == 422, response.content
    assert loc in [error["loc"] for error in response.json()["detail"]]
    assert all(error["loc"][0] in ("path", "query", "header", "body")
               for error in response.json()["detail"])


def test_a_case_without_a_client_to_deliver_to_is_named_at_the_path(system, family):
    anonymous = call(system, "post", "/cases", {
        "service_code": 1011, "identification": "anonymous", "application_channel": "centre",
        "topic": "x"})
    assert anonymous.status_code == 201, anonymous.content
    number = anonymous.json()["number"].replace(" ", "-")
    response = call(system, "upload", f"/cases/{number}/documents")
    assert response.status_code == 422, response.content
    assert response.json()["detail"] == [{"loc": ["path", "number"], "type": "no_client",
                                          "msg": response.json()["detail"][0]["msg"]}]


# --- The API speaks the language the request asks for, English by default (part of issue 10) ---

NEW_CASE = {"service_code": 1011, "identification": "identified_by_agent",
            "application_channel": "centre", "acted_by": "agent", "personal_code": "161175-19997"}

REFUSALS = [  # (who calls, method, path, body, status)
    ("system", "post", "/cases", {**NEW_CASE, "service_code": 4242}, 422),
    ("system", "post", "/cases", {**NEW_CASE, "personal_code": "161175-19996"}, 422),
    ("system", "get", "/cases/1011-14", None, 422),
    ("system", "get", "/cases/1011-999", None, 404),
    ("system", "post", "/cases/1011-999/events", EVENT, 404),
    ("system", "post", "/cases/1011-13/events", {**EVENT, "occurred_at": "2999-01-01T00:00Z"},
     422),
    ("system", "post", "/messages", {"subject": "S", "body": "B"}, 422),
    ("anonymous", "get", "/cases", None, 401),
    ("anonymous", "get", "/services", {"category": "no-such"}, 422),
    ("anonymous", "get", "/services/4242", None, 404),
    ("anonymous", "get", "/no-such-path", None, 404),
    ("reader", "post", "/cases", NEW_CASE, 403),
    ("system", "get", "/invoices/1011-999-01", None, 404),
    ("system", "post", "/invoices", {"case_number": "1011 999", "lines": [LINE]}, 422),
    ("system", "post", "/invoices", {"case_number": "1011 13", "lines": [
        LINE | {"unit_price": 7.11}]}, 422),
    ("system", "post", "/invoices", {"case_number": "1011 13", "lines": [
        LINE | {"unit_price": "7.111"}]}, 422),
    ("system", "post", "/invoices/1011-999-01/payments", PAYMENT, 404),
    ("reader", "post", "/invoices", {"case_number": "1011 13", "lines": [LINE]}, 403),
]


def errors_in(http, language, method, path, body):
    extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = call(http, method, path, body, **extra)
    return response.status_code, response.json()["detail"], response.get("Content-Language")


@pytest.mark.parametrize(("who", "method", "path", "body", "status"), REFUSALS)
def test_the_same_refusal_in_both_languages_has_the_same_type_and_a_translated_message(
        client, system, api_client_factory, who, method, path, body, status):
    http = {"system": system, "anonymous": client,
            "reader": api_client_factory("VSAA", operations=["cases:read"])}[who]
    default, english, latvian = (errors_in(http, language, method, path, body)
                                 for language in (None, "en", "lv"))
    assert default == english  # English unless asked otherwise
    assert english[0] == latvian[0] == status
    assert english[2] == "en" and latvian[2] == "lv"
    items = list(zip(english[1], latvian[1], strict=True))
    assert [e["type"] for e, _lv in items] == [lv["type"] for _e, lv in items]
    assert [e["loc"] for e, _lv in items] == [lv["loc"] for _e, lv in items]
    assert all(e["msg"] != lv["msg"] for e, lv in items), items


def test_a_batch_items_refusal_follows_the_language(system):
    batch = {"events": [{**EVENT, "case_number": "1011 999"}]}
    english = call(system, "post", "/case-events", batch, HTTP_ACCEPT_LANGUAGE="en").json()
    latvian = call(system, "post", "/case-events", batch, HTTP_ACCEPT_LANGUAGE="lv").json()
    (en_error,), (lv_error,) = english["items"][0]["errors"], latvian["items"][0]["errors"]
    assert en_error["type"] == lv_error["type"] == "not_found"
    assert en_error["msg"] == "No such case for this client." != lv_error["msg"]


@pytest.mark.parametrize(("header", "language"), [
    ("", "en"), ("lv", "lv"), ("lv-LV,lv;q=0.9,en;q=0.8", "lv"), ("de, en;q=0.5", "en"),
    ("de, lv;q=0.5", "lv"), ("de", "en"), ("*", "en"), ("\x00", "en"),
])
def test_accept_language_chooses_and_english_is_the_default(client, db, header, language):
    response = client.get("/api/v1/services/4242", HTTP_ACCEPT_LANGUAGE=header)
    assert response["Content-Language"] == language


def test_the_pages_language_cookie_does_not_change_the_api(client, db):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "lv"
    assert client.get("/api/v1/services/4242")["Content-Language"] == "en"
    assert client.get("/api/v1/services/4242",
                      HTTP_ACCEPT_LANGUAGE="lv")["Content-Language"] == "lv"


@pytest.mark.parametrize("cookie", ["lv", "en"])
def test_the_api_answers_in_the_language_of_accept_language_whatever_the_cookie(
        client, catalogue, cookie):
    """The web's language cookie (`django_language`) never changes an API answer: its names, its
    links and its messages follow `Accept-Language` only, English without it (issue 12)."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    english, latvian = (client.get("/api/v1/services/1011", **extra)
                        for extra in ({}, {"HTTP_ACCEPT_LANGUAGE": "lv"}))
    assert (english["Content-Language"], latvian["Content-Language"]) == ("en", "lv")
    assert english.json()["name"] == "Childbirth benefit"
    assert english.json()["url"] == "/en/services/1011/"
    assert english.json()["holder"]["name"] == "State Social Insurance Agency"
    assert latvian.json()["name"] == "Bērna piedzimšanas pabalsts"
    assert latvian.json()["url"] == "/services/1011/"
    missing_en, missing_lv = (client.get("/api/v1/services/4242", **extra).json()["detail"][0]
                              for extra in ({}, {"HTTP_ACCEPT_LANGUAGE": "lv"}))
    assert missing_en["msg"] == "No published service with this code."
    assert missing_lv["type"] == missing_en["type"] and missing_lv["msg"] != missing_en["msg"]
    # The cookie still chooses nothing for the pages either: their language is the address's.
    assert client.get("/en/")["Content-Language"] == "en"
    assert client.get("/")["Content-Language"] == "lv"


def test_the_pages_keep_latvian_by_default(client, db):
    assert client.get("/")["Content-Language"] == "lv"
