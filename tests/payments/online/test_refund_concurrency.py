"""Two refunds of the whole amount at once (two finance specialists, a double click that reached
the server twice with two keys): exactly one wins, the other is refused as too much, and the
provider is asked once (A8). `Payment.refunded` is raised under the payment's row lock before
the provider is asked, and the database's check constraint backs it. Real concurrent
transactions (threads with their own connections) need PostgreSQL; SQLite serialises writers."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from durvis.core.actor import Actor
from durvis.payments import online
from durvis.payments.models import Invoice, Payment, Refund

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="concurrent writers need PostgreSQL (SQLite serialises them)"),
]


def test_two_refunds_of_the_whole_amount_at_once_exactly_one_wins(family, invoice, simulator,
                                                                   finance):
    payment = online.start_payment(
        Actor(kind="person", person=family["parent"]), family["parent"], invoice,
        method="card", idempotency_key="k", return_url="http://testserver/x/",
        callback_url="http://127.0.0.1:9/")
    simulator.payments[payment.provider_payment_id].state = "success"
    online.refresh(Payment.objects.select_related("invoice").get(pk=payment.pk))
    assert Invoice.objects.get(pk=invoice.pk).state == "paid"
    start = threading.Barrier(2)
    outcomes: list[tuple[str, str]] = []

    def refund(key: str) -> None:
        try:
            start.wait()
            row = online.refund(finance["VSAA"], Payment.objects.select_related("invoice")
                                .get(pk=payment.pk), amount="7.11", idempotency_key=key,
                                reason="The application was withdrawn")
            outcomes.append(("refunded", row.state))
        except ValidationError as error:
            outcomes.append(("refused", error.error_dict["amount"][0].code))
        except Exception as error:
            outcomes.append(("error", repr(error)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refund, args=(key,)) for key in ("r1", "r2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == [("refunded", "success"), ("refused", "too_much")], outcomes
    assert Payment.objects.get(pk=payment.pk).refunded == Decimal("7.11")
    assert Refund.objects.count() == 1
    assert simulator.payments[payment.provider_payment_id].refunded == Decimal("7.11")
    assert Invoice.objects.get(pk=invoice.pk).paid == 0
