"""The request register at scale (B1, B9): ingest, lookup, a client's history, authorised lists.

Fills the register with cases (each with its first history row) over 250 services and 100,000
clients by COPY, at 100,000 and then 1,000,000 cases, and at each size measures:

- ingest: status events through the HTTP API in batches of 1,000 (idempotency key, audit chain
  and the domain events included) against the same rows (history row + current-status update)
  written straight with psycopg, in the same run: `register.ingest_ratio_vs_raw` (target
  >= 0.35; notifications and webhooks run in the worker, after the commit);
- the worker's side of the same events: their subscribers (notifications with the base-register
  lookups, webhooks into the outbox), in process, per event: `register.dispatch_ratio_vs_raw`;
- lookup: GET of one case with its history, 1,000 random cases, against /healthz of the same
  server: `register.lookup_p95_ratio` (target <= 3);
- a client's history: the 300 cases of one client among all (`client_history`, in process):
  `register.client_history_p95_ms` (target < 50 ms);
- the "changed since a cursor" page (100 cases) for a client scoped to 200 services against a
  client of the holder of all services: `register.scoped_list_p95_ratio` (target <= 1.5).

At the last size, the sync cursor under concurrent writers: 100,000 status events through the
same API by several systems at once (each its own API client and gunicorn worker), while another
system polls `GET /api/v1/cases?since=` from the head with the cursor it was given:
`register.cursor_missed` counts the committed changes it never received (must be 0), and
`register.concurrent_ingest_events_per_s` the writers' rate together.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

SEED = 20261127
SIZES = tuple(int(s) for s in os.environ.get("BENCH_REGISTER_SIZES", "100000,1000000").split(","))
SERVICES = 250
SCOPED_SERVICES = 200
CLIENTS = 100_000
HEAVY_CLIENTS = 10  # each with exactly 300 cases
HEAVY_CASES = 300
BATCH = 1000
INGEST_BATCHES = 10
LOOKUPS = 1000
LIST_REQUESTS = 200
HISTORY_RUNS = 10
RACE_EVENTS = 100_000
RACE_WRITERS = 4  # one posting small batches, the others batches of BATCH
RACE_SMALL_EVENTS, RACE_SMALL_BATCH = 5_000, 10
RACE_PAGE = 500
EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


def _setup_django(database_url: str) -> None:
    os.environ.update({k: v for k, v in harness.child_env(database_url).items()
                       if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "LOG_LEVEL")})
    sys.path.insert(0, str(harness.SRC))
    import django

    django.setup()


@dataclass
class World:
    holder_id: int
    provider_id: int
    service_ids: list[int]
    service_codes: dict[int, int]
    heavy_person_ids: list[int]
    scoped_token: str
    full_token: str
    next_sequence: dict[int, int]
    cases: int = 0


def _make_world() -> World:
    """Institutions, 250 services held by one institution, two API clients, a webhook (so that
    every ingested event also writes an outbox message), all through the platform's services."""
    from durvis.catalog.models import Stage
    from durvis.catalog.services import import_delegations, import_service
    from durvis.core.actor import Actor
    from durvis.identity.services import record_institution, record_staff
    from durvis.integrations.services import create_api_client, register_webhook

    holder = record_institution(code="VSAA", names={"lv": "Valsts sociālās apdrošināšanas "
                                "aģentūra", "en": "State Social Insurance Agency"}, kind="state")
    provider = record_institution(code="VDAA", names={"lv": "Valsts digitālās attīstības aģentūra",
                                  "en": "State Digital Development Agency"}, kind="state")
    services = []
    for n in range(SERVICES):
        service, _ = import_service(
            3000 + n, holder,
            {"name_lv": f"Pabalsts Nr. {n}", "name_en": f"Benefit no. {n}",
             "audience": "residents", "status": "published",
             "application_channels": ["eaccount", "centre"], "result_channels": ["eaccount"]},
            {})
        import_delegations(service, {provider: Stage.values}, since=datetime.date(2020, 1, 1))
        services.append(service)
    admin = Actor(kind="staff", staff=record_staff(
        username="bench.admin", password="bench-password-not-secret",
        institution=holder, roles=["institution_admin"]))
    provider_admin = Actor(kind="staff", staff=record_staff(
        username="bench.provider", password="bench-password-not-secret",
        institution=provider, roles=["institution_admin"]))
    operations = ["cases:read", "cases:write"]
    _, scoped = create_api_client(admin, holder, "scoped", operations, services[:SCOPED_SERVICES])
    _, full = create_api_client(admin, holder, "full", operations)
    register_webhook(provider_admin, provider, "http://127.0.0.1:9/hook",
                     ["case.status_changed"])
    return World(holder.pk, provider.pk, [s.pk for s in services],
                 {s.pk: s.code for s in services}, [], scoped, full,
                 {s.pk: 0 for s in services})


