"""The real worker process (`manage.py db_worker`) delivers what a committed change enqueued."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from durvis.core.actor import Actor
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage, OutboxStatus
from tests.integrations.test_outbox import Receiver, open_case

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as the worker process must see it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_worker_process_delivers_the_webhook(staff, institutions, catalogue, api_client_factory):
    hook = Receiver()
    try:
        admin = Actor(kind="staff", staff=staff["vsaa_admin"])
        integrations.register_webhook(admin, institutions["VSAA"], hook.url, ["case.registered"])
        open_case(api_client_factory("VDAA"))  # commits, which enqueues the delivery task
        env = {**os.environ, "DATABASE_URL": database_url(), "LOG_LEVEL": "WARNING"}
        subprocess.run([sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
                       cwd=ROOT, env=env, check=True, timeout=60)
        message = OutboxMessage.objects.get()
        assert message.status == OutboxStatus.DELIVERED
        assert len(hook.received) == 1
    finally:
        hook.close()
