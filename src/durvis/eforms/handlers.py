"""E-forms' subscribers: the client hears that their application was received, with its case
number (A10, C1), through the notification preferences (topic status changes) of whoever speaks
for the client (`messaging.services.notify_clients`). Runs in the worker, after the submit
committed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from durvis.core.events import Event, subscriber
from durvis.eforms.events import APPLICATION_SUBMITTED
from durvis.eforms.models import Application
from durvis.identity.models import Company, Person
from durvis.messaging.services import APPLICATION_RECEIVED, notify_clients


@subscriber(APPLICATION_SUBMITTED, "eforms.notify_application_received")
def notify_application_received(events: Sequence[Event]) -> None:
    ids = [e.payload["application_id"] for e in events]
    applications = (Application.objects.filter(pk__in=ids)
                    .select_related("service", "client_person", "client_company"))
    items: list[tuple[Person | Company, dict[str, Any]]] = []
    for application in applications.select_related("case"):
        client = application.client_company or application.client_person
        if client is not None and application.case is not None:
            items.append((client, {"number": application.case.number,
                                   "service": application.service}))
    notify_clients(APPLICATION_RECEIVED, items)
