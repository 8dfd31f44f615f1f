"""E-forms' subscribers (A10, C1): the PDF copy of a submitted application is made and stored
on its case (`eforms.pdf.store_copy`, as the person who applied, for the client); the client
hears that their application was received, with its case number, through the notification
preferences (topic status changes) of whoever speaks for the client
(`messaging.services.notify_clients`). Both run in the worker, after the submit committed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from durvis.core.events import Event, subscriber
from durvis.eforms.events import APPLICATION_SUBMITTED
from durvis.eforms.models import Application
from durvis.identity.models import Company, Person
from durvis.messaging.services import APPLICATION_RECEIVED, notify_clients

logger = logging.getLogger(__name__)


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
    """The PDF copy of each submitted application, once (an application whose case already has
    its copy is skipped: a retried delivery makes no second one). The person who applied must
    still act for the client (`client.write`); if they no longer may (a child came of age, a
    representation ended), no copy is made and the refusal is logged."""
    from durvis.access.policy import allowed
    from durvis.core.actor import Actor
    from durvis.documents.models import Document
    from durvis.eforms.engine import compile_form
    from durvis.eforms.pdf import store_copy
    from durvis.identity.rules import IdentityAction

    ids = [e.payload["application_id"] for e in events]
    for application in (Application.objects.filter(pk__in=ids)
                        .select_related("service", "service__holder", "case", "form_version",
                                        "started_by", "client_person", "client_company")):
        case = application.case
        client = application.client_company or application.client_person
        if case is None or client is None:
            continue
        if Document.objects.filter(case=case, file_name__startswith="application-").exists():
            continue
        actor = Actor(kind="person", person=application.started_by)
        if not allowed(actor, IdentityAction.CLIENT_WRITE, None, client):
            logger.warning("no copy of application %s: the applicant no longer acts for the "
                           "client", application.pk)
            continue
        version = application.form_version
        store_copy(actor, client, application, compile_form(version.definition, version.checksum))
