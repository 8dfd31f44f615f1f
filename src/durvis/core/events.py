"""Domain events (ARCHITECTURE.md, "Events"): publish, don't call.

A change publishes what happened (`publish("case.status_changed", ...)`) in its own transaction;
the apps that care subscribe in their own code (`@subscriber(...)` in their `handlers.py`), and
the worker runs the handlers after the change has committed:

- **at least once, effectively once**: each (event, subscriber) pair is one `EventDelivery` row,
  marked done in the transaction of the handler's own writes (an outbox message, a
  notification), so a handler that fails or a worker that dies leaves it to be run again, and a
  handled one is never run twice;
- **in order per key** (one case, one conversation): a later event of a key waits while an
  earlier one for the same subscriber waits for a retry; a dead letter no longer holds the key;
- **retried with back-off** (10 s doubling to one hour), a dead letter after `MAX_ATTEMPTS`, which
  `replay` sends again;
- **leased**: a worker leases the deliveries it runs (`durvis.core.worker`); those of a worker
  that died are given back at once by the scheduler, and a delivery is marked done only by the
  holder of its lease, in the handler's transaction, so two workers never both commit its
  effects;
- **in batches**: a handler gets a list of events (a batch of 1,000 status events is one call),
  so it can ask a base register once for all of them; when a batch fails, its events are run
  one by one, so one bad event does not hold the others back.

Event names are declared by the publishing app (`EVENT_TYPES`), with what the payload carries;
`docs/architecture.md` lists them and a test checks the list against this registry.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.core.bulk import JsonEncoder
from durvis.core.models import DeliveryStatus, DomainEvent, EventDelivery
from durvis.core.registry import Registry
from durvis.core.worker import SOURCES, Source, retry_locked, wake, worker_id

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
BATCH = 1000


@dataclass(frozen=True)
class EventType:
    """A kind of domain event: its name (`<aggregate>.<what happened>`), the app that publishes
    it, what it means and the keys of its payload."""

    key: str
    publisher: str
    description: str
    payload: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    """One event as a handler receives it."""

    id: int
    name: str
    key: str
    payload: dict[str, Any]
    occurred_at: datetime


Handler = Callable[[Sequence[Event]], None]


@dataclass(frozen=True)
class Subscriber:
    """A handler of one event type, under a unique key (`<app>.<what it does>`)."""

    key: str
    event: str
    handle: Handler


EVENT_TYPES: Registry[EventType] = Registry("domain events")
SUBSCRIBERS: Registry[Subscriber] = Registry("event subscribers")


def declare(name: str, *, publisher: str, description: str, payload: Sequence[str]) -> str:
    """Declare an event type the calling app publishes; returns its name (use it as a
    constant). Raises ImproperlyConfigured if another app declared the name."""
    EVENT_TYPES.register(EventType(name, publisher, description, tuple(payload)))
    return name


def subscriber(event: str, key: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler `key` of `event` (a list of events in,
    nothing out; raise to have the events retried). Raises ImproperlyConfigured for a key
    that is taken."""

    def register(handle: Handler) -> Handler:
        SUBSCRIBERS.register(Subscriber(key, event, handle))
        return handle

    return register


def publish(actor: Actor, name: str, items: Sequence[tuple[str, dict[str, Any]]]) -> int:
    """Publish one event of type `name` per (key, payload) item, in the caller's transaction,
    with a delivery for every subscriber; the worker is woken when the transaction commits.
    Raises KeyError for an undeclared event type. Returns how many events were written. Inside
    a caller's transaction no savepoint is taken (two statements fewer on every write): a
    failure here fails the caller's transaction."""
    if name not in EVENT_TYPES:
        raise KeyError(f"undeclared event type {name!r}")
    if not items:
        return 0
    subscribers = [s.key for s in SUBSCRIBERS if s.event == name]
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            _insert_postgresql(actor, name, items, subscribers)
        else:
            _insert_orm(actor, name, items, subscribers)
        if subscribers:
            transaction.on_commit(wake)
    return len(items)


