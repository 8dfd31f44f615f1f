"""The outbox and its worker (B9, C1): how fast messages leave, and what waking the worker costs.

- Delivery: 2,000 webhook messages waiting in the outbox are delivered by one worker process
  (`manage.py run_worker`, as deployed) to a receiver on loopback: `outbox.deliveries_per_s`,
  from the first delivery to the last; against the same number of signed POSTs sent straight
  to the same receiver by one thread of this process, in the same run:
  `outbox.deliveries_ratio_vs_raw`.
- Waking: 1,000 case registrations through the API (gunicorn, 20 requests in flight) with the
  worker running, each a commit that publishes an event the worker turns into webhook messages
  (one per batch of events it handles): task rows written per outbox message,
  `outbox.task_rows_per_message` (target <= 1.2), and per commit,
  `outbox.task_rows_per_commit`; the most tasks waiting at once, `outbox.ready_tasks_peak`.
  Before the worker's wake-ups were coalesced (issue 11), one task per commit and one more
  per round while anything was pending made 2.5 rows per message here, 986 waiting at once.
"""

from __future__ import annotations

import datetime
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

MESSAGES = int(os.environ.get("BENCH_OUTBOX_MESSAGES", "2000"))
REGISTRATIONS = int(os.environ.get("BENCH_OUTBOX_REGISTRATIONS", "1000"))
IN_FLIGHT = 20


class Receiver:
    """A webhook endpoint on loopback that takes every POST (204) and counts them."""

    def __init__(self) -> None:
        self.count = 0
        lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    receiver.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _setup_django(database_url: str) -> None:
    os.environ.update({k: v for k, v in harness.child_env(database_url).items()
                       if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "LOG_LEVEL")})
    sys.path.insert(0, str(harness.SRC))
    import django

    django.setup()


def _make_world(receiver: Receiver) -> tuple[int, str]:
    """Two institutions, a service of one provided by the other, the provider's API client and
    the holder's webhook at the receiver; returns the holder's id and the client's token."""
    from durvis.catalog.models import Stage
    from durvis.catalog.services import import_delegations, import_service
    from durvis.core.actor import Actor
    from durvis.identity.services import record_institution, record_staff
    from durvis.integrations.services import create_api_client, register_webhook

    holder = record_institution(code="VSAA", names={"lv": "VSAA", "en": "VSAA"}, kind="state")
    provider = record_institution(code="VDAA", names={"lv": "VDAA", "en": "VDAA"}, kind="state")
    service, _ = import_service(1011, holder, {"name_lv": "Pabalsts", "name_en": "Benefit",
                                               "audience": "residents", "status": "published",
                                               "application_channels": ["centre"],
                                               "result_channels": ["eaccount"]}, {})
    import_delegations(service, {provider: Stage.values}, since=datetime.date(2020, 1, 1))

    def admin(institution: Any) -> Actor:
        return Actor(kind="staff", staff=record_staff(
            username=f"bench.{institution.code.lower()}", password="bench-password-not-secret",
            institution=institution, roles=["institution_admin"]))

    register_webhook(admin(holder), holder, receiver.url, ["case.registered"])
    _, token = create_api_client(admin(provider), provider, "centre", ["cases:write"])
    return holder.pk, token


def _raw_posts(url: str, count: int) -> float:
    """Signed POSTs per second sent straight to the receiver by one thread, as the worker
    sends a webhook (the same body size, signature and opener)."""
    from durvis.integrations.services import sign

    body = json.dumps({"id": "0" * 32, "event": "case.registered",
                       "data": {"items": [{"case_number": "1011 00001"}]}}).encode()
    started = time.perf_counter()
    for _ in range(count):
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Idempotency-Key": "0" * 32,
            "Durvis-Signature": sign("secret", int(time.time()), body)})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    return count / (time.perf_counter() - started)


