"""Online payments through the provider (A8): starting one (only an open invoice, only what is
outstanding, one at a time, the client only), the provider's callback booking once, the payer's
return, polling recovering a lost callback, expiry, and refunds never beyond what was paid.
The provider is the simulator (`durvis.demo.paysim`) over HTTP; the adapter is the production
one."""

from __future__ import annotations

import datetime
import json
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from durvis.audit.models import AuditEvent
from durvis.core.actor import SYSTEM, Actor
from durvis.core.models import DomainEvent
from durvis.core.worker import SOURCES
from durvis.payments import online
from durvis.payments.models import Invoice, Payment, Refund
from durvis.payments.providers import (
    MERCHANT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    CallbackRefused,
    sign,
)
from durvis.register.models import ServiceCase

pytestmark = pytest.mark.django_db

RETURN = "http://testserver/payments/invoices/x/return/"
# Nothing listens here: a callback the simulator sends is lost, as on a bad day.
NOWHERE = "http://127.0.0.1:9/payments/callback/gateway/"


def start(family, invoice, key="k1", person=None, client=None):
    person = person or family["parent"]
    return online.start_payment(Actor(kind="person", person=person), client or person, invoice,
                                method="card", idempotency_key=key, return_url=RETURN,
                                callback_url=NOWHERE)


def signed(merchant, payment: dict, *, secret=None):
    body = json.dumps({"event": "payment.updated", "payment": payment}).encode()
    stamp = str(int(time.time()))
    return {MERCHANT_HEADER: merchant.merchant_id, TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(secret or merchant.secret, stamp, body)}, body


def told(payment, state="success", amount=None):
    return {"id": payment.provider_payment_id, "state": state,
            "amount": str(amount or payment.amount), "currency": "EUR"}


def test_starting_a_payment_asks_the_provider_and_sends_the_payer_to_its_page(
        family, invoice, simulator):
    payment = start(family, invoice)
    assert payment.state == "started" and payment.amount == Decimal("7.11")
    assert payment.redirect_url.startswith(simulator.base_url + "/pay/")
    at_provider = simulator.payments[payment.provider_payment_id]
    assert at_provider.amount == Decimal("7.11") and at_provider.reference == invoice.reference
    assert at_provider.return_url == RETURN
    assert payment.expires_at > timezone.now() + datetime.timedelta(minutes=29)
    assert AuditEvent.objects.filter(action="payments.payment.start").count() == 1


def test_a_double_click_or_a_second_tab_gets_the_same_payment(family, invoice, simulator):
    first = start(family, invoice, key="k1")
    assert start(family, invoice, key="k1").pk == first.pk  # the same form sent twice
    assert start(family, invoice, key="k2").pk == first.pk  # another tab, while one waits
    assert Payment.objects.count() == 1 and len(simulator.payments) == 1


def test_only_an_open_invoice_with_money_outstanding_is_paid(family, invoice, simulator,
                                                             finance):
    from durvis.payments import services as payments

    payments.record_payment(finance["VSAA"], invoice, source="finance_system", amount="7.11",
                            paid_at=timezone.now(), dedup_key="fs:1")
    invoice.refresh_from_db()
    with pytest.raises(ValidationError) as raised:
        start(family, invoice)
    assert raised.value.error_dict["invoice"][0].code == "state"
    other = Invoice.objects.get(pk=invoice.pk)
    Invoice.objects.filter(pk=other.pk).update(state="cancelled")
    with pytest.raises(ValidationError):
        start(family, other, key="k3")
    assert not simulator.payments


def test_a_part_paid_invoice_is_paid_for_what_is_left(family, invoice, simulator, finance):
    from durvis.payments import services as payments

    payments.record_payment(finance["VSAA"], invoice, source="finance_system", amount="5.00",
                            paid_at=timezone.now(), dedup_key="fs:1")
    invoice.refresh_from_db()
    assert start(family, invoice).amount == Decimal("2.11")


