"""The finance specialist refunds an online payment from the invoice's page (A8): all or part,
never beyond what is left, a double submit refunds once, another institution's is a 404."""

import html
from decimal import Decimal

import pytest
from conftest import sign_in_staff
from django.urls import reverse

from durvis.payments.models import Refund
from tests.payments.online.test_online import _paid

pytestmark = pytest.mark.django_db


def test_a_partial_refund_from_the_invoice_page(client, family, invoice, simulator, merchants,
                                                finance):
    payment = _paid(family, invoice, merchants, simulator)
    sign_in_staff(client, finance["VSAA"].staff)
    page = client.get(reverse("administration:finance-invoice", args=[invoice.number]))
    url = reverse("administration:finance-invoice-refund", args=[invoice.number, payment.pk])
    assert url in page.content.decode()
    form = client.get(url).content.decode()
    assert 'value="7.11"' in form
    too_much = client.post(url, {"amount": "7.12", "reason": "x", "idempotency_key": "101"})
    assert too_much.status_code == 422 and not Refund.objects.exists()
    done = client.post(url, {"amount": "2.11", "reason": "Part waived", "idempotency_key": "102"})
    assert done.status_code == 302
    again = client.post(url, {"amount": "2.11", "reason": "Part waived", "idempotency_key": "102"})
    assert again.status_code == 302  # the same form twice: one refund
    payment.refresh_from_db()
    assert payment.refunded == Decimal("2.11") and Refund.objects.count() == 1


def test_another_institutions_refund_page_is_not_found(client, family, invoice, simulator,
                                                       merchants, finance):
    payment = _paid(family, invoice, merchants, simulator)
    sign_in_staff(client, finance["RIGA"].staff)
    url = reverse("administration:finance-invoice-refund", args=[invoice.number, payment.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"amount": "1", "reason": "x", "idempotency_key": "103"}
                       ).status_code == 404
    assert not Refund.objects.exists()


@pytest.mark.parametrize(("amount", "says"), [
    ("-2", "An amount must be above zero."),
    ("9" * 30, "An amount is at most 999 999 999.99 EUR."),
])
def test_a_bad_refund_amount_says_why(client, family, invoice, simulator, merchants, finance,
                                      amount, says):
    payment = _paid(family, invoice, merchants, simulator)
    sign_in_staff(client, finance["VSAA"].staff)
    url = "/en" + reverse("administration:finance-invoice-refund",
                          args=[invoice.number, payment.pk])
    response = client.post(url, {"amount": amount, "reason": "x", "idempotency_key": "104"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 422 and 'class="govuk-error-summary"' in page
    assert f"Amount to refund (EUR): {says}</a>" in page
    assert not Refund.objects.exists()
