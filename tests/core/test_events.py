"""Domain events (ARCHITECTURE.md "Events", issue 8): published in the change's transaction, run
by the worker per subscriber at least once and effectively once, in order per key, retried with
back-off, dead letters replayable; the register's consumers run out of its transaction."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from durvis.core import events
from durvis.core.actor import SYSTEM
from durvis.core.models import DeliveryStatus, DomainEvent, EventDelivery
from durvis.integrations.models import OutboxChannel, OutboxMessage
from durvis.register import services as register

PING = events.declare("test.ping", publisher="tests", payload=("n",),
                      description="A test event with a number.")
SEEN: list[tuple[str, int]] = []
FAILURES: dict[int, int] = {}  # n -> how many more times the handler fails on it


@events.subscriber(PING, "tests.record_ping")
def record_ping(batch):
    """Records what it handled, all or nothing per call (as a handler's database writes are)."""
    handled = []
    for event in batch:
        n = event.payload["n"]
        if FAILURES.get(n, 0) > 0:
            FAILURES[n] -= 1
            raise RuntimeError(f"not now: {n}")
        handled.append((event.key, n))
    SEEN.extend(handled)


@pytest.fixture(autouse=True)
def clean():
    SEEN.clear()
    FAILURES.clear()


def time_passes():
    """Move every retry's due time to now (as the clock would, after the back-off)."""
    EventDelivery.objects.filter(status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now())


def test_a_subscriber_failing_twice_is_retried_and_handles_the_event_once(db):
    events.publish(SYSTEM, PING, [("ping:1", {"n": 1})])
    FAILURES[1] = 2
    events.dispatch_due()
    delivery = EventDelivery.objects.get(subscriber="tests.record_ping")
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "not now: 1" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=5)  # back-off
    assert events.dispatch_due() == 0  # not due yet
    time_passes()
    events.dispatch_due()
    time_passes()
    events.dispatch_due()
    time_passes()
    events.dispatch_due()
    assert SEEN == [("ping:1", 1)]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DONE and delivery.attempts == 2


def test_a_rolled_back_change_publishes_nothing(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(SYSTEM, PING, [("ping:1", {"n": 1})])
        raise RuntimeError("the change fails after publishing")
    assert not DomainEvent.objects.exists() and not EventDelivery.objects.exists()
    assert events.dispatch_due() == 0 and SEEN == []


def test_a_rolled_back_case_tells_nobody(api_client_factory, catalogue, worker):
    centre = api_client_factory("VDAA")
    from durvis.integrations import services as integrations

    with pytest.raises(RuntimeError), transaction.atomic():
        register.open_case(integrations.api_actor(centre.api_client), register.NewCase(
            service_code=1011, identification="anonymous", application_channel="centre"))
        raise RuntimeError
    worker.deliver()
    assert not DomainEvent.objects.exists() and not OutboxMessage.objects.exists()


def test_events_of_one_key_are_handled_in_order_and_other_keys_go_on(db):
    events.publish(SYSTEM, PING, [("case:1", {"n": 1}), ("case:1", {"n": 2}),
                                  ("case:2", {"n": 3})])
    FAILURES[1] = 2  # the batch fails, then n=1 alone fails: it waits for its retry
    events.dispatch_due()
    assert SEEN == [("case:2", 3)]  # n=2 waits for n=1, which waits for its retry
    time_passes()
    events.dispatch_due()
    assert SEEN == [("case:2", 3), ("case:1", 1), ("case:1", 2)]


def test_a_batch_is_one_call_and_a_bad_event_holds_back_only_its_key(db):
    calls = []

    @events.subscriber(PING, "tests.count_calls")
    def count_calls(batch):
        calls.append(len(batch))

    try:
        events.publish(SYSTEM, PING, [(f"case:{n}", {"n": n}) for n in range(50)])
        FAILURES[7] = 2  # fails in the batch, and again alone
        events.dispatch_due()
        assert calls == [50]
        assert sorted(n for _key, n in SEEN) == [n for n in range(50) if n != 7]
    finally:
        events.SUBSCRIBERS._entries.pop("tests.count_calls")


def test_the_last_failure_is_a_dead_letter_that_can_be_replayed(db):
    events.publish(SYSTEM, PING, [("ping:9", {"n": 9})])
    FAILURES[9] = events.MAX_ATTEMPTS
    for _ in range(events.MAX_ATTEMPTS):
        events.dispatch_due()
        time_passes()
    (dead,) = events.dead_letters()
    assert dead.status == DeliveryStatus.DEAD and dead.attempts == events.MAX_ATTEMPTS
    assert events.replay(dead.pk)
    events.dispatch_due()
    assert SEEN == [("ping:9", 9)]
    assert not events.replay(dead.pk)  # handled: nothing to replay


def test_an_undeclared_event_cannot_be_published(db):
    with pytest.raises(KeyError):
        events.publish(SYSTEM, "test.never_declared", [("x", {})])


class SlowPopulationRegister:
    """A population-register adapter that answers in 0.5 s, like a remote register under load,
    and counts its calls."""

    calls = 0

    def __init__(self):
        from durvis.identity.registers import LocalPopulationRegister

        self.local = LocalPopulationRegister()

    def __getattr__(self, name):
        method = getattr(self.local, name)

        def slow(*args, **kwargs):
            type(self).calls += 1
            time.sleep(0.5)
            return method(*args, **kwargs)

        return slow


def test_a_slow_population_register_does_not_slow_the_batch_ingest(settings, family, smtp):
    """The recipients of a status change (a minor's parents) are found by the worker, not in
    the register's ingest transaction: ingest time does not grow with the register's."""
    from durvis.identity import registers

    settings.DURVIS_POPULATION_REGISTER = f"{__name__}.SlowPopulationRegister"
    registers.population_register.cache_clear()
    try:
        SlowPopulationRegister.calls = 0
        batch = [register.StatusEvent(family[name].number, occurred_at=timezone.now(),
                                      status="in_progress") for name in ("own", "childs")]
        started = time.perf_counter()
        results = register.record_status_events(family["system"], batch)
        ingest = time.perf_counter() - started
        assert [r.outcome for r in results] == ["recorded", "recorded"]
        assert SlowPopulationRegister.calls == 0 and ingest < 0.5
        events.dispatch_due()
        assert SlowPopulationRegister.calls == 1  # once for the whole batch, in the worker
        mails = OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL,
                                             recipient=family["parent"].email)
        assert mails.count() == 2  # the parent hears of their own case and their child's
    finally:
        registers.population_register.cache_clear()