def _personal_code(n: int) -> str:
    """A valid old-format personal code, different for every n below 3.6 million."""
    from stdnum.lv import pvn

    day = datetime.date(1940, 1, 1) + datetime.timedelta(days=n % 24000)
    serial = n // 24000
    century = 1 if day.year < 2000 else 2
    body = f"{day:%d%m%y}{century}{serial:03d}"
    return body + pvn.calc_check_digit_pers(body)


def _fill_persons(cursor: Any) -> int:
    first = harness.reserve_ids(cursor, "identity_person", CLIENTS)
    with cursor.copy("COPY identity_person (id, personal_code, given_name, family_name, "
                     "citizenship, email, phone, contacts_version, given_name_folded, "
                     "family_name_folded) FROM STDIN") as copy:
        for n in range(CLIENTS):
            copy.write_row((first + n, _personal_code(n), "Vārds", f"Uzvārds{n}", "LV", "", "",
                            0, "vards", f"uzvards{n}"))
    with cursor.copy("COPY identity_personcode (code, person_id, is_current) FROM STDIN") as copy:
        for n in range(CLIENTS):
            copy.write_row((_personal_code(n), first + n, True))
    return first


def _fill_cases(cursor: Any, world: World, rng: random.Random, first_person: int,
                count: int) -> None:
    """COPY `count` cases and their first history rows; the first fill gives the heavy clients
    their 300 cases each."""
    from durvis.core.case_numbers import format_case_number

    first_id = harness.reserve_ids(cursor, "register_servicecase", count)
    cursor.execute("SELECT nextval('register_change_seq')")
    change = cursor.fetchone()[0]
    heavy = [first_person + n for n in range(HEAVY_CLIENTS)] if world.cases == 0 else []
    owners = [p for p in heavy for _ in range(HEAVY_CASES)]
    now = datetime.datetime.now(datetime.UTC)
    rows = []
    for n in range(count):
        service_id = rng.choice(world.service_ids)
        world.next_sequence[service_id] += 1
        sequence = world.next_sequence[service_id]
        person = owners[n] if n < len(owners) else first_person + HEAVY_CLIENTS + rng.randrange(
            CLIENTS - HEAVY_CLIENTS)
        applied = EPOCH + datetime.timedelta(seconds=rng.randrange(60 * 60 * 24 * 700))
        rows.append((first_id + n, format_case_number(world.service_codes[service_id], sequence),
                     service_id, sequence, person, applied, change + n))
    with cursor.copy(
        "COPY register_servicecase (id, number, service_id, sequence, client_person_id, "
        "identification, client_phone, acted_by, mandate_reference, application_channel, "
        "result_channel, provider_id, service_point, holder_id, holder_reference, status, "
        "holder_status, status_at, payment_status, applied_at, created_at, updated_at, "
        "change_seq) FROM STDIN"
    ) as copy:
        for case_id, number, service_id, sequence, person, applied, seq in rows:
            copy.write_row((case_id, number, service_id, sequence, person, "signed_in", "",
                            "client", "", "eaccount", "eaccount", world.provider_id, "",
                            world.holder_id, "", "received", "", applied, "", applied, now, now,
                            seq))
    with cursor.copy(
        "COPY register_caseevent (case_id, kind, status, holder_status, occurred_at, "
        "recorded_at, actor_kind, actor_id, actor_institution, note, data, dedup_key) FROM STDIN"
    ) as copy:
        for case_id, _number, _service, _sequence, _person, applied, _seq in rows:
            copy.write_row((case_id, "status", "received", "", applied, applied, "person", "",
                            "", "", "{}", "opened"))
    cursor.execute("SELECT setval('register_change_seq', %s)", [change + count])
    cursor.execute("INSERT INTO register_casesequence (service_id, last) "
                   "SELECT service_id, max(sequence) FROM register_servicecase GROUP BY service_id "
                   "ON CONFLICT (service_id) DO UPDATE SET last = excluded.last")
    world.heavy_person_ids += heavy
    world.cases += count


