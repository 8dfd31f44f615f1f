"""`manage.py run_worker`: a background worker with its scheduler (`durvis.core.worker`).

It runs django-tasks' database worker (the tasks enqueued by `wake`) under a registered worker
id, and beside it, in a thread, the scheduler: at start (before the first task: the work of a
worker that died is given back at once) and then every `DURVIS_SCHEDULER_INTERVAL` seconds.
Run as many as the load needs, on any hosts; stop one with SIGTERM or Ctrl-C (it finishes the
item it is on, leaves the rest of its round to the next worker, and removes its registration). A
stop that comes while it starts waits until it can stop cleanly: the signals are held until the
task worker's handlers are in place.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from durvis.core import worker

log = logging.getLogger("durvis.core.worker")


class Command(BaseCommand):
    help = "Run a background worker and its scheduler (recovers dead workers, wakes for due work)."

    def handle(self, *args: Any, **options: Any) -> None:
        stops = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)  # the scheduler thread keeps them held
        worker_id = worker.register()
        stopped = threading.Event()
        try:
            worker.tick()
            scheduler = threading.Thread(target=_schedule, args=(stopped,), daemon=True,
                                         name="durvis-scheduler")
            scheduler.start()
            tasks = Worker(queue_names=[DEFAULT_TASK_QUEUE_NAME],
                           interval=settings.DURVIS_WORKER_POLL_SECONDS, batch=False,
                           backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False,
                           max_tasks=None, worker_id=worker_id, excluded_queue_names=[])
            _configure_signals(tasks)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
            log.info("worker %s started", worker_id)
            tasks.run()
        finally:
            stopped.set()
            worker.deregister()


def _configure_signals(tasks: Worker) -> None:
    """The task worker's own handlers (finish the task, then stop; a second signal ends at
    once), and the round's (`worker.request_stop`: end the round after the item it is on)."""
    tasks.configure_signals()

    def stop(signum: int, frame: FrameType | None) -> None:
        worker.request_stop()
        tasks.shutdown(signum, frame)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)


def _schedule(stopped: threading.Event) -> None:
    """The scheduler's loop; a failed tick (the database away for a while) is logged and the
    next one comes at its time."""
    try:
        while not stopped.wait(settings.DURVIS_SCHEDULER_INTERVAL):
            try:
                worker.tick()
            except Exception:
                log.exception("scheduler tick failed")
    finally:
        connection.close()
