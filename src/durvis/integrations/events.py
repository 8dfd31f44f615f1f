"""Webhooks (B9) as subscribers of domain events.

An app that wants institutions' systems told of one of its events forwards it:
`forward_as_webhook("case.status_changed", _("..."))`. That declares the webhook type (offered
to administrators when they register an endpoint) and subscribes a handler that writes one
outbox message per endpoint and group of institutions, carrying every item of the batch (a
batch of 1,000 status events is one delivery of 1,000 items).

A forwarded event's payload names whom to tell and what to say: `institutions` (ids) and
`webhook` (the item, no personal data: the receiver reads the rest through the API).

The one webhook that carries personal data, `application.submitted` (the answers, B9), is not
forwarded: eforms declares it with `offer_webhook` and its own subscriber builds the body and
writes it with `services.emit_personal_data` (a secret message, purged after delivery, the
endpoint audited).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.utils.functional import Promise

from durvis.core.events import Event, subscriber
from durvis.integrations import services
from durvis.integrations.rules import WEBHOOK_TYPES, WebhookType


def offer_webhook(event: str, description: str | Promise) -> str:
    """Offer the domain event `event` as a webhook type administrators may subscribe an
    endpoint to (`WEBHOOK_TYPES`), without forwarding it: the caller writes its messages
    (`services.emit`, `services.emit_personal_data`). Returns `event`. Raises
    ImproperlyConfigured if it is offered already."""
    WEBHOOK_TYPES.register(WebhookType(event, description))
    return event


def forward_as_webhook(event: str, description: str | Promise) -> None:
    """Offer the domain event `event` as a webhook and deliver it through the outbox. Raises
    ImproperlyConfigured if it is forwarded already."""
    offer_webhook(event, description)

    def forward(events: Sequence[Event]) -> None:
        groups: dict[frozenset[int], list[dict[str, Any]]] = defaultdict(list)
        for item in events:
            institutions = frozenset(item.payload.get("institutions", []))
            if institutions:
                groups[institutions].append(item.payload["webhook"])
        for institutions, items in groups.items():
            services.emit(event, institutions, items)

    subscriber(event, f"integrations.webhook:{event}")(forward)
