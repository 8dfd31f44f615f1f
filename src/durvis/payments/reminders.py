"""The invoices' clock (A8; seed 4.2 lines 1687-1703): a worker source (`core.worker.SOURCES`,
key `payments.reminders`) that, as the days pass,

1. moves every unpaid or partly paid invoice past its due date to `overdue` through
   `services.settle` (the case's payment status moves, `payment.changed` is published);
2. reminds the client once, `DURVIS_INVOICE_REMIND_DAYS` (default 3) days before the due date, of
   an invoice still waiting for money (`invoice.reminder` with `when` = `before`; not on the day
   it was issued: the client has just been told of it);
3. reminds the client once when the invoice is overdue (`when` = `after`).

`Invoice.reminded` holds the last reminder sent (`before`, `after`) and is set in the
transaction that publishes it, under the invoice's row lock, so nothing is sent twice even with
two workers. Paid, overpaid, cancelled and credited invoices are never reminded. Messaging turns
the event into the client's notification (topic invoices)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from durvis.core.actor import SYSTEM
from durvis.core.events import publish
from durvis.core.worker import SOURCES, Source
from durvis.payments import services
from durvis.payments.events import INVOICE_REMINDER
from durvis.payments.models import Invoice, InvoiceKind, InvoiceState

BEFORE, AFTER = "before", "after"
# Waiting for money and not yet late.
WAITING = (InvoiceState.ISSUED, InvoiceState.PARTLY_PAID)


def remind_days() -> int:
    """`DURVIS_INVOICE_REMIND_DAYS` (default 3): how many days before the due date the reminder
    goes."""
    return int(getattr(settings, "DURVIS_INVOICE_REMIND_DAYS", 3))


def run(*, batch: int = 200) -> int:
    """One round of the invoices' clock (the module docstring's three steps), each step at most
    `batch` invoices, rows another worker holds skipped. Returns how many invoices it took (0:
    nothing was due). Raises what the database raises (the worker retries the round)."""
    today = timezone.localdate()
    return mark_overdue(today, batch) + remind(today, batch)


def mark_overdue(today: datetime.date, batch: int = 200) -> int:
    """Settle the waiting invoices whose due date is before `today`: each becomes overdue
    (`services.settle`, which computes the state from the money and the date). Returns how
    many."""
    with transaction.atomic():
        late = list(Invoice.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("case", "case__service")
                    .filter(state__in=WAITING, due_date__lt=today)
                    .exclude(kind=InvoiceKind.CREDIT_NOTE).order_by("due_date", "pk")[:batch])
        for invoice in late:
            services.settle(SYSTEM, invoice, cause=f"overdue:{invoice.due_date.isoformat()}")
    return len(late)


def remind(today: datetime.date, batch: int = 200) -> int:
    """Publish the reminders due on `today`: `before` for a waiting invoice due within
    `remind_days()` days, issued before today and not reminded yet; `after` for an overdue one
    not reminded after. Returns how many reminders were published."""
    window = today + datetime.timedelta(days=remind_days())
    with transaction.atomic():
        before = list(Invoice.objects.select_for_update(skip_locked=True, of=("self",))
                      .select_related("case").filter(
                          state__in=WAITING, reminded="", due_date__gte=today,
                          due_date__lte=window, issue_date__lt=today)
                      .exclude(kind=InvoiceKind.CREDIT_NOTE).order_by("due_date", "pk")[:batch])
        after = list(Invoice.objects.select_for_update(skip_locked=True, of=("self",))
                     .select_related("case").filter(state=InvoiceState.OVERDUE)
                     .exclude(reminded=AFTER).exclude(kind=InvoiceKind.CREDIT_NOTE)
                     .order_by("due_date", "pk")[:batch])
        items = [(invoice, BEFORE) for invoice in before] + [(invoice, AFTER) for invoice in after]
        for when in (BEFORE, AFTER):
            ids = [invoice.pk for invoice, w in items if w == when]
            if ids:
                Invoice.objects.filter(pk__in=ids).update(reminded=when)
        if items:
            publish(SYSTEM, INVOICE_REMINDER, [(f"invoice:{invoice.pk}", {
                **services.invoice_facts(invoice), "when": when,
                "due_date": invoice.due_date.isoformat()}) for invoice, when in items])
    return len(items)


def next_due_at() -> datetime.datetime | None:
    """When the clock next has work: the start of the day after the earliest waiting invoice's
    due date (it becomes overdue), the start of the earliest not-yet-reminded one's reminder
    day (`remind_days()` before its due date, not before the day after its issue), or now for
    an overdue invoice not reminded after. None when no invoice waits."""
    open_ = Invoice.objects.exclude(kind=InvoiceKind.CREDIT_NOTE)
    if open_.filter(state=InvoiceState.OVERDUE).exclude(reminded=AFTER).exists():
        return timezone.now()
    days = []
    first_due = (open_.filter(state__in=WAITING).order_by("due_date")
                 .values_list("due_date", flat=True).first())
    if first_due is not None:
        days.append(first_due + datetime.timedelta(days=1))
    # The earliest reminders: never before the day after issue (a bounded look at the first
    # due dates; the ones after them are due later still or on the same day).
    today = timezone.localdate()
    for due, issued in (open_.filter(state__in=WAITING, reminded="", due_date__gte=today)
                        .order_by("due_date").values_list("due_date", "issue_date")[:50]):
        days.append(max(due - datetime.timedelta(days=remind_days()),
                        issued + datetime.timedelta(days=1)))
    if not days:
        return None
    day = min(days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


SOURCES.register(Source("payments.reminders", run, next_due_at, lambda _ids: 0))
