"""`POST /api/v1/statements` (A8, B9): a holder's system uploads a camt file as multipart or as
the raw XML body; a refused file is a 422 with the reader's code; the same file is imported
once."""

import pytest

from durvis.payments.models import BankStatement, Payment
from tests.payments.camt_builder import Ntry, Tx, document
from tests.payments.test_statements import invoices  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
URL = "/api/v1/statements"


@pytest.fixture
def system(api_client_factory):
    return api_client_factory(operations=("payments:write",))


def test_a_raw_xml_body_settles_the_invoice_and_a_repeat_books_nothing(system, invoices):  # noqa: F811
    first = invoices[0]
    data = document([Ntry("7.11", [Tx("7.11", ref="A1", reference=first.reference)])])
    answer = system.post(URL, data, content_type="application/xml")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["entries"], body["matched"], body["unmatched"]) == (1, 1, 0)
    assert body["message_type"] == "camt.054.001.08"
    again = system.post(URL, data, content_type="application/xml")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Payment.objects.count() == 1
    first.refresh_from_db()
    assert first.state == "paid"


def test_a_multipart_upload(system, invoices):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = document([Ntry("5.00", [Tx("5.00", ref="A2")])], kind="camt.053", version="02")
    answer = system.post(URL, {"file": SimpleUploadedFile("stmt.xml", data, "application/xml")})
    assert answer.status_code == 201, answer.content
    assert answer.json()["unmatched"] == 1 and answer.json()["file_name"] == "stmt.xml"


@pytest.mark.parametrize(("data", "code"), [
    (b"<not xml", "not_xml"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "a">]><d>&a;</d>', "dtd"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "unknown_namespace"),
    (document([Ntry("7.111", [Tx("7.111", ref="X")])]), "precision"),
])
def test_a_refused_file_is_a_422_with_its_code(system, invoices, data, code):  # noqa: F811
    answer = system.post(URL, data, content_type="application/xml")
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["type"] == code and detail["loc"] == ["body"] and detail["msg"]
    assert not BankStatement.objects.exists()


def test_without_the_scope_it_is_forbidden(api_client_factory, invoices):  # noqa: F811
    reader = api_client_factory(operations=("invoices:read",))
    answer = reader.post(URL, document([Ntry("1.00", [Tx("1.00", ref="Z")])]),
                         content_type="application/xml")
    assert answer.status_code == 403


def test_another_content_type_is_refused(system):
    answer = system.post(URL, b"{}", content_type="application/json")
    assert answer.status_code in (400, 422)
    assert answer.json()["detail"][0]["type"] in ("unsupported_media_type", "bad_request")


def test_a_large_import_is_read_back_while_the_platform_books_it(
        system, invoices, monkeypatch, api_client_factory):  # noqa: F811
    from durvis.payments import statements

    monkeypatch.setattr(statements, "BOOK_AT_ONCE", 1)
    data = document([Ntry(str(i.total), [Tx(str(i.total), ref=f"P{n}", reference=i.reference)])
                     for n, i in enumerate(invoices)])
    answer = system.post(URL, data, content_type="application/xml")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["pending"], body["matched"]) == (3, 0)
    while statements.book_due():
        pass
    again = system.get(f"{URL}/{body['id']}")
    assert again.status_code == 200
    assert (again.json()["pending"], again.json()["matched"]) == (0, 3)
    other = api_client_factory(institution="VID", operations=("payments:write",))
    assert other.get(f"{URL}/{body['id']}").status_code == 404
    assert system.get(f"{URL}/999999").status_code == 404
