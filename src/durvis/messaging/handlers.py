"""Messaging's subscribers: the client is told (C1) of what other apps publish — a case's status
moved, a result, a document delivered — and of a message put into their inbox. They run in
the worker, after the change committed: the base registers (who speaks for a minor or a
company) are asked here, never under the register's row locks, and once per batch of events.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from durvis.calendars import queries as calendar_queries
from durvis.calendars.events import BOOKED, CANCELLED, MOVED, REMINDER
from durvis.catalog import queries as catalog
from durvis.core.events import Event, subscriber
from durvis.core.templatetags.durvis_formats import format_money
from durvis.documents.events import DOCUMENT_DELIVERED
from durvis.identity import queries as identity
from durvis.identity.queries import Client
from durvis.mandates.events import MANDATE_CHANGED
from durvis.mandates.models import Mandate, MandateState
from durvis.messaging import services
from durvis.messaging.events import MESSAGE_SENT
from durvis.register.events import CASE_RESULT, CASE_STATUS_CHANGED
from durvis.register.models import CaseStatus


def _client(payload: dict[str, Any]) -> Client | None:
    return identity.client_by_ids(payload.get("client_person_id"), payload.get("client_company_id"))


def _case_items(events: Sequence[Event]) -> list[tuple[Client, dict[str, Any]]]:
    services_by_code = catalog.services_by_code({e.payload["service_code"] for e in events})
    items = []
    for event in events:
        client = _client(event.payload)
        if client is not None:
            items.append((client, {
                "number": event.payload["number"],
                "service": services_by_code.get(event.payload["service_code"]),
                "status": CaseStatus(event.payload["status"]).label}))
    return items


@subscriber(CASE_STATUS_CHANGED, "messaging.notify_status_changed")
def notify_status_changed(events: Sequence[Event]) -> None:
    """The client hears of a case whose current status moved (not of a late event that only
    completed the history)."""
    services.notify_clients(services.STATUS_CHANGED,
                            _case_items([e for e in events if e.payload.get("status_moved")]))


@subscriber(CASE_RESULT, "messaging.notify_result")
def notify_result(events: Sequence[Event]) -> None:
    services.notify_clients(services.RESULT, _case_items(events))


@subscriber(DOCUMENT_DELIVERED, "messaging.notify_document_delivered")
def notify_document_delivered(events: Sequence[Event]) -> None:
    """A result document counts as a result, any other document as a message (the client's
    topics); the notification names the case number only."""
    for is_result, kind in ((True, services.RESULT_DOCUMENT_RECEIVED),
                            (False, services.DOCUMENT_RECEIVED)):
        # The e-mail links to the document on its case's page, the SMS to the page.
        items = [(client, {"number": e.payload["number"],
                           "document_id": str(e.payload["document_id"])})
                 for e in events
                 if bool(e.payload["is_result"]) == is_result
                 and (client := _client(e.payload)) is not None]
        services.notify_clients(kind, items)


@subscriber(MESSAGE_SENT, "messaging.notify_message_sent")
def notify_message_sent(events: Sequence[Event]) -> None:
    institutions = identity.institutions_by_id({e.payload["institution_id"] for e in events})
    # The notification links straight to the conversation.
    items = [(client, {"institution": institutions.get(e.payload["institution_id"]),
                       "number": e.payload["number"], "thread_id": e.payload["thread_id"]})
             for e in events if (client := _client(e.payload)) is not None]
    services.notify_clients(services.MESSAGE_RECEIVED, items)


@subscriber(MANDATE_CHANGED, "messaging.notify_mandate_changed")
def notify_mandate_changed(events: Sequence[Event]) -> None:
    """Both sides of a mandate hear that it was granted, requested, confirmed, refused or
    revoked (C1): the grantor and the grantee (a company's representatives, a minor's
    parents)."""
    items = []
    mandates = Mandate.objects.select_related(
        "grantor_person", "grantor_company", "grantee_person", "grantee_company",
        "grantee_institution").in_bulk([event.payload["mandate_id"] for event in events])
    for event in events:
        mandate = mandates[event.payload["mandate_id"]]
        grantor = identity.client_by_ids(event.payload["grantor_person_id"],
                                         event.payload["grantor_company_id"])
        grantee = identity.client_by_ids(event.payload["grantee_person_id"],
                                         event.payload["grantee_company_id"])
        context = {"state": MandateState(event.payload["state"]).label,
                   "waiting_from": mandate.valid_from if mandate.waiting_to_start() else None,
                   "mandate_id": mandate.pk, "basis": mandate.get_basis_display(),
                   "grantor": str(mandate.grantor), "grantee": str(mandate.grantee)}
        items += [(side, context) for side in (grantor, grantee) if side is not None]
    services.notify_clients(services.MANDATE_CHANGED, items)


# --- Invoices (A8) ------------------------------------------------------------------------------
# Messaging reads payments' events by their names and payloads (`durvis.payments.events`) and
# imports nothing of payments (the layers: payments sits above messaging).
INVOICE_ISSUED_EVENT = "invoice.issued"
PAYMENT_CHANGED_EVENT = "payment.changed"
INVOICE_REMINDER_EVENT = "invoice.reminder"

# The payment states a client is told of when an invoice moves into them; `overdue` and the
# steps of an online payment are not (the reminder speaks of overdue invoices).
TOLD_STATES = ("paid", "partly_paid", "overpaid", "cancelled", "credited")


def _amount(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _printed_reference(reference: str) -> str:
    """An RF reference in groups of four, as the invoice prints it (`RF75 4999 9765 4401`)."""
    return " ".join(reference[i:i + 4] for i in range(0, len(reference), 4))


def _invoice_context(payload: dict[str, Any]) -> dict[str, Any]:
    """What the invoice templates show: the case number (`number`, the link), the invoice's
    number, its amounts formatted in the reader's language (`LazyMoney`), its due date and RF
    reference in groups of four. No personal data: the payload carries none."""
    total, paid = _amount(payload.get("total")), _amount(payload.get("paid"))
    outstanding = max(total - paid, Decimal("0")) if total is not None and paid is not None \
        else None
    due = payload.get("due_date")
    return {
        "number": payload["case_number"], "invoice": payload["number"],
        "state": payload.get("state", ""), "reference": _printed_reference(
            str(payload.get("reference", ""))),
        "total": LazyMoney(total), "paid": LazyMoney(paid), "outstanding": LazyMoney(outstanding),
        "due_date": datetime.date.fromisoformat(due) if due else None,
    }


class LazyMoney:
    """An amount in EUR shown in the language the template renders in (`format_money` reads the
    active language, which `services.notify` sets per reader); empty for no amount."""

    def __init__(self, amount: Decimal | None) -> None:
        self.amount = amount

    def __str__(self) -> str:
        return format_money(self.amount) if self.amount is not None else ""

    def __bool__(self) -> bool:
        return self.amount is not None


def _invoice_items(events: Sequence[Event], **extra: Any) -> list[tuple[Client, dict[str, Any]]]:
    return [(client, {**_invoice_context(e.payload), **extra})
            for e in events if (client := _client(e.payload)) is not None]


@subscriber(INVOICE_ISSUED_EVENT, "messaging.notify_invoice_issued")
def notify_invoice_issued(events: Sequence[Event]) -> None:
    """The client hears of an invoice to pay (topic invoices): its number, amount, due date and
    reference; a credit note is told of as the credited invoice's `payment.changed`."""
    services.notify_clients(services.INVOICE_ISSUED, _invoice_items(
        [e for e in events if e.payload.get("kind") != "credit_note"]))


