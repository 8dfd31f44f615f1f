"""Integration reads (B9): the pull feed of events for institutions' systems that cannot receive
webhooks (`GET /api/v1/events?after=`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from durvis.access.policy import decide
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.core.changes import ChangeCursor, changed_after, horizon
from durvis.integrations import envelope
from durvis.integrations.models import FeedEvent
from durvis.integrations.rules import IntegrationAction

FEED_PAGE = 100


def event_feed(actor: Actor, after: ChangeCursor, limit: int = FEED_PAGE
               ) -> tuple[list[dict[str, Any]], ChangeCursor]:
    """The events of the actor's institution after the cursor `after`, in the order they
    committed, as CloudEvents (`envelope.cloud_event`, each with `sequence`: its place, the
    cursor to ask after), and the cursor to ask with next (`after` when there are none yet).

    Never passes an event still being committed: only events of transactions that have ended
    are listed (the horizon of `durvis.core.changes`, as the register's change feed), so every
    committed event is listed once. A client limited to some services gets only the events of
    their cases (`service_code`); events that name no service are not its. At most `limit`
    events (one walk of the index (institution, transaction id, id)); no personal data, so
    reads are not audited. Raises PermissionDenied unless the actor is an institution's system
    with the `events:read` scope (`IntegrationAction.READ_EVENTS`)."""
    if not decide(actor, IntegrationAction.READ_EVENTS) or actor.api is None:
        raise PermissionDenied("the client lacks the events:read scope")
    rows = FeedEvent.objects.filter(institution_id=actor.api.institution_id)
    if actor.api.service_ids is not None:
        codes = list(Service.objects.filter(pk__in=actor.api.service_ids)
                     .values_list("code", flat=True))
        rows = rows.filter(service_code__in=codes)
    page = list(changed_after(rows, after, horizon(), seq="id")[:limit].values_list(
        "type", "event_id", "time", "data", "subject", "change_xid", "id"))
    events = [envelope.cloud_event(type_, str(event_id), time, data, subject=subject or None,
                                   sequence=str(ChangeCursor(xid, pk)), json_ready=True)
              for type_, event_id, time, data, subject, xid, pk in page]
    return events, (ChangeCursor(page[-1][5], page[-1][6]) if page else after)
