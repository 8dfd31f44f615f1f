"""The event feed (B9, issue 20): `GET /api/v1/events?after=` at 1,000,000 events.

The feed table holds `BENCH_EVENTS` events (1,000,000 by default) of four institutions, written
by 200 transactions (so their positions carry 200 transaction ids, as the forwarding worker's
rounds do). One institution's system, with the `events:read` scope, reads pages of 100 events
after cursors taken at random among its events, and from the beginning, over HTTP (gunicorn):
`events.feed_p95_ms`; against the trivial authenticated call `/api/v1/whoami` in the same run,
alternating: `events.feed_ratio_vs_whoami` (target <= 3). Each page is 100 CloudEvents built
with the CloudEvents SDK.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

EVENTS = int(os.environ.get("BENCH_EVENTS", "1000000"))
WRITERS = 200
REQUESTS = int(os.environ.get("BENCH_EVENTS_REQUESTS", "300"))
WARM_UP = 30
INSTITUTIONS = ("VSAA", "VID", "RIGA", "VDAA")


def _setup_django(database_url: str) -> None:
    os.environ.update({k: v for k, v in harness.child_env(database_url).items()
                       if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "LOG_LEVEL")})
    sys.path.insert(0, str(harness.SRC))
    import django

    django.setup()


def _make_world() -> tuple[list[int], str]:
    """The institutions and the first one's API client (scope `events:read`); returns the
    institutions' ids and the client's token."""
    from durvis.core.actor import Actor
    from durvis.identity.services import record_institution, record_staff
    from durvis.integrations.services import create_api_client

    institutions = [record_institution(code=code, names={"lv": code, "en": code}, kind="state")
                    for code in INSTITUTIONS]
    admin = Actor(kind="staff", staff=record_staff(
        username="bench.admin", password="bench-password-not-secret",
        institution=institutions[0], roles=["institution_admin"]))
    _, token = create_api_client(admin, institutions[0], "feed reader", ["events:read"])
    return [i.pk for i in institutions], token


def _fill(institution_ids: list[int]) -> float:
    """EVENTS feed rows in WRITERS transactions, each stamped with its transaction's id as the
    forwarding handler stamps them; returns the seconds it took."""
    from django.db import connection, transaction

    started = time.perf_counter()
    per_writer = EVENTS // WRITERS
    item = {"case_number": "1011 13", "service_code": 1011, "status": "in_progress",
            "holder_status": "", "status_at": "2026-11-21T10:00:00+00:00",
            "holder_reference": "VSAA-2026-1", "change_seq": 1}
    for writer in range(WRITERS):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO integrations_feedevent (institution_id, event_id, type, subject, "
                "service_code, time, data, change_xid) "
                "SELECT (%s::bigint[])[1 + (n %% %s)], n, 'case.status_changed', "
                "'1011 ' || n, 1011, now(), %s::jsonb, pg_current_xact_id()::text::bigint "
                "FROM generate_series(%s::bigint, %s::bigint) AS n",
                [institution_ids, len(institution_ids), json.dumps(item),
                 writer * per_writer + 1, (writer + 1) * per_writer])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE integrations_feedevent")
    return time.perf_counter() - started


def _timed_get(connection: http.client.HTTPConnection, path: str, token: str) -> float:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:300]!r}")
    if path.startswith("/api/v1/events") and len(json.loads(body)["events"]) != 100:
        raise RuntimeError(f"GET {path}: not a full page")
    return elapsed


def _cursors(institution_id: int, count: int, rng: random.Random) -> list[str]:
    """Positions of the institution's events taken at random (not among its last 100), and the
    beginning."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT change_xid, id FROM integrations_feedevent TABLESAMPLE SYSTEM (1) "
            "WHERE institution_id = %s AND id < %s LIMIT %s",
            [institution_id, EVENTS - 1000, count * 2])
        rows = cursor.fetchall()
    rng.shuffle(rows)
    return ["0"] + [f"{xid}.{pk}" for xid, pk in rows[:count - 1]]


def _measure(port: int, token: str, cursors: list[str]) -> tuple[list[float], list[float]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    feed, whoami = [], []
    for n, cursor in enumerate(cursors):
        a = _timed_get(connection, f"/api/v1/events?after={cursor}&limit=100", token)
        b = _timed_get(connection, "/api/v1/whoami", token)
        if n >= WARM_UP:
            feed.append(a)
            whoami.append(b)
    connection.close()
    return feed, whoami


def main() -> int:
    harness.stop_cleanly_on_signals()
    rng = random.Random(20)
    with harness.bench_database("durvis_bench_events") as url:
        _setup_django(url)
        institution_ids, token = _make_world()
        harness.note(f"wrote {EVENTS} feed events in {_fill(institution_ids):.0f} s")
        cursors = _cursors(institution_ids[0], REQUESTS + WARM_UP, rng)
        from django.db import connections

        connections.close_all()
        with harness.gunicorn(url) as port:
            feed, whoami = _measure(port, token, cursors)
        p95 = harness.percentile(feed, 0.95)
        harness.emit("events.feed_p95_ms", p95)
        harness.emit("events.feed_p50_ms", harness.percentile(feed, 0.5))
        harness.emit("events.whoami_p95_ms", harness.percentile(whoami, 0.95))
        harness.emit("events.feed_ratio_vs_whoami", p95 / harness.percentile(whoami, 0.95))
        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
