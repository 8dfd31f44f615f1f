"""The background worker (`manage.py run_worker`): what wakes it, what it runs, and how the work
of a worker that died is given to another, without stranding it and without running it twice.

- **Work lies in tables, not in the task queue.** Event deliveries and outbox messages are rows
  with a due time. Each app registers its kind of work as a `Source` (`SOURCES`): a function
  that does one round of what is due, one that says when the next item is due, and one that
  gives back the leases of dead workers. The one task, `run_due`, runs every source until
  nothing is due; it carries no data, it is only a wake-up.
- **Waking without flooding.** A commit that leaves work calls `wake()` after it commits
  (`transaction.on_commit(wake)`): a `run_due` task is enqueued unless one is already waiting
  to start, so a burst of commits is one task, not one per commit; inside a round (a handler
  writing outbox messages) nothing is enqueued, the round goes on by itself. `wake()` never
  raises: a failed wake-up is logged and the scheduler wakes the worker instead, so a request
  that committed is never answered with an error because of it.
- **The scheduler** runs in every worker process, at its start and then every
  `DURVIS_SCHEDULER_INTERVAL` seconds (`tick`): it records that the worker is alive, recovers
  dead workers (`recover`) and wakes the worker for anything due (a retry whose back-off ended,
  a lease given back). Due work is therefore picked up by time, not only by new commits.
- **Leases.** A worker leases rows before working on them: `leased_by` is its id and the due
  time moves to the lease's end. A worker is dead when its process is gone from this host, or
  when it has not been seen for `DURVIS_WORKER_DEAD_AFTER` seconds (another host): its leases
  are given back at once (due now) and its running task is marked failed ("worker lost"). A
  lease of a process that is not a registered worker (a test, a plain `db_worker`) ends by
  time. Work is finished only by the lease holder (a conditional update), so a worker that
  lost its lease cannot also finish the work another worker took over.
"""

from __future__ import annotations

import contextvars
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks import TaskResultStatus, task, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from durvis.core.models import WorkerProcess
from durvis.core.prepared import PreparedQuery
from durvis.core.registry import Registry

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """A kind of work the worker does: `run_due()` does one round of what is due and returns
    how many items it took (0: nothing is due); `next_due_at()` says when the earliest pending
    item is (or was) due; `release(worker_ids)` makes the items leased by those (dead) workers
    due now and returns how many."""

    key: str
    run_due: Callable[[], int]
    next_due_at: Callable[[], datetime | None]
    release: Callable[[Sequence[str]], int]


SOURCES: Registry[Source] = Registry("worker sources")

_in_round: contextvars.ContextVar[bool] = contextvars.ContextVar("durvis_worker_round",
                                                                 default=False)
_registered_id: str | None = None
_stopping = threading.Event()


def request_stop() -> None:
    """This process is asked to stop (SIGTERM, Ctrl-C): a round in progress ends after the item
    it is on, and leaves what is still due to the next round (any worker's)."""
    _stopping.set()


def worker_id() -> str:
    """This process's id in leases: the registered worker's (`register`), or host and pid."""
    return _registered_id or f"{socket.gethostname()[:40]}-{os.getpid()}"


# --- Waking the worker -------------------------------------------------------------------------

def wake() -> None:
    """Have a worker run what is due now: enqueue `run_due` unless one is waiting to start (or
    this is a round, which goes on by itself). Never raises: on failure (a database too busy to
    take the task) it logs, and the scheduler wakes the worker within its interval."""
    if _in_round.get():
        return
    try:
        _enqueue_unless_waiting()
    except Exception:
        log.warning("could not wake the worker; the scheduler will within %s s",
                    settings.DURVIS_SCHEDULER_INTERVAL, exc_info=True)


def _enqueue_unless_waiting() -> bool:
    backend = task_backends[run_due.backend]
    if isinstance(backend, DatabaseBackend) and _WAITING.first(
            backend.alias, run_due.module_path) is not None:
        return False
    run_due.enqueue()
    return True


# A `run_due` waiting to start (ready, never started; enqueued without a time, as `wake` does).
# Asked after every write's commit, so compiled once (`durvis.core.prepared`).
_WAITING = PreparedQuery(
    lambda backend, path: DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, run_after=get_date_max(), backend_name=backend,
        task_path=path).only("pk")[:1],
    "\x1fbackend", "\x1ftask")


@task()
def run_due() -> int:
    """The worker's one task: run every source until nothing is due, or for at most
    `DURVIS_WORKER_ROUND_SECONDS`, or until this process is asked to stop (`request_stop`;
    then another round is enqueued, which any worker may take). Returns how many items were
    taken."""
    taken, more = 0, False
    deadline = time.monotonic() + settings.DURVIS_WORKER_ROUND_SECONDS
    token = _in_round.set(True)
    try:
        while count := sum(source.run_due() for source in SOURCES):
            taken += count
            if time.monotonic() > deadline or _stopping.is_set():
                more = True
                break
    finally:
        _in_round.reset(token)
    if more:
        wake()
    return taken