def _fresh_cases(cursor: Any, world: World, rng: random.Random, count: int
                 ) -> list[tuple[int, str, Any]]:
    """`count` random cases still `received` (so `in_progress` is a valid next status)."""
    share = min(100.0, 100.0 * count * 8 / world.cases)
    cursor.execute("SELECT id, number, applied_at FROM register_servicecase "
                   "TABLESAMPLE SYSTEM (%s) WHERE status = 'received' LIMIT %s",
                   [share, count * 3])
    rows = cursor.fetchall()
    if len(rows) < count:  # a small register: the sample's pages hold too few; read them all
        cursor.execute("SELECT id, number, applied_at FROM register_servicecase "
                       "WHERE status = 'received' LIMIT %s", [count * 3])
        rows = cursor.fetchall()
    rng.shuffle(rows)
    if len(rows) < count:
        raise RuntimeError(f"only {len(rows)} cases are left to ingest statuses for, {count} "
                           "are needed: raise the smallest of BENCH_REGISTER_SIZES")
    picked = rows[:count]
    cursor.execute("UPDATE register_servicecase SET status = 'registered' WHERE id = ANY(%s)",
                   [[c[0] for c in picked]])  # never picked twice; registered → in_progress
    return picked


def _post(connection: http.client.HTTPConnection, path: str, body: bytes, token: str) -> Any:
    connection.request("POST", path, body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4())})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"POST {path}: HTTP {response.status}: {data[:300]!r}")
    return json.loads(data)


def _ingest_api(port: int, cursor: Any, world: World, rng: random.Random) -> float:
    """Events per second through POST /api/v1/case-events, 1,000 a batch."""
    batches = []
    for _ in range(INGEST_BATCHES):
        cases = _fresh_cases(cursor, world, rng, BATCH)
        batches.append(json.dumps({"events": [
            {"case_number": number, "status": "in_progress",
             "occurred_at": (applied + datetime.timedelta(days=1)).isoformat()}
            for _id, number, applied in cases]}).encode())
    cursor.connection.commit()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    for body in batches:
        result = _post(connection, "/api/v1/case-events", body, world.full_token)
        if result["recorded"] != BATCH:
            raise RuntimeError(f"only {result['recorded']} of {BATCH} events recorded")
    elapsed = time.perf_counter() - started
    connection.close()
    return INGEST_BATCHES * BATCH / elapsed


def _ingest_raw(cursor: Any, world: World, rng: random.Random) -> float:
    """Events per second for the same rows written straight: a history row and the case's
    current status, 1,000 a transaction."""
    batches = [_fresh_cases(cursor, world, rng, BATCH) for _ in range(INGEST_BATCHES)]
    cursor.connection.commit()
    started = time.perf_counter()
    for cases in batches:
        now = datetime.datetime.now(datetime.UTC)
        cursor.executemany(
            "INSERT INTO register_caseevent (case_id, kind, status, holder_status, occurred_at, "
            "recorded_at, actor_kind, actor_id, actor_institution, note, data, dedup_key) "
            "VALUES (%s, 'status', 'in_progress', '', %s, %s, 'api_client', '', '', '', '{}', %s)",
            [(case_id, applied + datetime.timedelta(days=1), now, f"raw:{case_id}")
             for case_id, _n, applied in cases])
        cursor.executemany(
            "UPDATE register_servicecase SET status = 'in_progress', status_at = %s, "
            "change_seq = nextval('register_change_seq'), updated_at = %s WHERE id = %s",
            [(applied + datetime.timedelta(days=1), now, case_id)
             for case_id, _n, applied in cases])
        cursor.connection.commit()
    return INGEST_BATCHES * BATCH / (time.perf_counter() - started)


