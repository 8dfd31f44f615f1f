"""What an API client can ask about itself (B9), its institution's event feed, and the AsyncAPI
document of every event (issue 20)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema

from durvis.core.api import ErrorOut
from durvis.core.changes import ChangeCursor
from durvis.integrations import asyncapi
from durvis.integrations.http import ERRORS, ApiClientAuth, Cursor, Limit, actor_of, scopes
from durvis.integrations.queries import FEED_PAGE, event_feed
from durvis.integrations.rules import EVENTS_READ

router = Router(tags=["integration"], auth=ApiClientAuth())


class WhoAmI(Schema):
    client_id: int
    institution: str
    operations: list[str]
    service_ids: list[int] | None


@router.get("/whoami", response={200: WhoAmI, 401: ErrorOut},
            summary="The calling client, its institution and scopes",
            operation_id="whoAmI")
def whoami(request: HttpRequest) -> dict[str, Any]:
    """Lets a system check its token and scopes before it starts work."""
    grant = actor_of(request).api
    assert grant is not None
    return {"client_id": grant.client_id, "institution": grant.institution_code,
            "operations": sorted(grant.operations),
            "service_ids": sorted(grant.service_ids) if grant.service_ids is not None else None}


class CloudEventOut(Schema):
    """One event as a CloudEvent 1.0 (structured JSON mode); `data` is the item its type
    describes (the AsyncAPI document, `/api/v1/asyncapi.json`)."""

    specversion: str = Field(..., examples=["1.0"])
    id: str = Field(..., description="The event's id: the same in a webhook and in the feed")
    source: str = Field(..., examples=["/api/v1"])
    type: str = Field(..., examples=["lv.durvis.case.status_changed"])
    subject: str | None = Field(None, description="The case number")
    time: str = Field(..., description="When it happened (RFC 3339, UTC)")
    datacontenttype: str = Field(..., examples=["application/json"])
    sequence: str = Field(..., description="Its place in the feed: ask the next page after it")
    data: dict[str, Any]


class EventPage(Schema):
    events: list[CloudEventOut]
    next_after: str = Field(..., description=(
        "Ask again with after=next_after (the last event's sequence; your cursor when there "
        "were none). An event still being committed is never passed: it comes on a later page"))


class EventsQuery(Schema):
    after: Cursor = "0"
    limit: Limit = FEED_PAGE


@router.get("/events", response={200: EventPage, **ERRORS},
            summary="Your institution's events after a cursor (the webhooks' events, pulled)",
            openapi_extra=scopes(EVENTS_READ), operation_id="listEvents")
def list_events(request: HttpRequest, query: Query[EventsQuery]) -> HttpResponse:
    """The events your institution's webhooks carry, as CloudEvents, in the order they were
    committed, after the cursor `after` (`0`: from the beginning; else the `sequence` of the
    last event you received, or `next_after`). No committed event is ever skipped. Scope
    `events:read`; a client limited to some services gets the events of their cases."""
    events, cursor = event_feed(actor_of(request), ChangeCursor.parse(query.after), query.limit)
    # Written as built: each event was checked by the CloudEvents SDK, and the page's shape is
    # `EventPage` (tests validate it against the schema); the framework's validation of 100
    # nested objects would cost more than the rest of the request (bench/events.py).
    return JsonResponse({"events": events, "next_after": str(cursor)})


@router.get("/asyncapi.json", auth=None, response={200: dict[str, Any]},
            summary="The AsyncAPI 3.0 document of every event (webhooks and the feed)",
            operation_id="getAsyncApi")
def get_asyncapi(request: HttpRequest) -> dict[str, Any]:
    """Every event type, its CloudEvent and its item's JSON Schema, generated from the event
    catalogue in the code."""
    return asyncapi.document()
