"""The integration API's throughput (issue 21; B1, B9, B5): requests per second and the web
server's CPU per request, as a back-office system sees the platform.

PostgreSQL with durable settings (fsync and synchronous commit on: every write waits for its
flush, as in production): the server DATABASE_URL names when it is durable, else a durable
throwaway cluster of its own (`make bench` runs the others on one with fsync off). The register
holds 100,000 cases (the register bench's bulk fill: 250 services, 100,000 clients, each case
with its first history row; `BENCH_API_CASES` scales it down for a quick try). gunicorn runs as
the README's deployment section says (the repository's gunicorn.conf.py, else gthread workers:
harness.deployed_options). Four client threads, each on one keep-alive connection, send 2,000
requests a scenario (`BENCH_API_REQUESTS`) after a warm-up, as one API client with the scopes
the routes need:

- create_case: POST /api/v1/cases (a signed-in client's e-account application), with an
  `Idempotency-Key`;
- add_status: POST /api/v1/cases/{number}/events (`in_progress` on a filled case), with an
  `Idempotency-Key`;
- get_case: GET /api/v1/cases/{number} (the case and its history; audited);
- whoami: GET /api/v1/whoami (the bearer-token check and the API framework, no work);
- healthz: GET /healthz (no API, no database).

For each: `api.<scenario>_rps` and `api.<scenario>_cpu_ms`, the user and system CPU time of the
gunicorn master and its workers (/proc) over the scenario divided by its requests (steadier than
wall time on a shared machine; targets: writes <= 8 ms, case read <= 5 ms, whoami <= 2 ms), and
`api.<scenario>_db_cpu_ms`, the same for the PostgreSQL server's processes when it runs on this
machine. Then one API client creating cases from 8 threads against from 1 thread (800 requests
each, `BENCH_API_PARALLEL_REQUESTS`, in 4 alternating rounds): `api.parallel_writers_speedup`,
the ratio of the rates (target >= 1.7 on 2 cores; a wall-time figure, so noisy on a busy
machine). Every answer's status is checked: anything else stops the run.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import pgcluster

import harness
import register

SEED = 20261202
CASES = int(os.environ.get("BENCH_API_CASES", "100000"))
REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "2000"))
PARALLEL_REQUESTS = int(os.environ.get("BENCH_API_PARALLEL_REQUESTS", "800"))
WARMUP = 200
CLIENT_THREADS = 4
PARALLEL_THREADS = 8
PARALLEL_ROUNDS = 4
SCENARIOS = ("create_case", "add_status", "get_case", "whoami", "healthz")


@dataclass(frozen=True)
class Call:
    """One request and the status its answer must have."""

    method: str
    path: str
    body: bytes | None = None
    expect: int = 200


@contextlib.contextmanager
def durable_database_server() -> Iterator[None]:
    """Keep DATABASE_URL when its server flushes every commit (fsync and synchronous_commit
    on); else start a durable throwaway cluster and point DATABASE_URL at it meanwhile."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        fsync, commit = _durability(url)
        if fsync == "on" and commit != "off":
            harness.note(f"DATABASE_URL's server is durable (fsync {fsync}, "
                         f"synchronous_commit {commit})")
            yield
            return
        harness.note(f"DATABASE_URL's server is not durable (fsync {fsync}, synchronous_commit "
                     f"{commit}): starting a durable throwaway cluster")
    with pgcluster.throwaway_cluster(durable=True) as durable_url:
        fsync, commit = _durability(durable_url)
        if fsync != "on" or commit == "off":
            raise RuntimeError(f"the durable cluster has fsync {fsync}, synchronous_commit "
                               f"{commit}")
        harness.note(f"a durable throwaway cluster (fsync {fsync}, synchronous_commit {commit})")
        os.environ["DATABASE_URL"] = durable_url
        try:
            yield
        finally:
            os.environ["DATABASE_URL"] = url