def _dispatch() -> float:
    """Events per second through the worker's subscribers (client notifications with their
    base-register lookups and rendering, webhooks into the outbox), in this process, for what
    the ingest published."""
    from durvis.core import events

    started = time.perf_counter()
    handled = 0
    while count := events.dispatch_due():
        handled += count
    elapsed = time.perf_counter() - started
    subscribers = max(1, sum(1 for s in events.SUBSCRIBERS if s.event == "case.status_changed"))
    return handled / subscribers / elapsed if handled else 0.0


def _timed_get(connection: http.client.HTTPConnection, path: str, token: str | None = None
               ) -> float:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:300]!r}")
    return elapsed


def _lookups(port: int, cursor: Any, world: World, rng: random.Random
             ) -> tuple[list[float], list[float], list[float]]:
    """One case with its history (GET, audited), against /healthz and against the trivial
    authenticated API call /whoami (bearer check and the API framework, no work)."""
    cursor.execute("SELECT number FROM register_servicecase TABLESAMPLE SYSTEM (2) LIMIT %s",
                   [LOOKUPS * 2])
    numbers = [row[0] for row in cursor.fetchall()]
    rng.shuffle(numbers)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    lookups, trivial, whoami = [], [], []
    for number in numbers[:50]:  # warm-up
        _timed_get(connection, f"/api/v1/cases/{number.replace(' ', '-')}", world.full_token)
        _timed_get(connection, "/healthz")
        _timed_get(connection, "/api/v1/whoami", world.full_token)
    for number in numbers[:LOOKUPS]:
        lookups.append(_timed_get(connection, f"/api/v1/cases/{number.replace(' ', '-')}",
                                  world.full_token))
        trivial.append(_timed_get(connection, "/healthz"))
        whoami.append(_timed_get(connection, "/api/v1/whoami", world.full_token))
    connection.close()
    return lookups, trivial, whoami


def _lists(port: int, cursor: Any, world: World, rng: random.Random
           ) -> tuple[list[float], list[float]]:
    """Pages of 100 from random cursors, the scoped and the full client alternating."""
    cursor.execute("SELECT min(change_seq), max(change_seq) FROM register_servicecase")
    low, high = cursor.fetchone()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    scoped, full = [], []
    for n in range(LIST_REQUESTS + 20):
        since = rng.randrange(low, max(low + 1, high - 10_000))
        a = _timed_get(connection, f"/api/v1/cases?since={since}&limit=100", world.scoped_token)
        b = _timed_get(connection, f"/api/v1/cases?since={since}&limit=100", world.full_token)
        if n >= 20:
            scoped.append(a)
            full.append(b)
    connection.close()
    return scoped, full


def _client_history(world: World) -> list[float]:
    """All cases of a client with 300 of them (the e-account's history query), in process."""
    from django.db import connection

    from durvis.identity.models import Person
    from durvis.register.queries import client_history

    samples = []
    persons = list(Person.objects.filter(pk__in=world.heavy_person_ids))
    for _ in range(HISTORY_RUNS):
        for person in persons:
            started = time.perf_counter()
            cases = list(client_history(person))
            samples.append((time.perf_counter() - started) * 1000)
            if len(cases) != HEAVY_CASES:
                raise RuntimeError(f"expected {HEAVY_CASES} cases, got {len(cases)}")
    connection.close()
    return samples


