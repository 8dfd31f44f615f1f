"""Webhooks (B9) as subscribers of domain events.

An app that wants institutions' systems told of one of its events forwards it:
`forward_as_webhook("case.status_changed", _("..."), data=CASE_ITEM)`. That declares the webhook
type (offered to administrators when they register an endpoint; `data` is the JSON Schema of
its item, published in the AsyncAPI document, `durvis.integrations.asyncapi`) and subscribes a
handler that writes one outbox message per endpoint and group of institutions, carrying every
item of the batch (a batch of 1,000 status events is one delivery of 1,000 items, each a
CloudEvent: `durvis.integrations.envelope`), and the same events into each institution's pull
feed (`FeedEvent`, `GET /api/v1/events`).

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
from durvis.integrations.envelope import subject_of
from durvis.integrations.rules import WEBHOOK_TYPES, WebhookType


def item_schema(title: str, properties: dict[str, Any], *, optional: Sequence[str] = ()
                ) -> dict[str, Any]:
    """The JSON Schema of a webhook item: an object with these `properties` (JSON Schemas),
    each required but those `optional`; further properties may come in later versions (a
    receiver ignores what it does not know)."""
    return {"title": title, "type": "object", "properties": properties,
            "required": [name for name in properties if name not in optional],
            "additionalProperties": True}


TEXT: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
CASE_NUMBER: dict[str, Any] = {"type": ["string", "null"],
                               "description": "The case number as people write it"}
AMOUNT: dict[str, Any] = {"type": "string", "pattern": r"^-?\d+\.\d{2}$",
                          "description": "Euros, as text (`7.11`)"}


def offer_webhook(event: str, description: str | Promise, *, data: dict[str, Any],
                  in_feed: bool = False) -> str:
    """Offer the domain event `event` as a webhook type administrators may subscribe an
    endpoint to (`WEBHOOK_TYPES`), without forwarding it: the caller writes its messages
    (`services.emit`, `services.emit_personal_data`). `data` is the JSON Schema of one item
    (a CloudEvent's `data`); `in_feed` whether the pull feed carries it too. Returns `event`.
    Raises ImproperlyConfigured if it is offered already."""
    WEBHOOK_TYPES.register(WebhookType(event, description, data, in_feed))
    return event


def forward_as_webhook(event: str, description: str | Promise, *, data: dict[str, Any]) -> None:
    """Offer the domain event `event` as a webhook (its item's JSON Schema `data`) and deliver
    it through the outbox and the pull feed. Raises ImproperlyConfigured if it is forwarded
    already."""
    offer_webhook(event, description, data=data, in_feed=True)

    def forward(events: Sequence[Event]) -> None:
        groups: dict[frozenset[int], list[Event]] = defaultdict(list)
        for item in events:
            institutions = frozenset(item.payload.get("institutions", []))
            if institutions:
                groups[institutions].append(item)
        for institutions, items in groups.items():
            services.emit(event, institutions, [e.payload["webhook"] for e in items],
                          meta=[_meta(e) for e in items])
        services.append_to_feed(event, [(e.id, e.occurred_at, e.payload["webhook"],
                                         institutions)
                                        for institutions, items in groups.items()
                                        for e in items])

    subscriber(event, f"integrations.webhook:{event}")(forward)


def _meta(event: Event) -> dict[str, Any]:
    """A forwarded item's CloudEvent attributes: the domain event's id and time, the case."""
    return {"id": str(event.id), "time": event.occurred_at.isoformat(),
            "subject": subject_of(event.payload["webhook"])}
