"""Starting an online payment never holds the invoice's row lock while the provider is asked
(A8): with a slow provider, the invoice can be locked by others (a bank statement, a finance
system's payment, a refund) meanwhile, and a second start of the same invoice is told to wait
instead of asking for the money twice. Real concurrent transactions (threads with their own
connections) need PostgreSQL; the steps without threads run on SQLite too."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.payments import online
from durvis.payments.models import Invoice, Payment

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them)")


def _start(family, invoice, key):
    return online.start_payment(
        Actor(kind="person", person=family["parent"]), family["parent"], invoice,
        method="card", idempotency_key=key, return_url="http://testserver/x/",
        callback_url="http://127.0.0.1:9/")


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_slow_provider_does_not_hold_the_invoice_and_a_second_start_waits(
        family, invoice, simulator):
    simulator.create_delay = 2.0
    outcome: list[object] = []

    def first() -> None:
        try:
            outcome.append(_start(family, invoice, "k1"))
        except Exception as error:
            outcome.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 10
    while not Payment.objects.filter(invoice=invoice, state="created").exists():
        assert time.monotonic() < deadline, "the payment was never written"
        time.sleep(0.05)
    asked_at = time.monotonic()
    with transaction.atomic():  # the invoice is free while the provider is asked
        Invoice.objects.select_for_update(nowait=True).get(pk=invoice.pk)
    with pytest.raises(online.PaymentUnavailable) as refused:
        _start(family, invoice, "k2")
    assert refused.value.reason == "busy"
    assert time.monotonic() - asked_at < 1.5  # neither waited for the provider
    thread.join(30)
    [payment] = outcome
    assert isinstance(payment, Payment) and payment.state == "started"
    assert payment.redirect_url.startswith(simulator.base_url)
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert _start(family, invoice, "k3").pk == payment.pk  # now it waits for the payer


@pytest.mark.django_db
def test_a_refusal_keeps_nothing_and_a_start_that_died_does_not_block(family, invoice, settings,
                                                                     simulator):
    good = settings.DURVIS_PAYMENT_PROVIDER_URLS
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": "http://127.0.0.1:9"}
    with pytest.raises(online.PaymentUnavailable) as refused:
        _start(family, invoice, "k1")
    assert refused.value.reason == "provider" and not Payment.objects.exists()
    settings.DURVIS_PAYMENT_PROVIDER_URLS = good
    died = Payment.objects.create(
        invoice=invoice, source="online", state="created", amount=invoice.total,
        currency="EUR", provider="gateway", dedup_key="online:k2",
        expires_at=timezone.now() + datetime.timedelta(minutes=30))
    with pytest.raises(online.PaymentUnavailable) as busy:
        _start(family, invoice, "k3")
    assert busy.value.reason == "busy"
    Payment.objects.filter(pk=died.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=1))
    payment = _start(family, invoice, "k4")
    assert payment.state == "started" and payment.pk != died.pk
    assert Payment.objects.get(pk=died.pk).state == "failed"