def _measure(url: str, world: World, rng: random.Random) -> dict[str, float]:
    import psycopg

    p = harness.percentile
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
        cursor = raw.cursor()
        with harness.gunicorn(url) as port:
            api_rate = _ingest_api(port, cursor, world, rng)
            dispatch_rate = _dispatch()
            raw_rate = _ingest_raw(cursor, world, rng)
            lookups, trivial, whoami = _lookups(port, cursor, world, rng)
            scoped, full = _lists(port, cursor, world, rng)
    history = _client_history(world)
    return {
        "ingest_events_per_s": api_rate,
        "ingest_raw_events_per_s": raw_rate,
        "ingest_ratio_vs_raw": api_rate / raw_rate,
        "dispatch_events_per_s": dispatch_rate,
        "dispatch_ratio_vs_raw": dispatch_rate / raw_rate,
        "lookup_p95_ms": p(lookups, 0.95),
        "lookup_p50_ms": p(lookups, 0.5),
        "trivial_p95_ms": p(trivial, 0.95),
        "lookup_p95_ratio": p(lookups, 0.95) / p(trivial, 0.95),
        "whoami_p95_ms": p(whoami, 0.95),
        "lookup_p95_ratio_vs_whoami": p(lookups, 0.95) / p(whoami, 0.95),
        "client_history_p95_ms": p(history, 0.95),
        "scoped_list_p95_ms": p(scoped, 0.95),
        "full_list_p95_ms": p(full, 0.95),
        "scoped_list_p95_ratio": p(scoped, 0.95) / p(full, 0.95),
    }


def _race_clients(world: World) -> list[str]:
    """Tokens of RACE_WRITERS writing systems and one reading system of the holder, made by its
    administrator, on different audit chains (as different systems mostly are), so that they
    write side by side rather than one after another behind one chain's lock."""
    from durvis.audit.services import chain_of
    from durvis.core.actor import Actor
    from durvis.identity.models import Institution, StaffMember
    from durvis.integrations.services import api_actor, create_api_client

    admin = Actor(kind="staff", staff=StaffMember.objects.get(user__username="bench.admin"))
    holder = Institution.objects.get(pk=world.holder_id)
    tokens, chains = [], set()
    while len(tokens) < RACE_WRITERS + 1:
        client, token = create_api_client(admin, holder, f"race {len(chains)}",
                                          ["cases:read", "cases:write"])
        if chain_of(api_actor(client)) not in chains:
            chains.add(chain_of(api_actor(client)))
            tokens.append(token)
    return tokens


def _race_batches(cursor: Any, rng: random.Random) -> list[list[bytes]]:
    """Each writer's batches: RACE_EVENTS events (at most; as many as a small register has open)
    on as many different cases (each is changed
    once, so every committed change is one case at its final change number), `in_progress`
    after the current status (a valid move from received, registered and in progress). The
    first writer posts RACE_SMALL_EVENTS of them RACE_SMALL_BATCH at a time (they commit while
    the others' batches of BATCH are still committing: the issue's client B), the others the
    rest, BATCH at a time."""
    cursor.execute("SELECT number, status_at FROM register_servicecase "
                   "WHERE status IN ('received', 'registered', 'in_progress') "
                   "ORDER BY random() LIMIT %s", [RACE_EVENTS])
    cases = cursor.fetchall()  # fewer in a small register (BENCH_REGISTER_SIZES): all of them
    if len(cases) < 2 * RACE_SMALL_EVENTS:
        raise RuntimeError(f"the cursor race needs at least {2 * RACE_SMALL_EVENTS} open cases: "
                           "raise the largest of BENCH_REGISTER_SIZES")
    rng.shuffle(cases)

    def batches(chosen: list[tuple[str, datetime.datetime]], size: int) -> list[bytes]:
        return [json.dumps({"events": [
            {"case_number": number, "status": "in_progress",
             "occurred_at": (at + datetime.timedelta(hours=1)).isoformat()}
            for number, at in chosen[start:start + size]]}).encode()
            for start in range(0, len(chosen), size)]

    large = batches(cases[RACE_SMALL_EVENTS:], BATCH)
    return [batches(cases[:RACE_SMALL_EVENTS], RACE_SMALL_BATCH),
            *(large[n::RACE_WRITERS - 1] for n in range(RACE_WRITERS - 1))]


def _head(cursor: Any, world: World) -> str:
    """The cursor after the holder's latest change (quiet: nothing is being written)."""
    from durvis.register.changes import ChangeCursor

    cursor.execute("SELECT change_xid, change_seq FROM register_servicecase WHERE holder_id = %s "
                   "ORDER BY change_xid DESC, change_seq DESC LIMIT 1", [world.holder_id])
    return str(ChangeCursor(*cursor.fetchone()))


