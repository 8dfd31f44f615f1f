"""Background work of the event mechanism, run by the worker (`manage.py db_worker`)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from durvis.core import events


@task()
def dispatch_events() -> int:
    """Run every delivery that is due; if some wait for a retry, come back when the first is
    due."""
    ran = 0
    while (count := events.dispatch_due()) > 0:
        ran += count
    due = events.next_due_at()
    if due is not None:
        dispatch_events.using(run_after=max(due, timezone.now())).enqueue()
    return ran
