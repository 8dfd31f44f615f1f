"""What e-forms does when its events happen (B9): a submitted application is delivered to the
holder's systems subscribed to the webhook `application.submitted`, with the answers and the
attachments' links (`durvis.eforms.delivery`).

The body is built here, when the worker handles the event (right after the submission commits),
and written to the outbox as a secret message (its personal data is removed once delivered or
given up) with one audit entry per endpoint it goes to. The handler runs at least once: a
second run for the same application writes nothing (an application already queued is
skipped).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from durvis.core.actor import SYSTEM
from durvis.core.events import Event, subscriber
from durvis.eforms import delivery
from durvis.eforms.events import APPLICATION_SUBMITTED
from durvis.integrations import events as integration_events
from durvis.integrations import services as integrations

WEBHOOK = integration_events.offer_webhook(
    APPLICATION_SUBMITTED,
    _("An application was submitted through an e-form (carries the answers and attachment "
      "links: personal data)"))


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