def _insert_orm(actor: Actor, name: str, items: Sequence[tuple[str, dict[str, Any]]],
                subscribers: list[str]) -> None:
    now = timezone.now()
    events = DomainEvent.objects.bulk_create([
        DomainEvent(name=name, key=key, payload=_json(payload), actor=actor.audit_id[:40],
                    occurred_at=now)
        for key, payload in items
    ])
    EventDelivery.objects.bulk_create([
        EventDelivery(event=event, subscriber=key, key=event.key, next_attempt_at=now)
        for event in events for key in subscribers
    ])


def _insert_postgresql(actor: Actor, name: str, items: Sequence[tuple[str, dict[str, Any]]],
                       subscribers: list[str]) -> None:
    """The events and their deliveries in one statement: the ingest of a batch of 1,000 status
    events publishes 1,000 events and 2,000 deliveries, which Django's bulk_create prepares
    field by field (most of the ingest's time); arrays bound as three parameters cost little.
    The items travel as one JSON document (a text array of JSON would be escaped character by
    character). Events get their ids in the items' order (the order per key relies on it)."""
    event_table, delivery_table = DomainEvent._meta.db_table, EventDelivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH item AS (SELECT value, n FROM jsonb_array_elements(%s::jsonb) "  # noqa: S608
            f"  WITH ORDINALITY AS t(value, n)), "
            f"event AS (INSERT INTO {event_table} (name, key, payload, actor, occurred_at) "
            f"  SELECT %s, value->>0, value->1, %s, now() FROM item ORDER BY n "
            f"  RETURNING id, key) "
            f"INSERT INTO {delivery_table} (event_id, subscriber, key, status, attempts, "
            f"  next_attempt_at, leased_by, last_error) "
            f"SELECT event.id, subscriber, event.key, %s, 0, now(), '', '' "
            f"FROM event CROSS JOIN unnest(%s::text[]) AS subscriber",
            [json.dumps(list(items), cls=JsonEncoder), name, actor.audit_id[:40],
             DeliveryStatus.PENDING, subscribers])


def _json(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as stored (dates as ISO text), so that a handler sees the same either way."""
    decoded: dict[str, Any] = json.loads(json.dumps(payload, cls=JsonEncoder))
    return decoded


def backoff(attempts: int) -> timedelta:
    """Exponential: 10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** (attempts - 1), 3600))


def dispatch_due(limit: int = BATCH) -> int:
    """Run the deliveries that are due, oldest first; returns how many were run (handled or
    failed). Rows are leased first (for `LEASE`, or until the scheduler finds this worker
    dead), so parallel workers never run one delivery twice at once."""
    now = timezone.now()
    me = worker_id()
    with transaction.atomic():
        due = list(EventDelivery.objects.select_for_update(skip_locked=True)
                   .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                   .select_related("event").order_by("pk")[:limit])
        EventDelivery.objects.filter(pk__in=[d.pk for d in due]).update(
            next_attempt_at=now + LEASE, leased_by=me)
    by_subscriber: dict[str, list[EventDelivery]] = defaultdict(list)
    for delivery in due:
        by_subscriber[delivery.subscriber].append(delivery)
    ran = 0
    for key, deliveries in by_subscriber.items():
        ran += _run(key, _in_order(key, deliveries))
    return ran


def _in_order(subscriber_key: str, deliveries: list[EventDelivery]) -> list[EventDelivery]:
    """The deliveries that no earlier pending delivery of their key holds back; the others are
    put off until the earlier one's next attempt."""
    claimed = {d.pk for d in deliveries}
    earliest = dict(EventDelivery.objects.filter(
        subscriber=subscriber_key, status=DeliveryStatus.PENDING,
        key__in={d.key for d in deliveries}).exclude(pk__in=claimed)
        .values("key").annotate(first=Min("pk")).values_list("key", "first"))
    runnable: list[EventDelivery] = []
    held: list[EventDelivery] = []
    for delivery in deliveries:
        blocker = earliest.get(delivery.key)
        (held if blocker is not None and blocker < delivery.pk else runnable).append(delivery)
    if held:
        due = dict(EventDelivery.objects.filter(pk__in={earliest[d.key] for d in held})
                   .values_list("pk", "next_attempt_at"))
        by_blocker: dict[int, list[int]] = defaultdict(list)
        for delivery in held:
            by_blocker[earliest[delivery.key]].append(delivery.pk)
        for blocker, pks in by_blocker.items():
            EventDelivery.objects.filter(pk__in=pks).update(
                next_attempt_at=due.get(blocker) or timezone.now(), leased_by="")
    return runnable


