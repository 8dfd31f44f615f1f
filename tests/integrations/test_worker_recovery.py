"""A worker killed in the middle of a delivery (`kill -9`, a real process) strands nothing and
repeats no citizen's message: after a restart every due message is delivered within the
scheduler's interval, and no task is left running (B9, C1)."""

import asyncio
import email
import email.policy
import http.server
import os
import signal
import threading

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from durvis.core.actor import Actor
from durvis.core.models import DeliveryStatus, EventDelivery, WorkerProcess
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxChannel, OutboxMessage, OutboxStatus
from durvis.register import services as register
from tests import processes

INTERVAL = 3.0  # the scheduler's, in the worker processes of these tests
CASES = 4


class Gate:
    """Holds the first delivery that reaches it until `open()`; says when one is held."""

    def __init__(self, armed: bool):
        self.armed, self.held, self.opened = armed, threading.Event(), threading.Event()

    def pass_through(self) -> None:
        if self.armed:
            self.armed = False
            self.held.set()
            self.opened.wait(60)

    def open(self) -> None:
        self.opened.set()


class Mailbox:
    """An SMTP server's storage: the Message-ID of every message it took (at the end of its
    DATA, as a mail server queues it, before it answers)."""

    def __init__(self, gate: Gate):
        self.gate, self.messages = gate, []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message["Message-ID"])
        await asyncio.get_running_loop().run_in_executor(None, self.gate.pass_through)
        return "250 Message accepted"


class Receiver:
    """A webhook endpoint on loopback: every call's Idempotency-Key, 204 to each."""

    def __init__(self, gate: Gate):
        self.keys = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                gate.pass_through()
                receiver.keys.append(self.headers["Idempotency-Key"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def platform(staff, institutions, catalogue, api_client_factory):
    """A citizen with cases opened by a centre; the holder's status changes wait for the
    worker: each is an e-mail to the citizen and a webhook to the centre."""
    person = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                    family_name="Bērziņš", email="janis@example.lv")
    centre = integrations.api_actor(api_client_factory("VDAA").api_client)
    holder = integrations.api_actor(api_client_factory("VSAA").api_client)
    cases = [register.open_case(centre, register.NewCase(
        service_code=1011, identification="signed_in", application_channel="eaccount",
        personal_code=person.personal_code)) for _ in range(CASES)]
    return institutions, cases, holder, Actor(kind="staff", staff=staff["platform"])


def start_worker(env):
    """A worker process; returns it once it has registered, with its registration time."""
    known = set(WorkerProcess.objects.values_list("pk", flat=True))
    process = processes.manage(env, "run_worker")
    row = processes.wait_for(
        lambda: WorkerProcess.objects.exclude(pk__in=known).filter(pid=process.pid).first(),
        120, what="the worker registered")
    return process, row


def everything_delivered():
    return (not EventDelivery.objects.exclude(status=DeliveryStatus.DONE).exists()
            and OutboxMessage.objects.exists()
            and not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists())


@pytest.mark.parametrize("in_flight", [OutboxChannel.EMAIL, OutboxChannel.WEBHOOK])
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_delivery_strands_nothing_and_repeats_no_e_mail(
        tmp_path, platform, in_flight):
    institutions, cases, holder, _ = platform
    smtp_gate, hook_gate = Gate(in_flight == OutboxChannel.EMAIL), Gate(
        in_flight == OutboxChannel.WEBHOOK)
    mailbox, receiver = Mailbox(smtp_gate), Receiver(hook_gate)
    controller = Controller(mailbox, hostname="127.0.0.1", port=processes.free_port())
    controller.start()
    admin = Actor(kind="staff", staff=identity.record_staff(
        username="admin.vdaa", password="pw-admin.vdaa-long-enough",
        institution=institutions["VDAA"], roles=["institution_admin"]))
    integrations.register_webhook(admin, institutions["VDAA"], receiver.url,
                                  ["case.status_changed"])
    for case in cases:
        register.record_status_events(holder, [register.StatusEvent(
            case.number, occurred_at=timezone.now(), status="in_progress")])
    env = processes.child_env(
        tmp_path, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port),
        DURVIS_SCHEDULER_INTERVAL=str(INTERVAL), DURVIS_WORKER_POLL_SECONDS="0.2")
    first = second = None
    try:
        first, killed = start_worker(env)
        gate = smtp_gate if in_flight == OutboxChannel.EMAIL else hook_gate
        assert gate.held.wait(120), "no delivery reached the receiving end"
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        gate.open()
        assert DBTaskResult.objects.running().exists()  # the killed worker's, stranded

        second, started = start_worker(env)
        processes.wait_for(everything_delivered, 60, what="everything delivered")
        last = max(OutboxMessage.objects.values_list("delivered_at", flat=True))
        assert (last - started.started_at).total_seconds() <= INTERVAL
        processes.wait_for(lambda: not DBTaskResult.objects.running().exists(), 30,
                           what="no task running")
        (lost,) = [t for t in DBTaskResult.objects.all() if killed.worker_id in t.worker_ids]
        assert lost.exception_class_path == "durvis.core.worker.WorkerLost"
        assert not WorkerProcess.objects.filter(pk=killed.pk).exists()
    finally:
        for process in (first, second):
            if process is not None:
                processes.stop(process)
        controller.stop()
        receiver.server.shutdown()
    sent = OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL)
    assert sent.count() == CASES
    assert len(mailbox.messages) == CASES
    for message in sent:  # each once
        assert sum(message.idempotency_key in mid for mid in mailbox.messages) == 1
    hooks = OutboxMessage.objects.filter(channel=OutboxChannel.WEBHOOK)
    assert set(receiver.keys) == {m.idempotency_key for m in hooks}  # a webhook may repeat
