"""The sync cursor never skips a committed change (issue 10, "Order and completeness").

On PostgreSQL writers run side by side: a change number taken by a transaction that commits
late is lower than one a later transaction has already committed. A reader polling
`GET /api/v1/cases?since=` must still receive every committed change, exactly once. These tests
run real concurrent transactions (threads, each with its own connection), so they need
PostgreSQL; SQLite serialises its writers, where commit order is change order by construction.
"""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from durvis.audit.services import chain_of
from durvis.core.actor import Actor
from durvis.integrations import services as integrations
from durvis.register import services as register
from durvis.register.models import ServiceCase

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="concurrent writers need PostgreSQL (SQLite serialises them)"),
]

HELD_BATCH = 300  # the client A
WRITERS, BATCHES, BATCH = 4, 4, 10


@pytest.fixture
def systems(staff, institutions, catalogue):
    """`systems(n)`: n back-office systems of VSAA (the holder), each an (actor, HTTP client)
    pair, whose audit chains differ, so that one holding its transaction open never makes
    another wait for the audit lock (different clients, as in the issue)."""
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])

    def make(count):
        made, chains = [], set()
        while len(made) < count:
            client, token = integrations.create_api_client(
                admin, institutions["VSAA"], f"System {len(chains)}", ["cases:read", "cases:write"])
            actor = integrations.api_actor(client)
            if chain_of(actor) not in chains:
                chains.add(chain_of(actor))
                made.append((actor, Client(HTTP_AUTHORIZATION=f"Bearer {token}")))
        return made

    return make


def open_cases(actor, person, count):
    return [register.open_case(actor, register.NewCase(
        service_code=1011, identification="signed_in", application_channel="eaccount",
        personal_code=person.personal_code)).number for _ in range(count)]


def events(numbers):
    now = timezone.now()
    return [register.StatusEvent(number, occurred_at=now, status="in_progress")
            for number in numbers]


class Reader:
    """A system polling the list of changed cases with the cursor it was last given."""

    def __init__(self, http):
        self.http, self.cursor, self.received = http, "0", []

    def poll(self):
        """One page; True when it was empty."""
        response = self.http.get("/api/v1/cases", {"since": self.cursor, "limit": 37})
        assert response.status_code == 200, response.content
        page = response.json()
        self.received += [(c["number"], c["change_seq"]) for c in page["items"]]
        self.cursor = str(page["next_cursor"])
        return not page["items"]

    def drain(self):
        while not self.poll():
            pass


class Thread(threading.Thread):
    """A thread with its own database connection, closed when it ends; re-raises its error
    on `join`."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.work, self.error = target, None

    def run(self):
        try:
            self.work()
        except BaseException as error:
            self.error = error
        finally:
            connections.close_all()

    def join(self, timeout=60):
        super().join(timeout)
        assert not self.is_alive(), "a writer or the reader hung"
        if self.error is not None:
            raise self.error


def committed_changes(numbers):
    return set(ServiceCase.objects.filter(number__in=numbers).values_list("number", "change_seq"))


def test_a_batch_committing_late_is_not_skipped(systems, centre, person):
    """The issue's case: client A's 300-event batch is still committing when client B's single
    event commits with a higher change number; client R polls in between, then to the end."""
    (a_system, _), (b_system, _), (_, r_http) = systems(3)
    held = open_cases(integrations.api_actor(centre.api_client), person, HELD_BATCH + 1)
    a_numbers, b_number = held[:HELD_BATCH], held[HELD_BATCH]
    reader = Reader(r_http)
    reader.drain()
    opened = set(reader.received)
    assert opened == committed_changes(held)

    a_wrote, release_a = threading.Event(), threading.Event()

    def client_a():
        with transaction.atomic():
            register.record_status_events(a_system, events(a_numbers))
            a_wrote.set()
            assert release_a.wait(30)

    a = Thread(client_a)
    a.start()
    try:
        assert a_wrote.wait(30)
        register.record_status_events(b_system, events([b_number]))  # client B commits
        reader.drain()  # polls while A is still in flight
        release_a.set()
        a.join()
    finally:
        release_a.set()
    reader.drain()

    received = Counter(reader.received)
    assert [change for change, n in received.items() if n > 1] == []
    changed = committed_changes(held)
    assert set(received) - opened == changed, (
        f"never received {len(changed - set(received))} committed changes")


def test_a_polling_reader_receives_every_change_of_concurrent_writers_once(systems, centre,
                                                                          person):
    """Several writers commit batches side by side, each holding its transaction open for a
    while after it took its change numbers; a reader polls all along. Every case is changed
    once, so each committed change is one (case, change_seq) the reader must receive once."""
    *writers, (_, r_http) = systems(WRITERS + 1)
    numbers = open_cases(integrations.api_actor(centre.api_client), person,
                         WRITERS * BATCHES * BATCH)
    reader = Reader(r_http)
    reader.drain()
    opened = set(reader.received)
    done = threading.Event()

    def write(system, mine, seed):
        rng = random.Random(seed)
        for start in range(0, len(mine), BATCH):
            with transaction.atomic():
                register.record_status_events(system, events(mine[start:start + BATCH]))
                time.sleep(rng.uniform(0, 0.05))  # still committing

    def poll():
        while not done.is_set():
            reader.poll()
        reader.drain()

    threads = [Thread(lambda n=n, s=system: write(s, numbers[n::WRITERS], n))
               for n, (system, _) in enumerate(writers)]
    polling = Thread(poll)
    polling.start()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        done.set()
        polling.join()

    received = Counter(reader.received)
    assert [change for change, n in received.items() if n > 1] == []
    changed = committed_changes(numbers)
    assert set(received) - opened == changed, (
        f"never received {len(changed - set(received))} committed changes")
