"""The demo's payments (A8): every holder of a paid service has an account to be paid into (the
Treasury's for a state institution, a bank's for a municipality, valid by schwifty), finance
specialists of VZD and Rīga sign in with a fixed second factor, and a citizen applying for
Rīga's residents' parking permit (2003) through its e-form gets a prepayment invoice of 20.00
EUR, its PDF and its e-mail."""

from __future__ import annotations

import json

import pytest
from django.http import QueryDict
from schwifty import IBAN

from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.demo.loader import DATA_DIR, load_demo
from durvis.documents.models import Document
from durvis.eforms import queries as eforms_queries
from durvis.eforms import services as eforms
from durvis.identity.models import Person, StaffMember
from durvis.payments.models import Invoice, PayeeAccount
from durvis.web.roles import ClientRole


@pytest.fixture
def demo(db, settings):
    settings.DEMO_MODE = True
    return load_demo()


def test_every_holder_of_a_paid_service_has_a_valid_default_account(demo):
    holders = set(Service.objects.exclude(fee_kind="none").values_list("holder__code", flat=True))
    accounts = {a.institution.code: a for a in PayeeAccount.objects.filter(is_default=True)
                .select_related("institution")}
    assert holders <= set(accounts)
    for code, account in accounts.items():
        iban = IBAN(account.iban)
        assert str(iban.bic)[:8] == account.bic[:8]
        if account.institution.kind == "municipality":
            assert account.bic != "TRELLV22", code
        else:
            assert account.bic == "TRELLV22", code


def test_loading_again_adds_no_account_and_a_reset_keeps_one_default(demo):
    before = list(PayeeAccount.objects.order_by("pk").values_list("pk", "iban", "is_default"))
    load_demo()
    load_demo(reset=True)
    assert list(PayeeAccount.objects.order_by("pk").values_list("pk", "iban", "is_default")) \
        == before


def test_finance_specialists_of_vzd_and_riga(demo):
    rows = {r["username"]: r for r in json.loads((DATA_DIR / "staff.json").read_text())}
    for username, code in (("finance.vzd", "VZD"), ("finance.riga", "RIGA")):
        member = StaffMember.objects.get(user__username=username)
        assert member.institution.code == code and "finance" in member.roles
        assert rows[username]["totp_secret"]


def test_a_citizen_applying_for_the_parking_permit_gets_a_prepayment_invoice(demo, worker):
    service = Service.objects.get(code=2003)
    assert eforms_queries.live_version(service) is not None
    person = Person.objects.get(personal_code="14038612043")
    me = Actor(kind="person", person=person)
    application = eforms.start_application(me, ClientRole("self", person=person), service)
    for page, data in (("vehicle", "registration_number=AB1234&owner=yes&zone=B"),
                       ("contact", "email=janis@example.lv")):
        application.refresh_from_db()
        outcome = eforms.answer_page(me, person, application, page, QueryDict(data),
                                     version=application.version)
        assert not outcome.errors, outcome.errors
    done = eforms.submit_application(me, person, application, result_channel="eaccount",
                                     declared=True)
    invoice = Invoice.objects.get(case=done.case)
    assert invoice.kind == "prepayment" and str(invoice.total) == "20.00"
    assert invoice.payee_iban == "LV36RIKO0000435195001"
    worker.events()
    invoice.refresh_from_db()
    assert Document.objects.filter(pk=invoice.document_id, case=done.case).exists()
