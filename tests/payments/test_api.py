"""The invoices API (A8, B9, G28, G29) through HTTP: issuing and registering invoices, reading
them, payments reported by the finance system (idempotent), cancelling and crediting; every
refusal precise, by scope and by institution, never a 500."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.utils import timezone
from stdnum import iso11649

from durvis.audit.models import AuditEvent
from durvis.core.events import dispatch_due
from durvis.core.models import DomainEvent
from durvis.integrations.models import FeedEvent
from durvis.payments.models import Invoice, Payment
from durvis.register.models import ServiceCase
from tests.integrations.event_checks import check_stored_events

ALL = ("invoices:read", "invoices:write", "payments:write")


@pytest.fixture
def system(api_client_factory, family, payee_accounts):
    return api_client_factory("VSAA", operations=ALL)


@pytest.fixture
def case_number(family):
    return family["own"].number


def post(http, path, body, **extra):
    return http.post(f"/api/v1{path}", json.dumps(body), content_type="application/json",
                     **extra)


def new_invoice(case_number, **fields):
    return {"case_number": case_number, "due_date": None, "payer_name": "", "language": "en",
            "lines": [{"kind": "fee", "description": "Ekspertīze", "quantity": "2",
                       "unit_price": "10.00", "vat_rate": "21"},
                      {"kind": "state_duty", "description": "Valsts nodeva",
                       "unit_price": "7.11"}], **fields}


def issued(system, case_number, **fields):
    response = post(system, "/invoices", new_invoice(case_number, **fields))
    assert response.status_code == 201, response.content
    return response.json()


def errors(response):
    return {tuple(e["loc"]): e["type"] for e in response.json()["detail"]}


def payment(payment_id="FS-1", amount="10.00", **fields):
    return {"amount": amount, "paid_at": "2026-11-20T10:00:00+02:00", "payment_id": payment_id,
            "bank_reference": "2026112000012345", "payer_name": "Jānis Bērziņš", **fields}


# --- Issuing ----------------------------------------------------------------------------------

def test_a_post_payment_invoice_is_issued_with_its_reference_lines_and_payee(
        system, case_number, payee_accounts):
    invoice = issued(system, case_number)
    assert invoice["number"] == f"{case_number.replace(' ', '-')}-01"
    assert invoice["kind"] == "postpayment" and invoice["origin"] == "holder"
    assert invoice["state"] == "issued" and invoice["case_number"] == case_number
    # 2 × 10.00 + 21 % VAT = 24.20, plus 7.11
    assert invoice["total"] == "31.31" and invoice["paid"] == "0.00"
    assert [line["total"] for line in invoice["lines"]] == ["24.20", "7.11"]
    assert [line["vat"] for line in invoice["lines"]] == ["4.20", "0.00"]
    assert iso11649.is_valid(invoice["reference"]["electronic"])
    assert invoice["reference"]["printed"] == iso11649.format(invoice["reference"]["electronic"])
    assert invoice["payee"] == {"name": payee_accounts["VSAA"].name,
                                "iban": "LV71TREL9140401016000", "bic": "TRELLV22"}
    assert invoice["payer_name"] == "Jānis Bērziņš"
    assert invoice["links"]["self"] == f"/api/v1/invoices/{invoice['number']}"
    assert invoice["links"]["case"] == f"/api/v1/cases/{case_number.replace(' ', '-')}"
    assert ServiceCase.objects.get(number=case_number).payment_status == "awaiting_payment"
    assert DomainEvent.objects.filter(name="invoice.issued").count() == 1


def test_an_invoice_made_in_the_holders_system_keeps_its_number_and_reference(
        system, case_number):
    own = iso11649.format("RF18" + "539007547034")  # the standard's own example
    invoice = issued(system, case_number, origin="external", holder_number="VSAA-2026-77",
                     reference=own.lower())
    assert invoice["origin"] == "external" and invoice["holder_number"] == "VSAA-2026-77"
    assert invoice["reference"]["electronic"] == "RF18539007547034"
    again = post(system, "/invoices", new_invoice(case_number, origin="external",
                                                    holder_number="VSAA-2026-77"))
    assert again.status_code == 422 and errors(again) == {("body", "holder_number"): "taken"}
    missing = post(system, "/invoices", new_invoice(case_number, origin="external"))
    assert errors(missing) == {("body", "holder_number"): "required"}


@pytest.mark.parametrize(("change", "loc", "type_"), [
    ({"unit_price": 7.11}, ("body", "lines", 0, "unit_price"), "amount_not_string"),
    ({"unit_price": 7}, ("body", "lines", 0, "unit_price"), "amount_not_string"),
    ({"unit_price": "7.111"}, ("body", "lines", 0, "unit_price"), "precision"),
    ({"unit_price": "0"}, ("body", "lines", 0, "unit_price"), "not_positive"),
    ({"unit_price": "-1.00"}, ("body", "lines", 0, "unit_price"), "not_positive"),
    ({"unit_price": "1e3"}, ("body", "lines", 0, "unit_price"), "invalid"),
    ({"unit_price": "7,11"}, ("body", "lines", 0, "unit_price"), "invalid"),
    ({"unit_price": "NaN"}, ("body", "lines", 0, "unit_price"), "invalid"),
    ({"unit_price": "1000000000.00"}, ("body", "lines", 0, "unit_price"), "too_large"),
    ({"quantity": "0"}, ("body", "lines", 0, "quantity"), "not_positive"),
    ({"quantity": "-2"}, ("body", "lines", 0, "quantity"), "not_positive"),
    ({"quantity": "1.2345"}, ("body", "lines", 0, "quantity"), "precision"),
    ({"vat_rate": "121"}, ("body", "lines", 0, "vat_rate"), "too_large"),
    ({"unit_price": "9" * 40}, ("body", "lines", 0, "unit_price"), "too_large"),
    ({"quantity": "1000000"}, ("body", "lines", 0, "quantity"), "too_large"),
    ({"quantity": "9" * 40}, ("body", "lines", 0, "quantity"), "too_large"),
    ({"quantity": "two"}, ("body", "lines", 0, "quantity"), "invalid"),
    ({"unit_price": "0" * 40 + "7.11"}, ("body", "lines", 0, "unit_price"), "string_too_long"),
    ({"vat_rate": "-21"}, ("body", "lines", 0, "vat_rate"), "not_positive"),
    ({"kind": "tip"}, ("body", "lines", 0, "kind"), "literal_error"),
])
def test_a_bad_line_is_refused_at_its_field_and_nothing_is_issued(system, case_number, change,
                                                                   loc, type_):
    body = new_invoice(case_number)
    body["lines"][0].update(change)
    response = post(system, "/invoices", body)
    assert response.status_code == 422, response.content
    assert errors(response) == {loc: type_}
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(("change", "loc", "type_"), [
    ({"lines": []}, ("body", "lines"), "too_short"),
    ({"reference": "RF19 5390 0754 7034"}, ("body", "reference"), "checksum"),
    ({"reference": "RF18 5390 0754 7043"}, ("body", "reference"), "checksum"),
    ({"reference": "XX18539007547034"}, ("body", "reference"), "format"),
    ({"due_date": "2020-01-01"}, ("body", "due_date"), "before_issue"),
    ({"case_number": "1011 14"}, ("body", "case_number"), "checksum"),
    ({"case_number": "1011 999"}, ("body", "case_number"), "not_found"),
])
def test_a_bad_invoice_is_refused_at_its_field(system, case_number, change, loc, type_):
    body = {**new_invoice(case_number, origin="external", holder_number="H-1"), **change}
    response = post(system, "/invoices", body)
    assert response.status_code == 422, response.content
    assert loc in errors(response) and errors(response)[loc] == type_
    assert not Invoice.objects.exists()


def test_a_reference_needs_an_external_invoice(system, case_number):
    response = post(system, "/invoices", new_invoice(case_number, reference="RF18539007547034"))
    assert errors(response) == {("body", "reference"): "not_external"}


def test_another_institutions_case_is_not_found(api_client_factory, family, payee_accounts):
    riga = api_client_factory("RIGA", operations=ALL)
    response = post(riga, "/invoices", new_invoice(family["own"].number))
    assert response.status_code == 422
    assert errors(response) == {("body", "case_number"): "not_found"}
    assert not Invoice.objects.exists()


def test_without_a_payee_account_no_invoice_is_issued(api_client_factory, family):
    http = api_client_factory("VSAA", operations=ALL)
    response = post(http, "/invoices", new_invoice(family["own"].number))
    assert errors(response) == {("body", "payment"): "no_payee_account"}


# --- Reading ----------------------------------------------------------------------------------

def test_an_invoice_is_read_with_its_lines_and_payments(system, case_number):
    invoice = issued(system, case_number)
    post(system, f"/invoices/{invoice['number']}/payments", payment())
    read = system.get(f"/api/v1/invoices/{invoice['number']}")
    assert read.status_code == 200
    body = read.json()
    assert body["state"] == "partly_paid" and body["paid"] == "10.00"
    assert [(p["source"], p["amount"], p["payment_id"]) for p in body["payments"]] == [
        ("finance_system", "10.00", "FS-1")]


def test_the_list_filters_and_pages_with_a_cursor(system, family):
    first = issued(system, family["own"].number)
    second = issued(system, family["own"].number)
    third = issued(system, family["childs"].number)
    post(system, f"/invoices/{second['number']}/payments", payment(amount="31.31"))
    page = system.get("/api/v1/invoices", {"limit": 2}).json()
    assert [i["number"] for i in page["items"]] == [first["number"], second["number"]]
    rest = system.get("/api/v1/invoices", {"since": page["next_cursor"]}).json()
    assert [i["number"] for i in rest["items"]] == [third["number"]]
    assert AuditEvent.objects.filter(action="payments.invoice.list").count() == 3
    end = system.get("/api/v1/invoices", {"since": rest["next_cursor"]}).json()
    assert end == {"items": [], "next_cursor": rest["next_cursor"]}
    paid = system.get("/api/v1/invoices", {"state": "paid"}).json()["items"]
    assert [i["number"] for i in paid] == [second["number"]]
    childs = system.get("/api/v1/invoices", {"case_number": family["childs"].number}).json()
    assert [i["number"] for i in childs["items"]] == [third["number"]]
    bad = system.get("/api/v1/invoices", {"case_number": "1011 14"})
    assert bad.status_code == 422 and errors(bad) == {("query", "case_number"): "checksum"}
    assert system.get("/api/v1/invoices", {"state": "lost"}).status_code == 422


def test_another_institutions_invoice_is_a_404_everywhere(system, case_number,
                                                          api_client_factory):
    invoice = issued(system, case_number)
    riga = api_client_factory("RIGA", operations=ALL)
    number = invoice["number"]
    assert riga.get(f"/api/v1/invoices/{number}").status_code == 404
    assert riga.get("/api/v1/invoices").json()["items"] == []
    for path, body in ((f"/invoices/{number}/payments", payment()),
                       (f"/invoices/{number}/cancel", {"reason": "x"}),
                       (f"/invoices/{number}/credit", {"reason": "x"})):
        response = post(riga, path, body)
        assert response.status_code == 404, (path, response.content)
        assert response.json()["detail"][0]["type"] == "not_found"
    assert Invoice.objects.get(number=number).state == "issued"
    assert not Payment.objects.exists()


def test_an_unknown_or_malformed_invoice_number(system):
    assert system.get("/api/v1/invoices/1011-999-01").status_code == 404
    malformed = system.get("/api/v1/invoices/1011-13")
    assert malformed.status_code == 422 and ("path", "number") in errors(malformed)


@pytest.mark.parametrize(("scope", "method", "path", "body"), [
    ("invoices:read", "post", "/invoices", "invoice"),
    ("payments:write", "post", "/invoices", "invoice"),
    ("invoices:write", "get", "/invoices", None),
    ("invoices:write", "get", "/invoices/{}", None),
    ("invoices:read", "post", "/invoices/{}/payments", "payment"),
    ("invoices:write", "post", "/invoices/{}/payments", "payment"),
    ("payments:write", "post", "/invoices/{}/cancel", {"reason": "x"}),
    ("invoices:read", "post", "/invoices/{}/credit", {"reason": "x"}),
    ("cases:read", "get", "/invoices", None),
])
def test_a_missing_scope_is_a_403(system, case_number, api_client_factory, scope, method, path,
                                  body):
    number = issued(system, case_number)["number"]
    http = api_client_factory("VSAA", operations=(scope,))
    if isinstance(body, str):
        body = {"invoice": new_invoice(case_number), "payment": payment()}[body]
    url = path.format(number)
    response = http.get(f"/api/v1{url}") if method == "get" else post(http, url, body)
    assert response.status_code == 403, response.content
    assert response.json()["detail"][0]["type"] == "forbidden"
    assert Invoice.objects.count() == 1 and not Payment.objects.exists()


def test_a_token_for_other_services_sees_nothing(system, case_number, api_client_factory,
                                                 catalogue):
    from durvis.catalog.models import Service

    number = issued(system, case_number)["number"]
    other = Service.objects.filter(holder__code="VSAA").exclude(code=1011).first()
    if other is None:
        pytest.skip("VSAA holds one service only in the catalogue fixture")
    http = api_client_factory("VSAA", operations=ALL, services=(other,))
    assert http.get(f"/api/v1/invoices/{number}").status_code == 404


# --- Payments from the finance system ---------------------------------------------------------

def test_a_payment_moves_the_invoice_and_the_same_payment_id_books_once(system, case_number):
    number = issued(system, case_number)["number"]
    first = post(system, f"/invoices/{number}/payments", payment(amount="31.31"))
    assert first.status_code == 201, first.content
    assert first.json()["outcome"] == "recorded"
    assert first.json()["invoice"]["state"] == "paid"
    assert first.json()["payment"]["bank_reference"] == "2026112000012345"
    again = post(system, f"/invoices/{number}/payments", payment(amount="31.31"))
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert Payment.objects.count() == 1
    assert Invoice.objects.get(number=number).paid == Decimal("31.31")
    assert ServiceCase.objects.get(number=case_number).payment_status == "paid"
    more = post(system, f"/invoices/{number}/payments", payment("FS-2", amount="1.00"))
    assert more.json()["invoice"]["state"] == "overpaid"
    # The same payment id with another amount: the systems disagree, said as a conflict.
    other = post(system, f"/invoices/{number}/payments", payment("FS-2", amount="2.00"))
    assert other.status_code == 409 and other.json()["detail"][0]["type"] == "conflict"
    assert Payment.objects.count() == 2
    dispatch_due()  # the worker's round: the webhooks' events and the feed (issue 20)
    assert check_stored_events() >= 3
    assert {"invoice.issued", "payment.changed"} <= set(
        FeedEvent.objects.values_list("type", flat=True))


def test_an_idempotency_key_replays_the_answer(system, case_number):
    number = issued(system, case_number)["number"]
    key = {"HTTP_IDEMPOTENCY_KEY": "pay-1"}
    first = post(system, f"/invoices/{number}/payments", payment(), **key)
    replay = post(system, f"/invoices/{number}/payments", payment(), **key)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    conflict = post(system, f"/invoices/{number}/payments", payment("FS-9"), **key)
    assert conflict.status_code == 409
    assert conflict.json()["detail"][0]["type"] == "idempotency_conflict"
    assert Payment.objects.count() == 1
    body = new_invoice(case_number)
    one = post(system, "/invoices", body, HTTP_IDEMPOTENCY_KEY="inv-1")
    two = post(system, "/invoices", body, HTTP_IDEMPOTENCY_KEY="inv-1")
    assert one.json()["number"] == two.json()["number"]
    assert Invoice.objects.count() == 2


@pytest.mark.parametrize(("change", "loc", "type_"), [
    ({"amount": 10.0}, ("body", "amount"), "amount_not_string"),
    ({"amount": "10.001"}, ("body", "amount"), "precision"),
    ({"amount": "0.00"}, ("body", "amount"), "not_positive"),
    ({"amount": "1" + "0" * 40}, ("body", "amount"), "too_large"),
    ({"amount": "-5"}, ("body", "amount"), "not_positive"),
    ({"paid_at": "2026-11-20T10:00:00"}, ("body", "paid_at"), "timezone_aware"),
    ({"paid_at": "2999-01-01T00:00:00Z"}, ("body", "paid_at"), "future"),
    ({"payment_id": ""}, ("body", "payment_id"), "string_too_short"),
])
def test_a_bad_payment_is_refused_at_its_field(system, case_number, change, loc, type_):
    number = issued(system, case_number)["number"]
    response = post(system, f"/invoices/{number}/payments", payment(**change))
    assert response.status_code == 422, response.content
    assert errors(response) == {loc: type_}
    assert not Payment.objects.exists()


@pytest.mark.parametrize("action", ["cancel", "credit"])
def test_a_payment_on_a_closed_invoice_is_a_409(system, case_number, action):
    number = issued(system, case_number)["number"]
    closed = post(system, f"/invoices/{number}/{action}", {"reason": "Kļūda summā"})
    assert closed.status_code in (200, 201), closed.content
    response = post(system, f"/invoices/{number}/payments", payment())
    assert response.status_code == 409
    assert errors(response) == {("path", "number"): "invoice_closed"}
    assert not Payment.objects.exists()
    twice = post(system, f"/invoices/{number}/{action}", {"reason": "Vēlreiz"})
    assert twice.status_code == 409 and errors(twice) == {("path", "number"): "invoice_closed"}


# --- Cancelling and crediting ------------------------------------------------------------------

def test_cancel_and_credit(system, family):
    cancelled = issued(system, family["own"].number)["number"]
    response = post(system, f"/invoices/{cancelled}/cancel", {"reason": "Iesniegums atsaukts"})
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["closed_reason"] == "Iesniegums atsaukts"
    credited = issued(system, family["childs"].number)["number"]
    post(system, f"/invoices/{credited}/payments", payment(amount="5.00"))
    refused = post(system, f"/invoices/{credited}/cancel", {"reason": "x"})
    assert refused.status_code == 409 and errors(refused) == {("path", "number"): "paid"}
    note = post(system, f"/invoices/{credited}/credit", {"reason": "Pakalpojums nesniegts"})
    assert note.status_code == 201, note.content
    assert note.json()["kind"] == "credit_note" and note.json()["total"] == "-31.31"
    assert note.json()["credits"] == credited
    assert system.get(f"/api/v1/invoices/{credited}").json()["state"] == "credited"
    empty = post(system, f"/invoices/{cancelled}/cancel", {"reason": ""})
    assert empty.status_code == 422 and errors(empty) == {("body", "reason"): "string_too_short"}


def test_the_schema_names_each_operations_scope():
    from durvis.api import api

    schema = api.get_openapi_schema()
    scopes = {(path, method): [s["scope"] for s in op.get("x-scopes", [])]
              for path, methods in schema["paths"].items() for method, op in methods.items()
              if "/invoices" in path}
    assert scopes == {
        ("/api/v1/invoices", "post"): ["invoices:write"],
        ("/api/v1/invoices", "get"): ["invoices:read"],
        ("/api/v1/invoices/{number}", "get"): ["invoices:read"],
        ("/api/v1/invoices/{number}/payments", "post"): ["payments:write"],
        ("/api/v1/invoices/{number}/cancel", "post"): ["invoices:write"],
        ("/api/v1/invoices/{number}/credit", "post"): ["invoices:write"],
    }


def test_a_time_zone_is_kept(system, case_number):
    number = issued(system, case_number)["number"]
    post(system, f"/invoices/{number}/payments", payment())
    stored = Payment.objects.get().paid_at
    assert stored == timezone.datetime.fromisoformat("2026-11-20T08:00:00+00:00")


@pytest.mark.parametrize(("field", "value", "says"), [
    ("unit_price", "-5", "An amount must be above zero."),
    ("unit_price", "9" * 40, "An amount is at most 999 999 999.99 EUR."),
    ("quantity", "-1", "A quantity must be above zero."),
    ("quantity", "1000000", "A quantity is at most 100 000."),
])
def test_a_bad_number_says_why_in_the_one_error_body(system, case_number, field, value, says):
    body = new_invoice(case_number)
    body["lines"][0][field] = value
    response = post(system, "/invoices", body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "lines", 0, field] and error["msg"] == says
    assert not Invoice.objects.exists()
