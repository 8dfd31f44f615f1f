"""The SQL statements of each integration API request (issue 21, "The write path": count them
in a test that fails when they grow), every write with its `Idempotency-Key`.

Each route is asked once first (warm-up: what a process does once, such as the first token
check, is not a request's cost), then measured on a second, like request. The test runs in real
transactions (`transaction=True`), as requests do in production: an `atomic` block is then a
transaction (its BEGIN and COMMIT counted) and a nested one a SAVEPOINT.
An `executemany` counts as the statements it runs (one per row). When the code does fewer
statements, lower the pinned number here (one place, PINNED).
"""

import json
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .test_api import new_case, url

pytestmark = pytest.mark.django_db(transaction=True)

# Statements per request, measured on 2 December 2026 after issue 21's cuts (before them:
# whoami 2, create case 30/31, get case 9, an event 24/25; the second session's: create case
# 22/23, an event 18/19, no savepoint and no second read of the new case). A replayed key now costs 5, not 3:
# a key is claimed first (one INSERT), the rare replay reads the answer after the failed claim.
# Keys: route; values per database vendor (the backends differ: PostgreSQL's sync cursor and
# event feed read the transaction snapshot first; the change number and the events' insert are
# written differently).
PINNED: dict[str, dict[str, int]] = {
    "whoami": {"postgresql": 1, "sqlite": 1},
    "create_case": {"postgresql": 19, "sqlite": 20},
    "create_case_replayed": {"postgresql": 5, "sqlite": 5},
    "get_case": {"postgresql": 8, "sqlite": 8},
    "list_cases": {"postgresql": 9, "sqlite": 8},
    "post_event": {"postgresql": 16, "sqlite": 17},
    "post_events_1": {"postgresql": 16, "sqlite": 17},
    "post_events_10": {"postgresql": 16, "sqlite": 26},
    "post_result": {"postgresql": 18, "sqlite": 19},
    "acknowledge": {"postgresql": 15, "sqlite": 15},
    "create_consultation": {"postgresql": 13, "sqlite": 13},
    "events_feed": {"postgresql": 3, "sqlite": 2},
}


def _call(http, method, path, body=None, key=None, expect=(200, 201)):
    """One request; the statements it ran (as text). A status outside `expect` fails: a
    refused request is cheap and must never pass for a fast one."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key or str(uuid.uuid4())} if method == "post" else {}
    with CaptureQueriesContext(connection) as captured:
        if method == "post":
            response = http.post(f"/api/v1{path}", json.dumps(body),
                                 content_type="application/json", **headers)
        else:
            response = http.get(f"/api/v1{path}")
    assert response.status_code in expect, (path, response.status_code, response.content)
    return [q["sql"] for q in captured.captured_queries], response


def statements(captured):
    """How many statements: Django records an `executemany` once, as "N times: <sql>"."""
    return sum(int(m[1]) if (m := re.match(r"(\d+) times: ", sql)) else 1 for sql in captured)


def _status_event(day):
    return {"status": "in_progress", "occurred_at": f"2026-11-{day:02d}T10:00:00+02:00"}


@pytest.fixture
def measured(centre, api_client_factory, person):
    """Every route asked twice; the second request's statements by route."""
    counts: dict[str, list[str]] = {}
    vsaa = api_client_factory("VSAA", operations=["cases:read", "cases:write", "events:read"])
    _call(vsaa, "get", "/whoami")
    counts["whoami"], _ = _call(vsaa, "get", "/whoami")

    numbers = []

    def create(name=None):
        sql, response = _call(centre, "post", "/cases", new_case())
        numbers.append(response.json()["number"])
        if name:
            counts[name] = sql
        return sql, response

    create()
    create("create_case")
    key = str(uuid.uuid4())
    _call(centre, "post", "/cases", new_case(), key=key)
    counts["create_case_replayed"], _ = _call(centre, "post", "/cases", new_case(), key=key)
    for _ in range(12):
        create()

    for name, path in (("get_case", url(numbers[0])), ("list_cases", "/cases?since=0")):
        _call(vsaa, "get", path)
        counts[name], _ = _call(vsaa, "get", path)

    _call(vsaa, "post", f"{url(numbers[0])}/events", _status_event(21))
    counts["post_event"], _ = _call(vsaa, "post", f"{url(numbers[1])}/events", _status_event(21))

    def batch(cases, day):
        return {"events": [{"case_number": n, **_status_event(day)} for n in cases]}

    _call(vsaa, "post", "/case-events", batch(numbers[2:3], 22))
    counts["post_events_1"], _ = _call(vsaa, "post", "/case-events", batch(numbers[3:4], 22))
    counts["post_events_10"], response = _call(vsaa, "post", "/case-events",
                                               batch(numbers[4:14], 22))
    assert response.json()["recorded"] == 10, response.content

    result = {"occurred_at": "2026-11-25T10:00:00Z", "title": "Lēmums",
              "reference": "https://vsaa.example.lv/lemumi/123"}
    _call(vsaa, "post", f"{url(numbers[0])}/result", result)
    counts["post_result"], _ = _call(vsaa, "post", f"{url(numbers[1])}/result", result)

    _call(vsaa, "post", f"{url(numbers[0])}/acknowledge", {})
    counts["acknowledge"], _ = _call(vsaa, "post", f"{url(numbers[1])}/acknowledge", {})

    consultation = {"channel": "phone", "identification": "phone_only",
                    "client_phone": "+371 29123456", "outcome": "answered",
                    "occurred_at": "2026-11-21T10:00:00Z", "service_code": 1011,
                    "duration_seconds": 240}
    _call(centre, "post", "/consultations", consultation)
    counts["create_consultation"], _ = _call(centre, "post", "/consultations", consultation)

    _call(vsaa, "get", "/events")
    counts["events_feed"], _ = _call(vsaa, "get", "/events")
    return counts


def test_no_api_request_runs_more_statements_than_pinned(measured):
    vendor = connection.vendor
    report = {name: statements(sql) for name, sql in measured.items()}
    print(f"statements per request on {vendor}: {report}")
    assert set(report) == set(PINNED)
    grown = {name: f"{count} > {PINNED[name][vendor]}" for name, count in report.items()
             if count > PINNED[name][vendor]}
    details = "\n\n".join(f"{name}:\n  " + "\n  ".join(measured[name]) for name in grown)
    assert not grown, f"more SQL statements than pinned on {vendor}: {grown}\n\n{details}"

