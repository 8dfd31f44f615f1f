"""Messaging's subscribers: the client is told (C1) of what other apps publish — a case's status
moved, a result, a document delivered — and of a message put into their inbox. They run in
the worker, after the change committed: the base registers (who speaks for a minor or a
company) are asked here, never under the register's row locks, and once per batch of events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from durvis.catalog import queries as catalog
from durvis.core.events import Event, subscriber
from durvis.documents.events import DOCUMENT_DELIVERED
from durvis.identity import queries as identity
from durvis.identity.queries import Client
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