class _Poller:
    """A system polling the changed cases from a cursor: what it received, (number, change)."""

    def __init__(self, port: int, token: str, since: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.token, self.since = token, since
        self.received: list[tuple[str, int]] = []
        self.polls = self.short = 0

    def poll(self) -> bool:
        """One page; True when it was empty."""
        self.connection.request("GET", f"/api/v1/cases?since={self.since}&limit={RACE_PAGE}",
                                headers={"Authorization": f"Bearer {self.token}"})
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET /api/v1/cases: HTTP {response.status}: {body[:300]!r}")
        page = json.loads(body)
        self.received += [(c["number"], c["change_seq"]) for c in page["items"]]
        self.since, self.polls = str(page["next_cursor"]), self.polls + 1
        self.short += len(page["items"]) < RACE_PAGE
        return not page["items"]


def _cursor_race(url: str, world: World, rng: random.Random) -> dict[str, float]:
    """RACE_WRITERS systems post RACE_EVENTS events at once while a reader polls from the head;
    when they are done the reader polls to the end. Counts the committed changes of the race
    (each case at its final change number) the reader never received."""
    import psycopg

    *writers, reader_token = _race_clients(world)
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
        cursor = raw.cursor()
        batches = _race_batches(cursor, rng)
        start = _head(cursor, world)
        raw.commit()
    errors: list[BaseException] = []
    writing = threading.Event()

    def write(port: int, token: str, mine: list[bytes]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            for body in mine:
                result = _post(connection, "/api/v1/case-events", body, token)
                if result["recorded"] != len(result["items"]):
                    raise RuntimeError("a batch of the cursor race was not recorded whole")
        except BaseException as error:  # handed to the main thread
            errors.append(error)
        finally:
            connection.close()

    def read(poller: _Poller) -> None:
        try:
            while writing.is_set():
                poller.poll()
            while not poller.poll():
                pass
        except BaseException as error:  # handed to the main thread
            errors.append(error)

    with harness.gunicorn(url, workers=RACE_WRITERS + 1, timeout=180) as port:
        poller = _Poller(port, reader_token, start)
        threads = [threading.Thread(target=write, args=(port, token, mine))
                   for token, mine in zip(writers, batches, strict=True)]
        writing.set()
        reading = threading.Thread(target=read, args=(poller,))
        reading.start()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        writing.clear()
        reading.join()
        poller.connection.close()
    if errors:
        raise errors[0]
    numbers = [e["case_number"] for mine in batches for body in mine
               for e in json.loads(body)["events"]]
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
        committed = set(raw.execute("SELECT number, change_seq FROM register_servicecase "
                                    "WHERE number = ANY(%s)", [numbers]).fetchall())
    received = set(poller.received)
    harness.note(f"cursor race: {len(committed)} changes by {RACE_WRITERS} writers in "
                 f"{elapsed:.0f} s; the reader polled {poller.polls} times ({poller.short} "
                 f"reached the head), received "
                 f"{len(poller.received)} cases ({len(poller.received) - len(received)} twice)")
    return {"cursor_missed": len(committed - received),
            "concurrent_ingest_events_per_s": len(numbers) / elapsed}


def main() -> int:
    harness.stop_cleanly_on_signals()
    rng = random.Random(SEED)
    with harness.bench_database("durvis_bench_register") as url:
        _setup_django(url)
        import psycopg

        world = _make_world()
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
            cursor = raw.cursor()
            first_person = _fill_persons(cursor)
            raw.commit()
        for size in SIZES:
            started = time.perf_counter()
            with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
                cursor = raw.cursor()
                _fill_cases(cursor, world, rng, first_person, size - world.cases)
                raw.commit()
                raw.autocommit = True
                raw.execute("VACUUM ANALYZE")
            harness.note(f"filled to {size} cases in {time.perf_counter() - started:.0f} s")
            started = time.perf_counter()
            figures = _measure(url, world, rng)
            harness.note(f"measured at {size} cases in {time.perf_counter() - started:.0f} s")
            if size == SIZES[-1]:
                figures.update(_cursor_race(url, world, rng))
            harness.report("register", size, figures, headline=size == SIZES[-1])
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
