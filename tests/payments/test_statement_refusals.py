"""Every kind of refusal of a bank-statement file (A8), through the finance staff's upload page
and the API, in Latvian and English: the reason is wholly in the reader's language, names the
place in the file in words (the element's name only in brackets) and its line where known, and
nothing is stored."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from durvis.payments import statements
from durvis.payments.models import BankStatement
from tests.payments.camt_builder import Ntry, Tx, document
from tests.payments.test_statements import invoices  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def _lines(data: bytes) -> bytes:
    """The file with one element per line, as banks write them (so lines mean something)."""
    return data.replace(b"><", b">\n<")


def _entries(*amounts: str) -> list[Ntry]:
    return [Ntry(amount, [Tx(amount, ref=f"R{i}")]) for i, amount in enumerate(amounts)]


GRP_HDR = b"</CreDtTm></GrpHdr>"
# kind → (the file, its code, what the English reason says, the words of the place in English
# and in Latvian, the line, or None where the file has none to give)
CASES = {
    "not_xml": (b"%PDF-1.7\n%binary", "not_xml", "does not begin with an element",
                "", "", 1),
    "cut_short": (_lines(document(_entries("7.11")))[:400], "not_xml", "ends before all its "
                  "elements are closed", "", "", 19),
    "tag_mismatch": (b"<Document>\n<a>\n</b>\n</Document>", "not_xml", "closed by another",
                     "", "", 3),
    "dtd": (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "a">]><d>&a;</d>', "dtd",
            "document type", "", "", None),
    "unknown_namespace": (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
                          "unknown_namespace", "not a camt.053", "", "", None),
    "structure": (_lines(document(_entries("7.11")).replace(
        b"<MsgId>MSG-20261130-0001</MsgId>", b"")), "structure", "no message id",
        "the message id in the group header", "grupas galvenes ziņojuma identifikators", 4),
    "missing_account": (_lines(document(_entries("7.11"), account="")), "missing_account",
                        "names no account", "the account", "konts", None),
    "currency": (_lines(document(_entries("7.11")).replace(b'Ccy="EUR"', b'Ccy="USD"')),
                 "currency", "in USD", "the amount of entry 1", "1. ieraksta summa", None),
    "precision": (_lines(document(_entries("7.11", "7.111"))), "precision",
                  "more than two decimals", "the amount of entry 2", "2. ieraksta summa", None),
    "amount": (_lines(document(_entries("7.11")).replace(b'"EUR">7.11<', b'"EUR">7,11<', 1)), "amount",
               "not a plain number", "the amount of entry 1", "1. ieraksta summa", None),
    "date": (_lines(document(_entries("7.11")).replace(b"<Dt>2026-11-30</Dt>",
                                                       b"<Dt>30.11.2026</Dt>", 1)),
             "date", "not a date", "the booking date of entry 1",
             "1. ieraksta grāmatošanas datums", None),
    "summary_total": (_lines(document(_entries("7.11", "2.00"), summary=(
        "<TxsSummry><TtlNtries><NbOfNtries>3</NbOfNtries><Sum>9.11</Sum></TtlNtries>"
        "</TxsSummry>"))), "control_sum", "for all entries (number / sum) the file says 3 / "
        "9.11, the entries give 2 / 9.11", "the number and sum of all entries in the "
        "transaction summary", "visu ierakstu skaits un summa darījumu kopsavilkumā", None),
    "summary_number": (_lines(document(_entries("7.11"), summary=(
        "<TxsSummry><TtlCdtNtries><NbOfNtries>x</NbOfNtries></TtlCdtNtries></TxsSummry>"))),
        "structure", "not a whole number", "the number of credit entries in the transaction "
        "summary", "kredīta ierakstu skaits darījumu kopsavilkumā", None),
    "batch": (_lines(document([Ntry("10.00", [Tx("4.00", ref="C1"), Tx("5.00", ref="C2")],
                                    batch=True)])), "control_sum", "batch's total",
              "the batch of entry 1", "1. ieraksta pakete", None),
    "group_header": (_lines(document(_entries("7.11")).replace(
        GRP_HDR, b"</CreDtTm><NbOfTxs>1</NbOfTxs><CtrlSum>7.12</CtrlSum></GrpHdr>")),
        "control_sum", "control sum does not match", "the control sum in the group header",
        "grupas galvenes kontrolsumma", 4),
    "foreign_account": (_lines(document(_entries("7.11"), account="LV97HABA0012345678910")),
                        "foreign_account", "LV97HABA0012345678910", "the account", "konts",
                        None),
}
LATVIAN = {
    "not_xml": "nesākas ar elementu", "cut_short": "beidzas, pirms", "tag_mismatch":
    "cita elementa beigu tags", "dtd": "dokumenta tipa", "unknown_namespace": "camt.053",
    "structure": "ziņojuma identifikatora", "missing_account": "konts", "currency": "USD",
    "precision": "divas zīmes", "amount": "nav vienkāršs skaitlis", "date": "nav datums",
    "summary_total": "par visiem ierakstiem (skaits / summa) datnē norādīts 3 / 9,11, "
    "ieraksti dod 2 / 9,11", "summary_number": "nav vesels skaitlis",
    "batch": "Paketes kopsumma", "group_header": "kontrolsumma",
    "foreign_account": "LV97HABA0012345678910"}
# English words none of which a Latvian reason may contain (outside the element names in
# brackets and the values the file gave)
ENGLISH = re.compile(r"\b(the|of|entry|entries|line|where|file|not|expected|found|tag|start|"
                     r"number|sum|amount|account|summary|credits|debits|net)\b", re.IGNORECASE)


def _words_only(text: str) -> str:
    """The reason without bracketed element names and the values the file carries."""
    text = re.sub(r"\([^()]*\)", "", text)
    return re.sub(r"LV\d\d[A-Z0-9]+|camt\.\d{3}|urn:\S+|USD|EUR", "", text)


@pytest.fixture
def finance_page(client, staff_login, finance):
    return staff_login(client, finance["VSAA"].staff)


@pytest.fixture
def system(api_client_factory):
    return api_client_factory(operations=("payments:write",))


def _check(kind: str, reason: str, language: str) -> None:
    _data, _code, english, place_en, place_lv, line = CASES[kind]
    if language == "en":
        assert english in reason, reason
        assert place_en in reason, reason
        assert "Where:" in reason or not (place_en or line), reason
    else:
        assert LATVIAN[kind] in reason, reason
        assert place_lv in reason, reason
        assert not ENGLISH.search(_words_only(reason)), reason
    if line is not None:
        assert (f"line {line}" if language == "en" else f"{line}. rindā") in reason, reason
    elif "entry" in place_en:  # the line where the entry begins
        assert re.search(r"line \d+|\d+\. rindā", reason), reason


@pytest.mark.parametrize("language", ["lv", "en"])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_refused_upload_says_why_in_the_readers_language(finance_page, invoices, kind,  # noqa: F811
                                                            language):
    data = CASES[kind][0]
    prefix = "/en" if language == "en" else ""
    answer = finance_page.post(f"{prefix}/staff/statements/", {
        "file": SimpleUploadedFile("camt.xml", data, "application/xml")})
    assert answer.status_code == 422
    page = answer.content.decode()
    found = re.search(r'<ul class="errorlist" id="id_file_error"><li>(.*?)</li>', page, re.DOTALL)
    assert found, page
    reason = html.unescape(found.group(1)).strip()
    _check(kind, reason, language)
    assert not BankStatement.objects.exists()


@pytest.mark.parametrize("language", ["lv", "en"])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_refused_api_upload_says_why_in_the_readers_language(system, invoices, kind,  # noqa: F811
                                                                language):
    data, code, *_rest = CASES[kind]
    answer = system.post("/api/v1/statements", data, content_type="application/xml",
                         HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 422, answer.content
    detail = answer.json()["detail"][0]
    assert detail["type"] == code
    _check(kind, detail["msg"], language)
    assert not BankStatement.objects.exists()


@pytest.mark.parametrize(("language", "words"), [
    ("en", "The file is larger than 100 MiB."), ("lv", "Datne ir lielāka par 100 MiB.")])
def test_a_file_too_large_is_refused_in_the_readers_language(system, finance_page, invoices,  # noqa: F811
                                                             monkeypatch, language, words):
    monkeypatch.setattr(statements, "MAX_FILE_BYTES", 100)
    data = _lines(document(_entries("7.11")))
    answer = system.post("/api/v1/statements", data, content_type="application/xml",
                         HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 413 and answer.json()["detail"][0]["msg"] == words
    prefix = "/en" if language == "en" else ""
    page = finance_page.post(f"{prefix}/staff/statements/", {
        "file": SimpleUploadedFile("camt.xml", data, "application/xml")})
    assert page.status_code == 422 and words in page.content.decode()
