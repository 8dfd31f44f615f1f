"""Background work of the integration layer, run by the worker (`manage.py db_worker`)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from durvis.integrations import services


@task()
def deliver_outbox() -> int:
    """Deliver everything due; if messages wait for a retry, come back when the first is due."""
    delivered = 0
    while (count := services.deliver_due()) > 0:
        delivered += count
    due = services.next_due_at()
    if due is not None:
        deliver_outbox.using(run_after=max(due, timezone.now())).enqueue()
    return delivered