def _durability(url: str) -> tuple[str, str]:
    """The server's fsync and synchronous_commit settings."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as probe:
        return (probe.execute("SHOW fsync").fetchone()[0],
                probe.execute("SHOW synchronous_commit").fetchone()[0])


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's main process when it runs on this machine (the parent of this
    connection's backend), else None."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:  # while the backend lives
            parent = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
            return parent if "postgres" in Path(f"/proc/{parent}/comm").read_text() else None
        except OSError:
            return None


def _fill(url: str, rng: random.Random) -> register.World:
    """The register bench's world and bulk fill at CASES cases (and as many clients, at most
    100,000); its id sequences are left past the filled rows (harness.reserve_ids)."""
    import psycopg

    register.CLIENTS = min(register.CLIENTS, max(CASES, 1000))
    world = register._make_world()
    started = time.perf_counter()
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
        cursor = raw.cursor()
        first_person = register._fill_persons(cursor)
        register._fill_cases(cursor, world, rng, first_person, CASES)
        raw.commit()
        raw.autocommit = True
        raw.execute("VACUUM ANALYZE")
    harness.note(f"filled {CASES} cases, {register.CLIENTS} clients in "
                 f"{time.perf_counter() - started:.0f} s")
    return world


def plans_for(url: str, world: register.World, rng: random.Random,
              count: int = WARMUP + REQUESTS) -> dict[str, list[Call]]:
    """Each scenario's `count` calls (warm-up first), and the parallel writers'; every status
    event on a different filled case."""
    import psycopg

    def new_case() -> Call:
        applied = register.EPOCH + datetime.timedelta(seconds=rng.randrange(86400 * 700))
        return Call("POST", "/api/v1/cases", json.dumps({
            "service_code": world.service_codes[rng.choice(world.service_ids)],
            "identification": "signed_in", "application_channel": "eaccount",
            "acted_by": "client", "result_channel": "eaccount",
            "personal_code": register._personal_code(rng.randrange(register.CLIENTS)),
            "applied_at": applied.isoformat()}).encode(), 201)

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
        cases = raw.execute("SELECT number, applied_at FROM register_servicecase "
                            "WHERE status = 'received' ORDER BY random() LIMIT %s",
                            [2 * count]).fetchall()
    if len(cases) < 2 * count:
        raise RuntimeError(f"{len(cases)} cases filled, {2 * count} needed: raise BENCH_API_CASES")
    statuses, reads = cases[:count], cases[count:]
    return {
        "create_case": [new_case() for _ in range(count)],
        "add_status": [Call("POST", f"/api/v1/cases/{number.replace(' ', '-')}/events",
                            json.dumps({"status": "in_progress", "occurred_at": (
                                applied + datetime.timedelta(days=1)).isoformat()}).encode(),
                            201) for number, applied in statuses],
        "get_case": [Call("GET", f"/api/v1/cases/{number.replace(' ', '-')}")
                     for number, _applied in reads],
        "whoami": [Call("GET", "/api/v1/whoami")] * count,
        "healthz": [Call("GET", "/healthz")] * count,
        "parallel_1": [new_case() for _ in range(PARALLEL_REQUESTS)],
        "parallel_8": [new_case() for _ in range(PARALLEL_REQUESTS)],
    }


class Load:
    """Calls sent by threads, each over its own keep-alive connection, as one API client."""

    def __init__(self, port: int, token: str, headers: dict[str, str] | None = None) -> None:
        self.port, self.token, self.headers = port, token, headers or {}
        self.closed = 0  # answers after which the server closed the connection

    def run(self, calls: list[Call], threads: int) -> float:
        """Send `calls` split over `threads`; the seconds it took. Raises RuntimeError on the
        first answer whose status is not the call's (after all threads stopped)."""
        errors: list[BaseException] = []
        stop = threading.Event()

        def send(mine: list[Call]) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                for call in mine:
                    if stop.is_set():
                        return
                    headers = {"Authorization": f"Bearer {self.token}", **self.headers}
                    if call.body is not None:
                        headers.update({"Content-Type": "application/json",
                                        "Idempotency-Key": str(uuid.uuid4())})
                    connection.request(call.method, call.path, body=call.body, headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                    if response.status != call.expect:
                        raise RuntimeError(f"{call.method} {call.path}: HTTP {response.status} "
                                           f"(expected {call.expect}): {body[:300]!r}")
                    if response.will_close:
                        self.closed += 1
                        connection.close()
            except BaseException as error:  # handed to the main thread
                errors.append(error)
                stop.set()
            finally:
                connection.close()

        workers = [threading.Thread(target=send, args=(calls[n::threads],))
                   for n in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise errors[0]
        return elapsed


def run_scenarios(port: int, pids: dict[str, int | None], token: str,
                  plans: dict[str, list[Call]], scenarios: tuple[str, ...] = SCENARIOS
                  ) -> dict[str, float]:
    """Each scenario: its warm-up, then REQUESTS calls from CLIENT_THREADS threads between two
    readings of the processes' CPU time (`pids`: name → root process; `web` is gunicorn's)."""
    load = Load(port, token)
    figures: dict[str, float] = {}
    for name in scenarios:
        calls = plans[name]
        load.run(calls[:WARMUP], CLIENT_THREADS)
        closed = load.closed
        before = {k: harness.cpu_seconds(pid) for k, pid in pids.items() if pid}
        elapsed = load.run(calls[WARMUP:], CLIENT_THREADS)
        after = {k: harness.cpu_seconds(pid) for k, pid in pids.items() if pid}
        measured = len(calls) - WARMUP
        figures[f"{name}_rps"] = measured / elapsed
        figures[f"{name}_cpu_ms"] = (after["web"] - before["web"]) * 1000 / measured
        if "db" in after:
            figures[f"{name}_db_cpu_ms"] = (after["db"] - before["db"]) * 1000 / measured
        harness.note(f"{name}: {measured} requests in {elapsed:.1f} s; the server closed the "
                     f"connection after {load.closed - closed} of them")
    return figures


def parallel_writers(port: int, token: str, plans: dict[str, list[Call]]) -> dict[str, float]:
    """One API client creating cases from 1 thread and from PARALLEL_THREADS threads, in
    PARALLEL_ROUNDS alternating rounds (so that what other processes of a shared machine do
    weighs on both alike); each rate is its requests over its rounds' time."""
    load = Load(port, token)
    single, parallel = plans["parallel_1"], plans["parallel_8"]
    one_time = many_time = 0.0
    for n in range(PARALLEL_ROUNDS):
        one_time += load.run(single[n::PARALLEL_ROUNDS], 1)
        many_time += load.run(parallel[n::PARALLEL_ROUNDS], PARALLEL_THREADS)
    one, many = len(single) / one_time, len(parallel) / many_time
    return {"parallel_writers_1_rps": one, f"parallel_writers_{PARALLEL_THREADS}_rps": many,
            "parallel_writers_speedup": many / one}


def setup(url: str, count: int = WARMUP + REQUESTS
          ) -> tuple[register.World, dict[str, list[Call]]]:
    """Django on the bench database, the fill, and `count` calls a scenario (plans_for)."""
    register._setup_django(url)
    rng = random.Random(SEED)
    world = _fill(url, rng)
    return world, plans_for(url, world, rng, count)


def _written(url: str) -> dict[str, int]:
    """What the writes leave: cases, idempotency records, audit rows."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
        return {table: raw.execute(sql.SQL("SELECT count(*) FROM {}").format(
                    sql.Identifier(table))).fetchone()[0]
                for table in ("register_servicecase", "integrations_idempotencyrecord",
                              "audit_auditevent")}


def _check_written(before: dict[str, int], after: dict[str, int],
                   plans: dict[str, list[Call]]) -> None:
    """Every write answered made its case or event under its own idempotency record, and every
    write and case read its audit row (as before issue 21): a bench that got faster by
    leaving them out fails here. Raises RuntimeError."""
    created = len(plans["create_case"]) + len(plans["parallel_1"]) + len(plans["parallel_8"])
    writes = created + len(plans["add_status"])
    audited = writes + len(plans["get_case"])
    grown = {table: after[table] - before[table] for table in after}
    if grown["register_servicecase"] != created:
        raise RuntimeError(f"{grown['register_servicecase']} cases made, {created} answered 201")
    if grown["integrations_idempotencyrecord"] != writes:
        raise RuntimeError(f"{grown['integrations_idempotencyrecord']} idempotency records for "
                           f"{writes} writes")
    if grown["audit_auditevent"] < audited:
        raise RuntimeError(f"{grown['audit_auditevent']} audit rows for {audited} audited "
                           "requests")


def main() -> int:
    harness.stop_cleanly_on_signals()
    with durable_database_server(), harness.bench_database("durvis_bench_api") as url:
        world, plans = setup(url)
        options = harness.deployed_options()
        harness.note(f"gunicorn {' '.join(options)}")
        before = _written(url)
        with harness.server(url, options) as (port, process):
            pids = {"web": process.pid, "db": postmaster_pid(url)}
            figures = run_scenarios(port, pids, world.full_token, plans)
            figures.update(parallel_writers(port, world.full_token, plans))
        _check_written(before, _written(url), plans)
        for name, value in figures.items():
            harness.emit(f"api.{name}", value)
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
