"""Bulk writes in one statement (core.bulk) give the same rows as the ORM, on both databases."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from durvis.core import bulk
from durvis.core.models import DeliveryStatus, DomainEvent, EventDelivery

AT = datetime.datetime(2026, 11, 3, 10, 0, 0, 123456, tzinfo=datetime.UTC)


def test_insert_keeps_order_types_and_sets_keys(db):
    events = [DomainEvent(name="test.bulk", key=f"k:{n}", payload={"n": n, "text": "Ā \"q\""},
                          actor="", occurred_at=AT + datetime.timedelta(seconds=n))
              for n in range(5)]
    bulk.insert(events)
    assert all(e.pk for e in events)
    stored = list(DomainEvent.objects.order_by("pk"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert [(e.key, e.payload, e.occurred_at) for e in stored] == [
        (f"k:{n}", {"n": n, "text": "Ā \"q\""}, AT + datetime.timedelta(seconds=n))
        for n in range(5)]


def test_insert_ignores_or_refuses_conflicts(db):
    event = DomainEvent(name="test.bulk", key="k", payload={}, actor="", occurred_at=AT)
    bulk.insert([event])
    delivery = {"event": event, "subscriber": "s", "key": "k", "next_attempt_at": AT}
    bulk.insert([EventDelivery(**delivery)])
    bulk.insert([EventDelivery(**delivery)], ignore_conflicts=True)
    assert EventDelivery.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert([EventDelivery(**delivery)])


def test_update_writes_only_the_named_fields(db):
    event = DomainEvent(name="test.bulk", key="k", payload={}, actor="", occurred_at=AT)
    bulk.insert([event])
    rows = [EventDelivery(event=event, subscriber=f"s{n}", key="k", next_attempt_at=AT)
            for n in range(3)]
    bulk.insert(rows)
    for row in rows:
        row.status, row.attempts, row.subscriber = DeliveryStatus.DONE, 2, "changed"
    bulk.update(rows, ["status", "attempts"])
    assert sorted(EventDelivery.objects.values_list("subscriber", "status", "attempts")) == [
        (f"s{n}", "done", 2) for n in range(3)]


def test_any_of_matches_what_in_matches(db):
    events = [DomainEvent(name="test.bulk", key=f"k:{n}", payload={}, actor="", occurred_at=AT)
              for n in range(6)]
    bulk.insert(events)
    keys = {"k:1", "k:4", "nothing"}
    assert set(DomainEvent.objects.filter(key__any_of=keys)) == set(
        DomainEvent.objects.filter(key__in=keys))
    ids = [events[0].pk, events[5].pk]
    assert list(EventDelivery.objects.filter(event__id__any_of=ids)) == []
    assert set(DomainEvent.objects.filter(id__any_of=ids)) == {events[0], events[5]}
