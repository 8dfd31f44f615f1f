"""The wake-up tasks of before the worker's sources (issue 11) are gone: those still waiting
would only fail on import, so they are dropped (`run_due` is enqueued by the first scheduler
tick for whatever they were to do). Those left running are failed by the scheduler
(`DURVIS_WORKER_LOST_AFTER`)."""

from django.db import migrations

RETIRED = ["durvis.integrations.services.deliver_outbox", "durvis.core.events.dispatch_events"]


def drop_waiting(apps, schema_editor):
    task_result = apps.get_model("django_tasks_database", "DBTaskResult")
    task_result.objects.filter(task_path__in=RETIRED, status="READY").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_worker_processes"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(drop_waiting, migrations.RunPython.noop)]
