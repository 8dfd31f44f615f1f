"""The worker's wake-ups, scheduler and recovery (`durvis.core.worker`), in process: a burst of
commits is one task, a failed wake-up fails nothing, due work is woken for by time, and what a
dead worker held is given back at once and finished by one worker only."""

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from durvis.core import events, worker
from durvis.core.actor import SYSTEM
from durvis.core.models import DeliveryStatus, EventDelivery, WorkerProcess
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage, OutboxStatus

TAKEOVER = events.declare("test.takeover", publisher="tests", payload=(),
                          description="A test event whose delivery another worker takes over.")


@events.subscriber(TAKEOVER, "tests.taken_over")
def taken_over(batch):
    integrations.enqueue_notification("email", "a@example.lv", "test", "Subject", "Body")


def notify():
    with transaction.atomic():
        return integrations.enqueue_notification("email", "a@example.lv", "test", "S", "B")


def waiting_tasks():
    return DBTaskResult.objects.ready().filter(task_path=worker.run_due.module_path).count()


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_commits_is_one_task():
    for _ in range(10):
        notify()
    assert DBTaskResult.objects.count() == 1 and waiting_tasks() == 1
    assert worker.run_due.call() == 10 + 1  # and the activity log's first checkpoint
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 10
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)  # as the worker records it
    notify()
    assert waiting_tasks() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_wake_up_fails_nothing_and_the_scheduler_wakes_the_worker(monkeypatch, caplog):
    def locked():
        raise OperationalError("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(worker, "_enqueue_unless_waiting", locked)
        message = notify()  # committed, and no exception
    assert OutboxMessage.objects.filter(pk=message.pk).exists()
    assert waiting_tasks() == 0 and "could not wake the worker" in caplog.text
    worker.tick()
    assert waiting_tasks() == 1
    worker.tick()
    assert waiting_tasks() == 1


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_wakes_for_a_retry_once_it_is_due():
    message = notify()
    DBTaskResult.objects.all().delete()
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1))
    worker.tick()
    assert waiting_tasks() == 0
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    worker.tick()
    assert waiting_tasks() == 1


def dead_pid() -> int:
    """The id of a process of this host that has ended (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.django_db
def test_what_a_dead_worker_held_is_given_back_at_once():
    now = timezone.now()
    WorkerProcess.objects.create(worker_id="gone", host=socket.gethostname(), pid=dead_pid(),
                                 started_at=now, seen_at=now)
    WorkerProcess.objects.create(worker_id="silent", host="elsewhere", pid=1,
                                 started_at=now, seen_at=now - timedelta(minutes=5))
    WorkerProcess.objects.create(worker_id="alive", host="elsewhere", pid=1, started_at=now,
                                 seen_at=now)
    later = now + timedelta(minutes=10)
    held = {}
    for owner in ("gone", "silent", "alive"):
        message = notify()
        OutboxMessage.objects.filter(pk=message.pk).update(leased_by=owner, next_attempt_at=later)
        held[owner] = message.pk
    for owner in ("gone", "alive"):
        DBTaskResult.objects.create(task_path=worker.run_due.module_path, args_kwargs={},
                                    backend_name="default", run_after=now, started_at=now,
                                    status=TaskResultStatus.RUNNING, worker_ids=[owner])
    assert sorted(worker.recover()) == ["gone", "silent"]
    for owner, due in (("gone", True), ("silent", True), ("alive", False)):
        message = OutboxMessage.objects.get(pk=held[owner])
        assert (message.next_attempt_at <= timezone.now()) is due
        assert (message.leased_by == "") is due
    tasks = {t.worker_ids[0]: t for t in DBTaskResult.objects.all()}
    assert tasks["gone"].status == TaskResultStatus.FAILED
    assert tasks["gone"].exception_class_path == "durvis.core.worker.WorkerLost"
    assert tasks["alive"].status == TaskResultStatus.RUNNING
    assert list(WorkerProcess.objects.values_list("pk", flat=True)) == ["alive"]


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_wakes_a_worker_for_what_it_gave_back():
    message = notify()
    DBTaskResult.objects.all().delete()
    now = timezone.now()
    WorkerProcess.objects.create(worker_id="gone", host=socket.gethostname(), pid=dead_pid(),
                                 started_at=now, seen_at=now)
    OutboxMessage.objects.filter(pk=message.pk).update(
        leased_by="gone", next_attempt_at=now + timedelta(minutes=1))
    assert worker.tick() == ["gone"]
    assert waiting_tasks() == 1


@pytest.mark.django_db
def test_a_delivery_taken_over_by_another_worker_is_not_finished_twice(monkeypatch):
    run = events._run

    def taken_over_meanwhile(key, deliveries):
        """As if this worker had been taken for dead after it leased them."""
        EventDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            leased_by="other")
        return run(key, deliveries)

    monkeypatch.setattr(events, "_run", taken_over_meanwhile)
    events.publish(SYSTEM, TAKEOVER, [("takeover:1", {})])
    events.dispatch_due()
    delivery = EventDelivery.objects.get(subscriber="tests.taken_over")
    assert delivery.status == DeliveryStatus.PENDING and delivery.leased_by == "other"
    assert delivery.attempts == 0  # not a failure: the other worker runs it
    assert not OutboxMessage.objects.exists()  # the handler's writes were rolled back


@pytest.mark.django_db(transaction=True)
def test_a_round_asked_to_stop_ends_after_its_item_and_leaves_the_rest_due(monkeypatch):
    taken = []

    def one_more():
        taken.append(1)
        if len(taken) == 3:
            worker.request_stop()  # SIGTERM reached the worker while it ran the third item
        return 1  # there is always more

    monkeypatch.setattr(worker, "_stopping", type(worker._stopping)())
    monkeypatch.setattr(worker, "SOURCES", [worker.Source(
        key="endless", run_due=one_more, next_due_at=lambda: None, release=lambda ids: 0)])
    assert worker.run_due.call() == 3
    assert waiting_tasks() == 1  # the rest is another round, for any worker