@subscriber(PAYMENT_CHANGED_EVENT, "messaging.notify_payment_changed")
def notify_payment_changed(events: Sequence[Event]) -> None:
    """The client hears when an invoice becomes paid, partly paid, overpaid, cancelled or
    credited, and when an online payment of theirs failed; not of other changes (a payment
    started, an invoice becoming overdue, a second part payment)."""
    failed = [e for e in events if e.payload.get("payment_state") == "failed"]
    moved = [e for e in events if e.payload.get("payment_state") != "failed"
             and e.payload.get("state") in TOLD_STATES
             and e.payload.get("state") != e.payload.get("previous_state")]
    services.notify_clients(services.PAYMENT_CHANGED, [
        *_invoice_items(failed, failed=True), *_invoice_items(moved, failed=False)])


@subscriber(INVOICE_REMINDER_EVENT, "messaging.notify_invoice_reminder")
def notify_invoice_reminder(events: Sequence[Event]) -> None:
    """The client is reminded of an unpaid invoice a few days before its due date (`when`
    before) and once when it is overdue (after)."""
    services.notify_clients(services.INVOICE_REMINDER, [
        (client, {**_invoice_context(e.payload), "when": e.payload.get("when", "before")})
        for e in events if (client := _client(e.payload)) is not None])


_APPOINTMENT_KINDS = {BOOKED: ("booked", services.APPOINTMENT_BOOKED),
                      MOVED: ("moved", services.APPOINTMENT_MOVED),
                      CANCELLED: ("cancelled", services.APPOINTMENT_CANCELLED),
                      REMINDER: ("reminder", services.APPOINTMENT_REMINDER)}


def _notify_appointments(events: Sequence[Event]) -> None:
    """The client (and whoever speaks for them) hears of an appointment booked, moved,
    cancelled or near, with the `.ics` attached to the e-mail (A4); one call per kind."""
    by_kind: dict[str, list[tuple[Client, dict[str, Any]]]] = {}
    bookings = calendar_queries.bookings_by_id([e.payload["booking_id"] for e in events])
    for event in events:
        booking, client = bookings.get(event.payload["booking_id"]), _client(event.payload)
        if booking is None or client is None:
            continue
        change, kind = _APPOINTMENT_KINDS[event.name]
        point = booking.calendar.point
        previous = event.payload.get("previous_starts_at")
        by_kind.setdefault(kind, []).append((client, {
            "change": change, "when": booking.starts_at, "service": booking.service.name,
            "point": point, "address": point.address,
            "previous": datetime.datetime.fromisoformat(previous) if previous else None,
            "email_attachments": [calendar_queries.ics_attachment(booking)]}))
    for kind, items in by_kind.items():
        services.notify_clients(kind, items)


for _event in (BOOKED, MOVED, CANCELLED, REMINDER):
    subscriber(_event, f"messaging.notify_{_event.replace('.', '_')}")(_notify_appointments)
