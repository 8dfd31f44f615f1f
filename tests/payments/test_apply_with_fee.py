"""Applying for a prepaid service through its e-form (A8, A10, G30): the prepayment invoice is
issued with the case, in the same transaction; without a payee account the application is
refused with a clear message and nothing is opened."""

import pytest
from django.urls import reverse

from durvis.eforms.models import Application
from durvis.payments.models import Invoice
from durvis.register.models import ServiceCase
from tests.eforms.journey import publish_form

pytestmark = pytest.mark.django_db

APPLICANT = {"name": "Jānis Bērziņš", "personal_code": "140386-12043", "resident": "yes",
             "has_children": "no"}


def _submit(browser, service):
    browser.post(reverse("eforms:start", args=[service.code]), {})
    app = Application.objects.latest("pk")
    browser.post(reverse("eforms:page", args=[app.reference, "applicant"]),
                 {**APPLICANT, "version": "0"})
    browser.post(reverse("eforms:page", args=[app.reference, "payment"]),
                 {"iban": "LV80BANK0000435195001", "version": "1"})
    check = browser.get(reverse("eforms:check", args=[app.reference])).content.decode()
    fee = 'id="fee"' in check
    assert fee == (service.fee_kind == "prepayment")  # the fee is said before submitting
    response = browser.post(reverse("eforms:check", args=[app.reference]),
                            {"result_channel": "eaccount", "declaration": "yes"})
    app.refresh_from_db()
    return app, response


def test_submitting_a_prepaid_service_issues_its_invoice(sign_in, family, institutions,
                                                         paid_service, payee_accounts):
    publish_form(institutions, paid_service)
    browser = sign_in(family["parent"])
    app, response = _submit(browser, paid_service)
    assert response.status_code == 302
    invoice = Invoice.objects.get(case=app.case)
    assert invoice.kind == "prepayment" and str(invoice.total) == "7.11"
    assert invoice.client_person == family["parent"]
    assert ServiceCase.objects.get(pk=app.case_id).payment_status == "awaiting_payment"
    page = browser.get(reverse("eaccount:case", args=[app.case.number])).content.decode()
    assert "Gaida apmaksu" in page and "awaiting_payment" not in page  # Latvian by default


def test_without_a_payee_account_the_application_waits_with_a_clear_message(
        sign_in, family, institutions, paid_service):
    publish_form(institutions, paid_service)
    before = ServiceCase.objects.count()
    app, response = _submit(sign_in(family["parent"]), paid_service)
    assert response.status_code == 422
    assert "Iestāde vēl nevar pieņemt maksājumus" in response.content.decode()
    assert app.status == "draft" and app.case is None
    assert ServiceCase.objects.count() == before and not Invoice.objects.exists()