def _run(subscriber_key: str, deliveries: list[EventDelivery]) -> int:
    if not deliveries:
        return 0
    handle = SUBSCRIBERS.get(subscriber_key).handle if subscriber_key in SUBSCRIBERS else None
    if handle is None:
        for delivery in deliveries:
            _failed(delivery, f"no subscriber {subscriber_key!r} in this process", permanent=True)
        return len(deliveries)
    if len(deliveries) > 1:
        try:
            with transaction.atomic():
                handle([_event(d) for d in deliveries])
                _done(deliveries)
            return len(deliveries)
        except LeaseLost:  # some were taken over: run those still held one by one
            log.warning("subscriber %s: part of a batch of %d was taken over by another worker",
                        subscriber_key, len(deliveries))
        except Exception:  # any failure of a handler is retried, one event at a time
            log.info("subscriber %s failed on a batch of %d; running them one by one",
                     subscriber_key, len(deliveries))
    failed_keys: set[str] = set()
    for delivery in deliveries:
        if delivery.key in failed_keys:  # an earlier event of the key failed: keep the order
            EventDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=timezone.now() + backoff(1), leased_by="")
            continue
        try:
            with transaction.atomic():
                handle([_event(delivery)])
                _done([delivery])
        except LeaseLost:
            log.warning("subscriber %s: event %s was taken over by another worker",
                        subscriber_key, delivery.event_id)
        except Exception as error:
            log.warning("subscriber %s failed on event %s: %s", subscriber_key,
                        delivery.event_id, error)
            message = "".join(traceback.format_exception_only(error)).strip()
            retry_locked(partial(_failed, delivery, message))
            failed_keys.add(delivery.key)
    return len(deliveries)


class LeaseLost(Exception):
    """The deliveries being marked done are no longer leased by this worker (the scheduler took
    it for dead and another worker took them over): the handler's transaction rolls back."""


def _event(delivery: EventDelivery) -> Event:
    event = delivery.event
    return Event(event.pk, event.name, event.key, event.payload, event.occurred_at)


def _done(deliveries: list[EventDelivery]) -> None:
    """Mark the deliveries done, in the handler's transaction, if this worker still holds
    them; raises LeaseLost otherwise."""
    done = EventDelivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=DeliveryStatus.PENDING, leased_by=worker_id(),
    ).update(status=DeliveryStatus.DONE, done_at=timezone.now(), last_error="", leased_by="")
    if done != len(deliveries):
        raise LeaseLost


def _failed(delivery: EventDelivery, error: str, *, permanent: bool = False) -> None:
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {"attempts": attempts, "last_error": error[:2000], "leased_by": ""}
    if permanent or attempts >= MAX_ATTEMPTS:
        changes["status"] = DeliveryStatus.DEAD
    else:
        changes["next_attempt_at"] = timezone.now() + backoff(attempts)
    EventDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING,
                                 leased_by=worker_id()).update(**changes)


def release(worker_ids: Sequence[str]) -> int:
    """Make the deliveries leased by these (dead) workers due now; returns how many."""
    return EventDelivery.objects.filter(
        status=DeliveryStatus.PENDING, leased_by__in=list(worker_ids),
    ).update(leased_by="", next_attempt_at=timezone.now())


def next_due_at() -> datetime | None:
    """When the earliest pending delivery is due (the worker comes back then), or None."""
    return (EventDelivery.objects.filter(status=DeliveryStatus.PENDING)
            .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())


def dead_letters(limit: int = 100) -> list[EventDelivery]:
    """Deliveries given up on, newest first (the platform administrator's page shows them)."""
    return list(EventDelivery.objects.filter(status=DeliveryStatus.DEAD)
                .select_related("event").order_by("-pk")[:limit])


@transaction.atomic
def replay(delivery_id: int) -> bool:
    """Run a dead letter again (its handler or the data it needed was fixed); returns whether
    there was such a dead letter. The caller checks the actor's right and audits."""
    changed = EventDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.DEAD).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), leased_by="")
    if changed:
        transaction.on_commit(wake)
    return bool(changed)


SOURCES.register(Source("events", dispatch_due, next_due_at, release))
