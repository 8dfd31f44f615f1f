"""The invoices' clock (A8): an unpaid invoice becomes overdue after its due date; the client is
reminded once a few days before it and once when it is overdue, never twice and never of a paid,
cancelled or credited invoice."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.core.models import DomainEvent
from durvis.core.worker import SOURCES
from durvis.payments import reminders
from durvis.payments import services as payments
from durvis.payments.models import Invoice
from durvis.register.models import ServiceCase

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def issue(family, case_key="own"):
    case = ServiceCase.objects.select_related("service", "holder").get(pk=family[case_key].pk)
    return payments.issue_prepayment(Actor(kind="person", person=family["parent"]), case,
                                     language="lv")


def dates(invoice, *, issued_days_ago, due_in_days):
    today = timezone.localdate()
    Invoice.objects.filter(pk=invoice.pk).update(
        issue_date=today - issued_days_ago * DAY, due_date=today + due_in_days * DAY)


def reminders_sent():
    return [(e.payload["number"], e.payload["when"])
            for e in DomainEvent.objects.filter(name="invoice.reminder").order_by("pk")]


def test_the_clock_is_a_worker_source():
    assert SOURCES.get("payments.reminders").run_due is reminders.run


def test_one_reminder_before_the_due_date_and_one_when_overdue(family, paid_service,
                                                                payee_accounts, settings):
    settings.DURVIS_INVOICE_REMIND_DAYS = 3
    invoice = issue(family)
    dates(invoice, issued_days_ago=5, due_in_days=4)
    assert reminders.run() == 0 and reminders_sent() == []
    next_at = reminders.next_due_at()
    assert next_at is not None and next_at.date() == timezone.localdate() + DAY

    dates(invoice, issued_days_ago=5, due_in_days=3)
    assert reminders.next_due_at() <= timezone.now()
    assert reminders.run() == 1
    assert reminders.run() == 0  # never twice
    assert reminders_sent() == [(invoice.number, "before")]

    dates(invoice, issued_days_ago=20, due_in_days=-1)
    assert reminders.next_due_at() <= timezone.now()
    assert reminders.run() == 2  # settled overdue, then reminded
    invoice.refresh_from_db()
    assert invoice.state == "overdue" and invoice.reminded == "after"
    invoice.case.refresh_from_db()
    assert invoice.case.payment_status == "overdue"
    assert reminders.run() == 0
    assert reminders_sent() == [(invoice.number, "before"), (invoice.number, "after")]
    assert reminders.next_due_at() is None


def test_not_reminded_on_the_day_of_issue(family, paid_service, payee_accounts):
    invoice = issue(family)
    dates(invoice, issued_days_ago=0, due_in_days=2)
    assert reminders.run() == 0
    assert reminders.next_due_at().date() == timezone.localdate() + DAY


def test_a_paid_invoice_is_never_reminded(family, paid_service, payee_accounts, finance):
    invoice = issue(family)
    payments.record_payment(finance["VSAA"], invoice, source="finance_system", amount="7.11",
                            paid_at=timezone.now(), dedup_key="fs:1")
    for due_in in (2, -5):
        dates(invoice, issued_days_ago=20, due_in_days=due_in)
        assert reminders.run() == 0
    invoice.refresh_from_db()
    assert invoice.state == "paid" and invoice.reminded == ""
    assert reminders_sent() == [] and reminders.next_due_at() is None


def test_cancelled_and_credited_invoices_are_never_reminded(family, paid_service,
                                                            payee_accounts, finance):
    cancelled = issue(family)
    payments.cancel_invoice(finance["VSAA"], cancelled, reason="Kļūda")
    credited = issue(family)
    payments.credit_invoice(finance["VSAA"], credited, reason="Atsaukts")
    for invoice in Invoice.objects.all():
        dates(invoice, issued_days_ago=30, due_in_days=-3)
    assert reminders.run() == 0
    assert reminders_sent() == []
    assert set(Invoice.objects.values_list("state", flat=True)) == {"cancelled", "credited"}


def test_a_partly_paid_invoice_is_reminded_and_becomes_overdue(family, paid_service,
                                                               payee_accounts, finance):
    invoice = issue(family)
    payments.record_payment(finance["VSAA"], invoice, source="finance_system", amount="2.00",
                            paid_at=timezone.now(), dedup_key="fs:1")
    dates(invoice, issued_days_ago=10, due_in_days=1)
    assert reminders.run() == 1
    dates(invoice, issued_days_ago=20, due_in_days=-1)
    assert reminders.run() == 2
    invoice.refresh_from_db()
    assert invoice.state == "overdue" and invoice.paid == 2
    assert [w for _n, w in reminders_sent()] == ["before", "after"]


def test_an_invoice_found_late_is_reminded_once_after_only(family, paid_service, payee_accounts):
    invoice = issue(family)
    dates(invoice, issued_days_ago=30, due_in_days=-10)
    assert reminders.run() == 2
    assert reminders.run() == 0
    assert reminders_sent() == [(invoice.number, "after")]
