"""What every event the platform emits must be (issue 20): a CloudEvent 1.0 the CloudEvents SDK
reads back in the structured JSON mode, whose type is in the AsyncAPI document and which matches
that message's payload schema (its `data` the item's schema)."""

import json

import jsonschema
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from durvis.integrations import asyncapi

_VALIDATORS = {}


def validator(type_):
    if not _VALIDATORS:
        for message in asyncapi.document()["components"]["messages"].values():
            schema = message["payload"]
            jsonschema.Draft202012Validator.check_schema(schema)
            _VALIDATORS[message["name"]] = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.FormatChecker())
    return _VALIDATORS[type_]


def check_event(event, *, in_feed=False):
    """Raise AssertionError unless `event` (a decoded JSON object) is a valid CloudEvent of a
    type the AsyncAPI document describes, matching its payload schema."""
    read = JSONFormat().read(CloudEvent, json.dumps(event))  # the SDK validates the attributes
    assert read.get_specversion() == "1.0" and read.get_id() == event["id"]
    assert read.get_data() == event["data"]
    errors = sorted(validator(event["type"]).iter_errors(event), key=str)
    assert not errors, f"{event['type']}: {[e.message for e in errors]}"
    assert ("sequence" in event) == in_feed


def check_batch(body):
    """A webhook body: a JSON array of valid events; returns them."""
    events = json.loads(body)
    assert isinstance(events, list) and events
    for event in events:
        check_event(event)
    return events


def check_stored_events():
    """Every event waiting in the outbox for a webhook and every event of the pull feed, as
    they will be sent: valid (`check_event`). Returns how many were checked."""
    from durvis.core.changes import ChangeCursor
    from durvis.integrations import envelope
    from durvis.integrations.models import FeedEvent, OutboxChannel, OutboxMessage
    from durvis.integrations.services import webhook_events

    checked = 0
    for message in OutboxMessage.objects.filter(channel=OutboxChannel.WEBHOOK).select_related(
            "endpoint"):
        if message.payload.get("purged"):
            continue
        for event in webhook_events(message):
            check_event(event)
            checked += 1
    for row in FeedEvent.objects.all():
        check_event(envelope.cloud_event(
            row.type, str(row.event_id), row.time, row.data, subject=row.subject or None,
            sequence=str(ChangeCursor(row.change_xid, row.pk)), json_ready=True), in_feed=True)
        checked += 1
    return checked