def test_only_the_client_or_who_acts_for_them_starts_a_payment(family, invoice, simulator):
    with pytest.raises(PermissionDenied):
        start(family, invoice, person=family["stranger"])
    with pytest.raises(PermissionDenied):  # the parent acting as their company
        start(family, invoice, client=family["company"])
    assert not Payment.objects.exists()


def test_without_a_merchant_account_or_a_provider_nothing_starts(family, invoice, merchants,
                                                                 settings):
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": "http://127.0.0.1:9"}
    with pytest.raises(online.PaymentUnavailable) as raised:
        start(family, invoice)
    assert raised.value.reason == "provider"
    merchants["VSAA"].active = False
    merchants["VSAA"].save()
    with pytest.raises(online.PaymentUnavailable) as raised:
        start(family, invoice)
    assert raised.value.reason == "merchant"
    assert not Payment.objects.exists()


def test_a_callback_of_success_settles_the_invoice_and_the_case_once(family, invoice, simulator,
                                                                     merchants):
    payment = start(family, invoice)
    headers, body = signed(merchants["VSAA"], told(payment))
    online.handle_callback("gateway", headers, body)
    online.handle_callback("gateway", headers, body)  # the provider retries: booked once
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.state, invoice.paid) == ("paid", Decimal("7.11"))
    assert payment.state == "success" and payment.paid_at is not None
    assert ServiceCase.objects.get(pk=invoice.case_id).payment_status == "paid"
    changed = DomainEvent.objects.filter(name="payment.changed")
    assert [e.payload["state"] for e in changed] == ["paid"]


def test_a_final_state_is_not_changed_by_a_later_callback(family, invoice, simulator,
                                                          merchants):
    payment = start(family, invoice)
    online.handle_callback("gateway", *signed(merchants["VSAA"], told(payment, "cancelled")))
    online.handle_callback("gateway", *signed(merchants["VSAA"], told(payment, "success")))
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.state == "cancelled" and invoice.state == "issued"


def test_a_success_for_another_amount_is_not_booked(family, invoice, simulator, merchants):
    payment = start(family, invoice)
    online.handle_callback("gateway", *signed(merchants["VSAA"],
                                              told(payment, amount="0.01")))
    invoice.refresh_from_db()
    assert Payment.objects.get(pk=payment.pk).state == "failed"
    assert invoice.state == "issued" and invoice.paid == 0


@pytest.mark.parametrize("case", ["unknown_payment", "other_merchant", "bad_signature",
                                  "unknown_provider"])
def test_a_refused_callback_books_nothing(family, invoice, simulator, merchants, case):
    payment = start(family, invoice)
    expected = {"unknown_payment": (404, "payment"),
                "other_merchant": (403, "merchant_mismatch"),
                "bad_signature": (401, "signature"), "unknown_provider": (404, "provider")}[case]
    data = told(payment)
    merchant, secret, key = merchants["VSAA"], None, "gateway"
    if case == "unknown_payment":
        data["id"] = "sim_unknown"
    elif case == "other_merchant":  # RIGA's own, valid signature for VSAA's payment
        merchant = merchants["RIGA"]
    elif case == "bad_signature":
        secret = "guessed"
    else:
        key = "nobody"
    with pytest.raises(CallbackRefused) as raised:
        online.handle_callback(key, *signed(merchant, data, secret=secret))
    assert (raised.value.status, raised.value.code) == expected
    invoice.refresh_from_db()
    assert invoice.state == "issued" and Payment.objects.get().state == "started"


def test_polling_recovers_a_lost_callback(family, invoice, simulator, pay_at_simulator,
                                          settings):
    payment = start(family, invoice)
    back = pay_at_simulator(payment.redirect_url, "pay", lose_callback=True)
    assert back == RETURN
    assert simulator.callbacks == []  # the callback was lost
    assert online.poll_due() == 0  # not yet due: asked after DURVIS_PAYMENT_POLL_SECONDS
    due = online.next_poll_at()
    assert due is not None and due > timezone.now()
    Payment.objects.filter(pk=payment.pk).update(
        updated_at=timezone.now() - datetime.timedelta(seconds=settings.DURVIS_PAYMENT_POLL_SECONDS))
    source = SOURCES.get("payments.online")
    assert source.run_due() == 1
    invoice.refresh_from_db()
    assert invoice.state == "paid" and Payment.objects.get().state == "success"
    assert source.run_due() == 0 and source.next_due_at() is None