def _worker(database_url: str) -> subprocess.Popen[bytes]:
    """A worker process, once registered."""
    from durvis.core.models import WorkerProcess

    process = subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=harness.ROOT,
                               env=harness.child_env(database_url))
    deadline = time.monotonic() + 120
    while not WorkerProcess.objects.filter(pid=process.pid).exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the worker did not start")
        time.sleep(0.1)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_delivered(expected: int, timeout: float = 600) -> None:
    from durvis.integrations.models import OutboxMessage, OutboxStatus

    deadline = time.monotonic() + timeout
    while OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() < expected:
        if time.monotonic() > deadline:
            raise RuntimeError("the outbox was not delivered in time")
        time.sleep(0.2)


def _delivery(database_url: str, holder_id: int, receiver: Receiver) -> tuple[float, float]:
    """Deliveries per second of a backlog by one worker process, and raw POSTs per second."""
    from django.db import transaction
    from django.db.models import Max, Min

    from durvis.integrations.models import OutboxMessage
    from durvis.integrations.services import emit

    with transaction.atomic():
        for n in range(MESSAGES):
            emit("case.registered", [holder_id], [{"case_number": f"1011 {n:05d}"}])
    worker = _worker(database_url)
    try:
        _wait_delivered(MESSAGES)
    finally:
        _stop(worker)
    span = OutboxMessage.objects.aggregate(first=Min("delivered_at"), last=Max("delivered_at"))
    rate = (MESSAGES - 1) / (span["last"] - span["first"]).total_seconds()
    raw = _raw_posts(receiver.url, MESSAGES)
    OutboxMessage.objects.all().delete()
    return rate, raw


def _register(port: int, token: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = json.dumps({"service_code": 1011, "identification": "anonymous",
                       "application_channel": "centre"})
    connection.request("POST", "/api/v1/cases", body, {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"POST /api/v1/cases: HTTP {response.status}: {answer[:300]!r}")


def _waking(database_url: str, token: str) -> tuple[float, float, int]:
    """Task rows per outbox message and per commit written while registrations come in, and
    the most tasks waiting at once."""
    from django_tasks_db.models import DBTaskResult

    from durvis.core.events import next_due_at
    from durvis.integrations.models import OutboxMessage, OutboxStatus

    DBTaskResult.objects.all().delete()
    peak = 0
    worker = _worker(database_url)
    try:
        with harness.gunicorn(database_url, workers=4) as port, \
                ThreadPoolExecutor(IN_FLIGHT) as pool:
            done = pool.map(lambda _: _register(port, token), range(REGISTRATIONS))
            sampler = threading.Event()

            def sample() -> None:
                nonlocal peak
                from django.db import connection

                while not sampler.wait(0.05):
                    peak = max(peak, DBTaskResult.objects.ready().count())
                connection.close()

            thread = threading.Thread(target=sample, daemon=True)
            thread.start()
            list(done)
            deadline = time.monotonic() + 300
            while next_due_at() is not None or OutboxMessage.objects.filter(
                    status=OutboxStatus.PENDING).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("the worker did not finish")
                time.sleep(0.2)
            sampler.set()
            thread.join()
    finally:
        _stop(worker)
    messages = OutboxMessage.objects.count()
    rows = DBTaskResult.objects.count()
    harness.note(f"{REGISTRATIONS} registrations: {messages} outbox messages, {rows} task rows")
    return rows / messages, rows / REGISTRATIONS, peak


def main() -> int:
    harness.stop_cleanly_on_signals()
    receiver = Receiver()
    with harness.bench_database("durvis_bench_outbox") as url:
        _setup_django(url)
        holder_id, token = _make_world(receiver)
        rate, raw = _delivery(url, holder_id, receiver)
        rows_per_message, rows_per_commit, peak = _waking(url, token)
        harness.emit("outbox.deliveries_per_s", rate)
        harness.emit("outbox.raw_posts_per_s", raw)
        harness.emit("outbox.deliveries_ratio_vs_raw", rate / raw)
        harness.emit("outbox.task_rows_per_message", rows_per_message)
        harness.emit("outbox.task_rows_per_commit", rows_per_commit)
        harness.emit("outbox.ready_tasks_peak", peak)
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
