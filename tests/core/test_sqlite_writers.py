"""SQLite as the embedded default must take concurrent writers as a server database does: they
wait for each other instead of failing with "database is locked", and no request that
committed is answered with an error (B9)."""

import datetime
import http.client
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.integrations import services as integrations
from durvis.register import services as register
from durvis.register.models import CaseEvent
from tests import processes

REQUESTS = 200
IN_FLIGHT = 20
EVENTS_PER_BATCH = 20
CASES = 40

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite default")


def batch(number: int, cases: list[str], start: datetime.datetime) -> dict:
    """Status events of many cases, each with its own id and time (after `start`, 10 ms
    apart), valid in any order."""
    events = []
    for i in range(EVENTS_PER_BATCH):
        n = number * EVENTS_PER_BATCH + i
        events.append({
            "case_number": cases[n % len(cases)], "event_id": f"E-{n}",
            "status": "in_progress" if n % 2 else "waiting_for_client",
            "occurred_at": (start + datetime.timedelta(milliseconds=10 * n)).isoformat()})
    return {"events": events}


def post(port: int, token: str, body: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/v1/case-events", json.dumps(body), {
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        text = response.read()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, {"raw": text[:300].decode(errors="replace")}
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_all_succeed_and_each_acknowledged_event_is_stored_once(
        tmp_path, staff, institutions, catalogue, api_client_factory):
    vsaa = api_client_factory("VSAA")
    system = integrations.api_actor(vsaa.api_client)
    cases = [register.open_case(system, register.NewCase(
        service_code=1011, identification="anonymous", application_channel="centre")).number
        for _ in range(CASES)]
    start = timezone.now() + datetime.timedelta(seconds=1)
    # A webhook of another institution, so that the worker writes and delivers while the
    # requests come in (it points nowhere: each attempt fails and is retried).
    admin = Actor(kind="staff", staff=staff["vid_admin"])
    integrations.register_webhook(admin, institutions["VID"], "http://127.0.0.1:9/hook",
                                  ["case.status_changed"])
    env = processes.child_env(tmp_path)
    worker = processes.manage(env, "run_worker")
    try:
        with processes.gunicorn(env, workers=2, threads=IN_FLIGHT // 2) as port, \
                ThreadPoolExecutor(IN_FLIGHT) as pool:
            answers = list(pool.map(lambda n: post(port, vsaa.token, batch(n, cases, start)),
                                    range(REQUESTS)))
    finally:
        processes.stop(worker)
    errors = [(status, body) for status, body in answers if status != 200]
    assert errors == []
    acknowledged = [f"E-{n * EVENTS_PER_BATCH + item['index']}"
                    for n, (_, body) in enumerate(answers) for item in body["items"]
                    if item["outcome"] == "recorded"]
    assert len(acknowledged) == REQUESTS * EVENTS_PER_BATCH
    stored = list(CaseEvent.objects.filter(dedup_key__startswith="id:")
                  .values_list("dedup_key", flat=True))
    assert sorted(stored) == sorted(f"id:{e}" for e in acknowledged)
