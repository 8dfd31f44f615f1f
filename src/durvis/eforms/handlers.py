"""E-forms' subscribers of `application.submitted` (A10, C1, B9); they run in the worker, after
the submit committed.

- The PDF copy of a submitted application is made and stored on its case
  (`eforms.pdf.store_copy`, as the person who applied, for the client).
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

import logging
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

logger = logging.getLogger(__name__)

WEBHOOK = integration_events.offer_webhook(
    APPLICATION_SUBMITTED,
    _("An application was submitted through an e-form (carries the answers and attachment "
      "links: personal data)"),
    data=integration_events.item_schema("ApplicationSubmitted", {
        "reference": {"type": "string"}, "case_number": integration_events.CASE_NUMBER,
        "service_code": integration_events.INTEGER, "submitted_at": integration_events.TIME,
        "client": {"type": "object"}, "answers": {"type": ["object", "array"]}},
        optional=("client", "answers")))


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


@subscriber(APPLICATION_SUBMITTED, "eforms.store_application_copy")
def store_application_copy(events: Sequence[Event]) -> None:
    """The PDF copy of each submitted application, once (`ensure_copy`)."""
    for application_id in dict.fromkeys(e.payload["application_id"] for e in events):
        ensure_copy(application_id)


def ensure_copy(application_id: int) -> None:
    """Make the PDF copy of a submitted application unless its case has it: the application row
    is locked while the copy is looked for and stored, so the copy subscriber and the webhook
    (which waits for the copy to link it) never make two. The person who applied must still act
    for the client (`client.write`); if they no longer may (a child came of age, a
    representation ended), no copy is made and the refusal is logged. Raises what
    `pdf.store_copy` raises (the scan, the storage): the event is retried."""
    from durvis.access.policy import allowed
    from durvis.core.actor import Actor
    from durvis.documents.models import Document
    from durvis.eforms.engine import compile_form
    from durvis.eforms.pdf import store_copy
    from durvis.identity.rules import IdentityAction

    with transaction.atomic():
        application = (Application.objects.select_for_update(of=("self",))
                       .select_related("service", "service__holder", "case", "form_version",
                                       "started_by", "client_person", "client_company")
                       .filter(pk=application_id).first())
        if application is None:
            return
        case = application.case
        client = application.client_company or application.client_person
        if case is None or client is None:
            return
        if Document.objects.filter(case=case, file_name__startswith="application-").exists():
            return
        actor = Actor(kind="person", person=application.started_by)
        if not allowed(actor, IdentityAction.CLIENT_WRITE, None, client):
            logger.warning("no copy of application %s: the applicant no longer acts for the "
                           "client", application.pk)
            return
        version = application.form_version
        store_copy(actor, client, application, compile_form(version.definition, version.checksum))


@subscriber(APPLICATION_SUBMITTED, "eforms.webhook:application.submitted")
def deliver_submitted(events: Sequence[Event]) -> None:
    """Write the webhook of each submitted application to its holder's subscribed endpoints
    (`integrations.services.emit_personal_data`), in one transaction, after its PDF copy is
    made (`ensure_copy`: the body links it); an application no longer
    submitted (or gone) is skipped. Raises whatever the database raises (the events are
    retried)."""
    ids = [event.payload["application_id"] for event in events]
    for application_id in dict.fromkeys(ids):
        ensure_copy(application_id)
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