def test_a_payment_not_finished_in_time_expires(family, invoice, simulator):
    payment = start(family, invoice)
    Payment.objects.filter(pk=payment.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))
    simulator.payments[payment.provider_payment_id].expires_at = \
        datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    assert online.poll_due() == 1
    assert Payment.objects.get().state == "expired"
    invoice.refresh_from_db()
    assert invoice.state == "issued"
    # A new start after the expiry is a new payment.
    assert start(family, invoice, key="k2").pk != payment.pk


def test_an_expired_payment_the_provider_cannot_be_asked_about_still_expires(
        family, invoice, simulator, settings):
    payment = start(family, invoice)
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": "http://127.0.0.1:9"}
    Payment.objects.filter(pk=payment.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))
    online.poll_due()
    assert Payment.objects.get().state == "expired"


def _paid(family, invoice, merchants, simulator):
    payment = start(family, invoice)
    simulator.payments[payment.provider_payment_id].state = "success"  # the payer paid
    online.handle_callback("gateway", *signed(merchants["VSAA"], told(payment)))
    payment.refresh_from_db()
    return payment


def test_a_partial_then_a_full_refund_settle_the_invoice(family, invoice, simulator, merchants,
                                                         finance):
    payment = _paid(family, invoice, merchants, simulator)
    first = online.refund(finance["VSAA"], payment, amount="2.11", idempotency_key="r1",
                          reason="Part of the fee is waived")
    assert first.state == "success" and first.provider_refund_id.startswith("ref_")
    invoice.refresh_from_db()
    assert (invoice.paid, invoice.refunded, invoice.state) == (
        Decimal("5.00"), Decimal("2.11"), "partly_paid")
    again = online.refund(finance["VSAA"], payment, amount="2.11", idempotency_key="r1",
                          reason="Part of the fee is waived")
    assert again.pk == first.pk  # the same key: the same refund
    with pytest.raises(ValidationError) as raised:
        online.refund(finance["VSAA"], payment, amount="5.01", idempotency_key="r2",
                      reason="Too much")
    assert raised.value.error_dict["amount"][0].code == "too_much"
    online.refund(finance["VSAA"], payment, amount="5.00", idempotency_key="r3",
                  reason="The application was withdrawn")
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.refunded == Decimal("7.11") and invoice.paid == 0
    assert simulator.payments[payment.provider_payment_id].refunded == Decimal("7.11")
    assert Refund.objects.filter(state="success").count() == 2


def test_only_the_holders_finance_staff_refund(family, invoice, simulator, merchants, finance):
    payment = _paid(family, invoice, merchants, simulator)
    for actor in (finance["RIGA"], Actor(kind="person", person=family["parent"]), SYSTEM):
        with pytest.raises(PermissionDenied):
            online.refund(actor, payment, amount="1.00", idempotency_key="r", reason="x")
    assert not Refund.objects.exists()


def test_a_refund_the_provider_refuses_gives_the_amount_back(family, invoice, simulator,
                                                             merchants, finance):
    payment = _paid(family, invoice, merchants, simulator)
    simulator.payments[payment.provider_payment_id].state = "failed"  # the provider says no
    with pytest.raises(online.RefundFailed):
        online.refund(finance["VSAA"], payment, amount="7.11", idempotency_key="r1",
                      reason="Withdrawn")
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.refunded == 0 and invoice.state == "paid"
    assert Refund.objects.get().state == "failed"


def test_an_unpaid_payment_is_not_refunded(family, invoice, simulator, finance):
    payment = start(family, invoice)
    with pytest.raises(ValidationError) as raised:
        online.refund(finance["VSAA"], payment, amount="1.00", idempotency_key="r1",
                      reason="x")
    assert raised.value.error_dict["payment"][0].code == "state"
