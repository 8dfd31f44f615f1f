"""Every event the platform tells an institution's system of, as a CloudEvent 1.0 (B9, issue 20):
the same envelope in a webhook's body and in the pull feed (`GET /api/v1/events`), written with
the CloudEvents SDK in its structured JSON mode.

- `specversion` `1.0`; `id` the event's id (the domain event's: the same occurrence has the same
  id in a webhook and in the feed, so a receiver using both recognises it); `source` `SOURCE`;
- `type` the event's name in reverse-DNS form: `lv.durvis.case.status_changed` (`event_type`);
- `subject` the case number as people write it (absent for an event about no case);
- `time` when it happened (RFC 3339, UTC), `datacontenttype` `application/json`, and `data` the
  item the event's webhook type describes (its schema is in the AsyncAPI document,
  `durvis.integrations.asyncapi`);
- in the feed, the extension attribute `sequence`: the event's place in the feed, the value to
  ask the next page `after`.

A webhook delivery is a batch (`application/cloudevents-batch+json`: a JSON array of such
events), so a batch of 1,000 status events is still one call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dateparse import parse_datetime

SOURCE = "/api/v1"
TYPE_PREFIX = "lv.durvis."
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"
DATA_CONTENT_TYPE = "application/json"


def event_type(name: str) -> str:
    """The CloudEvents `type` of the platform's event `name` (`case.result` →
    `lv.durvis.case.result`)."""
    return f"{TYPE_PREFIX}{name}"


def event_name(type_: str) -> str:
    """The platform's event name of a CloudEvents `type` (the inverse of `event_type`). Raises
    ValueError for a type that is not the platform's."""
    if not type_.startswith(TYPE_PREFIX):
        raise ValueError(f"not a Durvis event type: {type_!r}")
    return type_[len(TYPE_PREFIX):]


def cloud_event(name: str, id_: str, time: datetime | str, data: Any, *,
                subject: str | None = None, sequence: str | None = None,
                json_ready: bool = False) -> dict[str, Any]:
    """One event as the JSON object of the structured mode (a dict ready for `json.dumps`):
    `name` the platform's event name, `id_` its id, `time` when it happened (a datetime or ISO
    text), `data` its item (JSON-serialisable; dates become ISO text unless `json_ready` says
    it holds only JSON's types already, as a stored item does), `subject` the case number,
    `sequence` its place in the feed. The CloudEvents SDK's event checks the attributes; the
    object is what its JSON format writes (`time` in RFC 3339 with `Z`). Raises the SDK's
    CloudEventValidationError for an attribute the specification does not allow (an empty
    id)."""
    when = parse_datetime(time) if isinstance(time, str) else time
    if when is None:
        raise ValueError(f"not a time: {time!r}")
    attributes: dict[str, Any] = {
        "specversion": "1.0", "id": str(id_), "source": SOURCE, "type": event_type(name),
        "time": when, "datacontenttype": DATA_CONTENT_TYPE}
    if subject:
        attributes["subject"] = subject
    if sequence is not None:
        attributes["sequence"] = sequence
    item = data if json_ready else json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    CloudEvent(attributes, item)  # validates the attributes
    return {**attributes, "time": rfc3339(when), "data": item}


def rfc3339(when: datetime) -> str:
    """`when` as the CloudEvents JSON format writes a time: ISO 8601 in UTC, ending in `Z`."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def batch_body(events: Sequence[dict[str, Any]]) -> bytes:
    """A webhook's body: the events as a CloudEvents JSON batch (UTF-8)."""
    return json.dumps(list(events), ensure_ascii=False, separators=(",", ":")).encode()


def subject_of(item: dict[str, Any]) -> str | None:
    """The `subject` of an event whose item is `item`: the case number it names."""
    number = item.get("case_number")
    return str(number) if number else None