# --- Worker processes and the scheduler --------------------------------------------------------

def register() -> str:
    """Record this process as a running worker; returns its id (also used in its leases)."""
    global _registered_id
    host = socket.gethostname()
    _registered_id = f"{host[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
    now = timezone.now()
    WorkerProcess.objects.create(worker_id=_registered_id, host=host, pid=os.getpid(),
                                 started_at=now, seen_at=now)
    return _registered_id


def deregister() -> None:
    """Remove this process's row when it stops cleanly (nothing of it is left to recover)."""
    if _registered_id is not None:
        WorkerProcess.objects.filter(pk=_registered_id).delete()


def tick() -> list[str]:
    """One round of the scheduler: this worker is alive, dead workers are recovered, and a
    worker is woken if anything is due. Returns the ids of the workers found dead."""
    now = timezone.now()
    if _registered_id is not None and not WorkerProcess.objects.filter(
            pk=_registered_id).update(seen_at=now):
        # Taken for dead after a long stall: what it held was given back; it goes on anew.
        log.warning("worker %s was taken for dead; registering again", _registered_id)
        WorkerProcess.objects.create(worker_id=_registered_id, host=socket.gethostname(),
                                     pid=os.getpid(), started_at=now, seen_at=now)
    dead = recover(now)
    now = timezone.now()  # what recovery gave back is due from now
    if any((due := source.next_due_at()) is not None and due <= now for source in SOURCES):
        _enqueue_unless_waiting()
    return dead


def recover(now: datetime | None = None) -> list[str]:
    """Give back what dead workers held: their leases (due now) and their running tasks
    (failed, "worker lost"); a task left running for `DURVIS_WORKER_LOST_AFTER` seconds by a
    process that is not a registered worker is failed alike. Returns the dead workers' ids."""
    now = now or timezone.now()
    dead = [w for w in WorkerProcess.objects.all() if _is_dead(w, now)]
    ids = [w.worker_id for w in dead]
    if ids:
        for source in SOURCES:
            source.release(ids)
        log.warning("workers stopped without finishing, their work given back: %s",
                    ", ".join(f"{w.worker_id} (pid {w.pid}, last seen "
                              f"{timezone.localtime(w.seen_at):%H:%M:%S})"
                              for w in dead))
    known = set(WorkerProcess.objects.exclude(pk__in=ids).values_list("pk", flat=True))
    lost_before = now - timedelta(seconds=settings.DURVIS_WORKER_LOST_AFTER)
    for result in DBTaskResult.objects.running():
        runner = result.worker_ids[-1] if result.worker_ids else ""
        if runner in ids or (runner not in known and result.started_at is not None
                             and result.started_at < lost_before):
            DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED, finished_at=now,
                exception_class_path=f"{__name__}.WorkerLost",
                traceback=f"worker {runner} stopped while running this task; the scheduler "
                          f"gave its work back")
    WorkerProcess.objects.filter(pk__in=ids).delete()
    return ids


class WorkerLost(Exception):
    """What a task run by a worker that died is marked failed with."""


def _is_dead(worker: WorkerProcess, now: datetime) -> bool:
    if worker.worker_id == _registered_id:
        return False
    if worker.seen_at < now - timedelta(seconds=settings.DURVIS_WORKER_DEAD_AFTER):
        return True
    return worker.host == socket.gethostname() and not _process_alive(worker.pid)


def _process_alive(pid: int) -> bool:
    """Whether a process of this host has this id and is not a zombie (exited, not yet reaped
    by its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


# --- Writing the outcome of work done outside the database -------------------------------------

def is_locked(error: OperationalError) -> bool:
    """Whether SQLite refused a write because another connection held the lock too long."""
    return "locked" in str(error).lower()


LOCKED_PATIENCE = 600.0


def retry_locked(write: Callable[[], T]) -> T:
    """Run `write` (a write in its own transaction) again while SQLite answers "database is
    locked", for up to `LOCKED_PATIENCE` seconds: the outcome of something already sent must
    not be lost to a busy database. Inside a transaction it runs once (a failed statement
    spoils the transaction; the caller's retry covers it)."""
    if connection.in_atomic_block:
        return write()
    deadline = time.monotonic() + LOCKED_PATIENCE
    pause = 0.05
    while True:
        try:
            return write()
        except OperationalError as error:
            if not is_locked(error) or time.monotonic() > deadline:
                raise
            log.warning("database locked; writing again in %.2f s", pause)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
