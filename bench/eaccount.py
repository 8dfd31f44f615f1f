"""The e-account's history page at scale (A2, C3): one client's 500 cases among 1,000,000.

Reuses the register bench's world (250 services of one holder, 100,000 clients, cases filled by
COPY) and adds one client with exactly 500 cases and 40 consultations spread over services of
four holders, two providers, every channel and status and two years, and a signed-in client
with nothing in the register. At 100,000 and then 1,000,000 cases it measures, through gunicorn
with signed-in database sessions (the session cookie of a `SessionStore` row):

- `eaccount.history_p95_ms`: GET /eaccount/history/ (first page, no filter), server-side time
  as `RequestLogMiddleware` logs it (`duration_ms`: sessions, role, view, template, audit row);
- `eaccount.history_p95_ratio`: against /healthz, the trivial page of the same server and
  middleware stack, measured the same way (target <= 4);
- `eaccount.history_p95_ratio_vs_empty`: against the same page for a signed-in client with no
  case (the trivial signed-in e-account page: session, role, layout, audit, no data);
- `eaccount.filtered_*` (status and period), `eaccount.page2_*` (second page);
- `eaccount.*_rtt_p95_ms`: the same requests' round trips on a keep-alive loopback connection;
- `eaccount.history_p95_growth`: p95 at the largest size over p95 at the smallest.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
import register

SEED = 20261204
SIZES = tuple(int(s) for s in os.environ.get("BENCH_EACCOUNT_SIZES", "100000,1000000").split(","))
SAMPLES = int(os.environ.get("BENCH_EACCOUNT_SAMPLES", "250"))
WARM_UP = 30
CLIENT_CASES = 500
CLIENT_CONSULTATIONS = 40
CONSULTATIONS_PER_CASE = 0.1  # other clients' consultations, per case filled
SERVICES_PER_HOLDER = 12  # services of each extra holder
CLIENT_VSAA_SERVICES = 40  # of the world's 250, the ones the client used
DAYS = 730  # the client's history spans two years from register.EPOCH
STATUS_WEIGHTS = {"received": 3, "registered": 3, "in_progress": 8, "waiting_for_client": 2,
                  "decided": 4, "result_delivered": 10, "closed": 12, "rejected": 2,
                  "withdrawn": 1}
CHANNELS = ["eaccount", "centre", "phone", "email", "post", "back_office"]
OUTCOMES = ["answered", "routed", "case_opened"]
FILTER = {"status": "in_progress", "date_from": "2025-01-01", "date_to": "2025-06-30"}
EXTRA_HOLDERS = {
    "VID": ("Valsts ieņēmumu dienests", "State Revenue Service"),
    "PMLP": ("Pilsonības un migrācijas lietu pārvalde", "Office of Citizenship and Migration "
             "Affairs"),
    "NVA": ("Nodarbinātības valsts aģentūra", "State Employment Agency"),
}


@dataclass
class Client:
    """The measured client, the signed-in client with nothing, and the client's services as
    (service id, holder id)."""

    person_id: int
    empty_person_id: int
    services: list[tuple[int, int]] = field(default_factory=list)


def _make_client(world: register.World) -> Client:
    """Three more holders with their services, and the two persons, through the platform's
    services."""
    from durvis.catalog.services import import_service
    from durvis.identity.services import record_institution, record_person

    services = [(pk, world.holder_id) for pk in world.service_ids[:CLIENT_VSAA_SERVICES]]
    code = 5000
    for short, (name_lv, name_en) in EXTRA_HOLDERS.items():
        holder = record_institution(code=short, names={"lv": name_lv, "en": name_en},
                                    kind="state")
        for n in range(SERVICES_PER_HOLDER):
            service, _ = import_service(
                code, holder,
                {"name_lv": f"{short} pakalpojums Nr. {n}", "name_en": f"{short} service {n}",
                 "audience": "residents", "status": "published",
                 "application_channels": ["eaccount", "centre"],
                 "result_channels": ["eaccount"]},
                {})
            world.service_codes[service.pk] = service.code
            world.next_sequence[service.pk] = 0
            services.append((service.pk, holder.pk))
            code += 1
    person = record_person(personal_code=register._personal_code(register.CLIENTS + 1),
                           given_name="Anna", family_name="Kalniņa")
    empty = record_person(personal_code=register._personal_code(register.CLIENTS + 2),
                          given_name="Pēteris", family_name="Ozols")
    return Client(person.pk, empty.pk, services)


def _fill_client(cursor: Any, world: register.World, client: Client, rng: random.Random) -> None:
    """COPY the client's 500 cases (with their first history rows) and 40 consultations, some
    of them rated."""
    from durvis.core.case_numbers import format_case_number

    first_id = harness.reserve_ids(cursor, "register_servicecase", CLIENT_CASES)
    cursor.execute("SELECT nextval('register_change_seq')")
    change = cursor.fetchone()[0]
    now = datetime.datetime.now(datetime.UTC)
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    with cursor.copy(
        "COPY register_servicecase (id, number, service_id, sequence, client_person_id, "
        "identification, client_phone, acted_by, mandate_reference, application_channel, "
        "result_channel, provider_id, service_point, holder_id, holder_reference, status, "
        "holder_status, status_at, payment_status, applied_at, created_at, updated_at, "
        "change_seq) FROM STDIN"
    ) as copy:
        applied_times = []
        for n in range(CLIENT_CASES):
            service_id, holder_id = rng.choice(client.services)
            world.next_sequence[service_id] += 1
            sequence = world.next_sequence[service_id]
            applied = register.EPOCH + datetime.timedelta(seconds=rng.randrange(DAYS * 86400))
            applied_times.append(applied)
            provider = rng.choice([holder_id, world.provider_id])
            copy.write_row((
                first_id + n, format_case_number(world.service_codes[service_id], sequence),
                service_id, sequence, client.person_id, "signed_in", "", "client", "",
                rng.choice(CHANNELS), rng.choice(["eaccount", "post", "centre", ""]), provider,
                "", holder_id, f"REF-{n}", rng.choices(statuses, weights)[0], "",
                applied + datetime.timedelta(days=rng.randrange(1, 40)), "", applied, now, now,
                change + n))
    with cursor.copy(
        "COPY register_caseevent (case_id, kind, status, holder_status, occurred_at, "
        "recorded_at, actor_kind, actor_id, actor_institution, note, data, dedup_key) FROM STDIN"
    ) as copy:
        for n, applied in enumerate(applied_times):
            copy.write_row((first_id + n, "status", "received", "", applied, applied, "person",
                            "", "", "", "{}", "opened"))
    cursor.execute("SELECT setval('register_change_seq', %s)", [change + CLIENT_CASES])
    consultation_ids = _copy_consultations(cursor, [
        (client.person_id, rng.choice(client.services),
         register.EPOCH + datetime.timedelta(seconds=rng.randrange(DAYS * 86400)))
        for _ in range(CLIENT_CONSULTATIONS)], world, rng)
    with cursor.copy("COPY register_feedback (consultation_id, rating, comment, given_at) "
                     "FROM STDIN") as copy:
        for pk in consultation_ids[::4]:
            copy.write_row((pk, rng.randint(1, 5), "", now))
    world.cases += CLIENT_CASES


def _copy_consultations(cursor: Any, rows: list[tuple[int, tuple[int, int], datetime.datetime]],
                        world: register.World, rng: random.Random) -> list[int]:
    """COPY consultations (person, (service, holder), when); returns their ids."""
    first_id = harness.reserve_ids(cursor, "register_consultation", len(rows))
    now = datetime.datetime.now(datetime.UTC)
    with cursor.copy(
        "COPY register_consultation (id, service_id, topic, channel, client_person_id, "
        "identification, client_phone, agent_reference, provider_id, duration_seconds, "
        "outcome, occurred_at, recorded_at) FROM STDIN"
    ) as copy:
        for n, (person, (service_id, holder_id), at) in enumerate(rows):
            copy.write_row((first_id + n, service_id, "", rng.choice(CHANNELS[:4]), person,
                            "signed_in", "", "", rng.choice([holder_id, world.provider_id]),
                            rng.randrange(60, 1800), rng.choice(OUTCOMES), at, now))
    return [first_id + n for n in range(len(rows))]


def _fill_others(cursor: Any, world: register.World, rng: random.Random, first_person: int,
                 size: int) -> None:
    """Other clients' cases up to `size` in all (the register bench's fill) and their
    consultations, one per ten cases."""
    count = size - world.cases
    register._fill_cases(cursor, world, rng, first_person, count)
    _copy_consultations(cursor, [
        (first_person + rng.randrange(register.CLIENTS), (rng.choice(world.service_ids),
                                                          world.holder_id),
         register.EPOCH + datetime.timedelta(seconds=rng.randrange(DAYS * 86400)))
        for _ in range(int(count * CONSULTATIONS_PER_CASE))], world, rng)


def _signed_in_cookie(person_id: int) -> str:
    """A database session of a person signed in to the e-account, as the national sign-in
    leaves it (person id and the session clocks); returns the Cookie header."""
    from django.conf import settings

    from durvis.identity.sessions import PERSON_KEY, mark_signed_in

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[PERSON_KEY] = person_id
    mark_signed_in(session)
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    cookie: str | None
    expect: str  # a text the answer must hold (the right client, the right page)


def _pages(client: Client) -> list[Page]:
    cookie, empty = _signed_in_cookie(client.person_id), _signed_in_cookie(client.empty_person_id)
    query = "&".join(f"{k}={v}" for k, v in FILTER.items())
    return [
        Page("history", "/eaccount/history/", cookie, 'rel="next"'),
        Page("filtered", f"/eaccount/history/?{query}", cookie, 'role="status"'),
        Page("page2", "/eaccount/history/?page=2", cookie, 'rel="prev"'),
        Page("empty_history", "/eaccount/history/", empty, 'role="status"'),
        Page("healthz", "/healthz", None, '"ok"'),
    ]


def _get(connection: http.client.HTTPConnection, page: Page) -> float:
    """One GET on the kept-alive connection; its round trip in ms."""
    headers = {"Cookie": page.cookie} if page.cookie else {}
    started = time.perf_counter()
    connection.request("GET", page.path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200 or page.expect.encode() not in body:
        raise RuntimeError(f"GET {page.path}: HTTP {response.status}: {body[:300]!r}")
    return elapsed


def _server_times(log: Path, sent: list[Page]) -> dict[str, list[float]]:
    """The `duration_ms` of the request log's last len(sent) lines, matched to the requests
    in the order they were sent (one worker serves them one after another)."""
    lines = [json.loads(line) for line in log.read_text().splitlines()
             if line.startswith("{") and '"durvis.request"' in line]
    lines = lines[-len(sent):]
    times: dict[str, list[float]] = {}
    for page, line in zip(sent, lines, strict=True):
        if line["path"] != page.path.partition("?")[0]:
            raise RuntimeError(f"request log out of step: {line['path']} for {page.path}")
        times.setdefault(page.name, []).append(float(line["duration_ms"]))
    return times


def _measure(url: str, client: Client) -> dict[str, float]:
    """Every page in turn, WARM_UP rounds then SAMPLES rounds; the figures of the samples."""
    pages = _pages(client)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "requests.jsonl"
        with harness.gunicorn(url, request_log=log) as port:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(WARM_UP):
                for page in pages:
                    _get(connection, page)
            round_trips: dict[str, list[float]] = {page.name: [] for page in pages}
            for _ in range(SAMPLES):
                for page in pages:
                    round_trips[page.name].append(_get(connection, page))
            connection.close()
            server = _server_times(log, pages * SAMPLES)
    p = harness.percentile
    figures: dict[str, float] = {}
    for name in ("history", "filtered", "page2", "empty_history", "healthz"):
        figures[f"{name}_p95_ms"] = p(server[name], 0.95)
        figures[f"{name}_rtt_p95_ms"] = p(round_trips[name], 0.95)
    figures["history_p50_ms"] = p(server["history"], 0.5)
    for name in ("history", "filtered", "page2"):
        figures[f"{name}_p95_ratio"] = figures[f"{name}_p95_ms"] / figures["healthz_p95_ms"]
        figures[f"{name}_p95_ratio_vs_empty"] = (figures[f"{name}_p95_ms"]
                                                 / figures["empty_history_p95_ms"])
    figures["history_rtt_p95_ratio"] = (figures["history_rtt_p95_ms"]
                                        / figures["healthz_rtt_p95_ms"])
    return figures


def main() -> int:
    harness.stop_cleanly_on_signals()
    rng = random.Random(SEED)
    with harness.bench_database("durvis_bench_eaccount") as url:
        register._setup_django(url)
        import psycopg

        world = register._make_world()
        client = _make_client(world)
        connect_url = url.replace("postgres://", "postgresql://", 1)
        with psycopg.connect(connect_url) as raw:
            cursor = raw.cursor()
            first_person = register._fill_persons(cursor)
            _fill_client(cursor, world, client, rng)
            raw.commit()
        by_size: dict[int, dict[str, float]] = {}
        for size in SIZES:
            started = time.perf_counter()
            with psycopg.connect(connect_url) as raw:
                _fill_others(raw.cursor(), world, rng, first_person, size)
                raw.commit()
                raw.autocommit = True
                raw.execute("VACUUM ANALYZE")
            harness.note(f"filled to {size} cases in {time.perf_counter() - started:.0f} s")
            started = time.perf_counter()
            by_size[size] = _measure(url, client)
            harness.note(f"measured at {size} cases in {time.perf_counter() - started:.0f} s")
            harness.report("eaccount", size, by_size[size], headline=size == SIZES[-1])
        if len(SIZES) > 1:
            harness.emit("eaccount.history_p95_growth", by_size[SIZES[-1]]["history_p95_ms"]
                         / by_size[SIZES[0]]["history_p95_ms"])
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
