"""E-forms' subscribers of `application.submitted` (A10, C1, B9); they run in the worker, after
the submit committed.

- The client hears that their application was received, with its case number, through the
  notification preferences (topic status changes) of whoever speaks for the client
  (`messaging.services.notify_clients`).
- The holder's systems subscribed to the webhook `application.submitted` receive the
  application with the answers and the attachments' links (`durvis.eforms.delivery`). The
  body is built when the worker handles the event and written to the outbox as a secret
  message (its personal data is removed once delivered or given up) with one audit entry per
  endpoint it goes to. The handler runs at least once: a second run for the same application
  writes nothing (an application already queued is skipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from durvis.core.actor import SYSTEM
from durvis.core.events import Event, subscriber
from durvis.eforms import delivery
from durvis.eforms.events import APPLICATION_SUBMITTED
from durvis.eforms.models import Application
from durvis.identity.models import Company, Person
from durvis.integrations import events as integration_events
from durvis.integrations import services as integrations
from durvis.messaging.services import APPLICATION_RECEIVED, notify_clients

WEBHOOK = integration_events.offer_webhook(
    APPLICATION_SUBMITTED,
    _("An application was submitted through an e-form (carries the answers and attachment "
      "links: personal data)"))


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


@subscriber(APPLICATION_SUBMITTED, "eforms.webhook:application.submitted")
def deliver_submitted(events: Sequence[Event]) -> None:
    """Write the webhook of each submitted application to its holder's subscribed endpoints
    (`integrations.services.emit_personal_data`), in one transaction; an application no longer
    submitted (or gone) is skipped. Raises whatever the database raises (the events are
    retried)."""
    ids = [event.payload["application_id"] for event in events]
    applications = {a.pk: a for a in delivery.submitted().filter(pk__in=ids)}
    with transaction.atomic():
        for application_id in dict.fromkeys(ids):
            application = applications.get(application_id)
            if application is None or integrations.already_emitted(WEBHOOK, application):
                continue
            integrations.emit_personal_data(
                SYSTEM, WEBHOOK, delivery.holder_institutions(application),
                delivery.bodies([application])[0], about=application,
                subject=application.client_person)
