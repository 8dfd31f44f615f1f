"""The AsyncAPI 3.0 document of the platform's events (B9, issue 20), served at
`/api/v1/asyncapi.json`: every webhook type of the catalogue (`WEBHOOK_TYPES`, declared by the
apps with `forward_as_webhook`/`offer_webhook`) and the test event, each a message whose payload
is its CloudEvent (`durvis.integrations.envelope`) with the item's JSON Schema as `data`; the two
ways they travel are its channels: webhooks (a signed POST of a CloudEvents batch to the
institution's endpoint) and the pull feed (`GET /api/v1/events`). Built from the catalogue on
every call, so it cannot drift from the code (a test compares them)."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from durvis.integrations import envelope, services
from durvis.integrations.rules import WEBHOOK_TYPES

TEST_EVENT = services.TEST_EVENT
TEST_DESCRIPTION = "A test delivery an administrator sent from the endpoint's page (no item)."


def envelope_schema(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one CloudEvent of the event `name` whose `data` is `data`."""
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "minLength": 1,
                   "description": "The event's id: the same in a webhook and in the feed"},
            "source": {"const": envelope.SOURCE},
            "type": {"const": envelope.event_type(name)},
            "subject": {"type": "string", "description": "The case number"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": envelope.DATA_CONTENT_TYPE},
            "sequence": {"type": "string", "description": (
                "In the feed only: the event's place, the value to ask `after` next")},
            "data": data,
        },
        "additionalProperties": False,
    }


def catalogue() -> dict[str, tuple[str, dict[str, Any], bool]]:
    """Every event a receiver may get: name → (description in English, item schema, in the
    feed)."""
    with translation.override("en"):
        events = {t.key: (str(t.description), t.data, t.in_feed) for t in WEBHOOK_TYPES}
    events[TEST_EVENT] = (TEST_DESCRIPTION, {"type": "object"}, False)
    return dict(sorted(events.items()))


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document (a JSON-ready dict)."""
    events = catalogue()
    messages = {
        name: {
            "name": envelope.event_type(name),
            "title": name,
            "summary": description,
            "contentType": "application/cloudevents+json",
            "payload": envelope_schema(name, data),
            "x-in-feed": in_feed,
        }
        for name, (description, data, in_feed) in events.items()
    }
    refs = {name: {"$ref": f"#/components/messages/{name}"} for name in events}
    feed_refs = {name: ref for name, ref in refs.items() if events[name][2]}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Durvis events",
            "version": "1",
            "description": (
                "Events of the Durvis platform as CloudEvents 1.0 (structured JSON mode). "
                "Webhooks: each delivery is a POST of a JSON array of events "
                f"(`{envelope.BATCH_CONTENT_TYPE}`), signed per Standard Webhooks "
                "(`webhook-id`, `webhook-timestamp`, `webhook-signature`); retried with the "
                "same `webhook-id` until answered with a 2xx. Feed: `GET /api/v1/events?after=` "
                "(scope `events:read`) lists the same events in commit order."),
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": {
            "webhooks": {
                "address": None,
                "title": "Webhook deliveries",
                "description": "The institution's endpoint, as registered by its administrator.",
                "messages": refs,
            },
            "feed": {
                "address": "/api/v1/events",
                "title": "The pull feed",
                "description": "Pages of events after a cursor (`after`: the `sequence` of the "
                               "last event received, or `0`).",
                "messages": feed_refs,
            },
        },
        "operations": {
            "receiveWebhook": {
                "action": "receive",
                "channel": {"$ref": "#/channels/webhooks"},
                "summary": "Receive the events an endpoint subscribed to",
                "messages": [{"$ref": f"#/channels/webhooks/messages/{name}"} for name in refs],
            },
            "readFeed": {
                "action": "receive",
                "channel": {"$ref": "#/channels/feed"},
                "summary": "Read the institution's events after a cursor",
                "messages": [{"$ref": f"#/channels/feed/messages/{name}"} for name in feed_refs],
            },
        },
        "components": {"messages": messages},
    }
