"""The real worker process (`manage.py db_worker`) delivers what a committed change enqueued."""

import os
import subprocess
import sys

import pytest

from durvis.core.actor import Actor
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage, OutboxStatus
from tests.integrations.test_outbox import Receiver, open_case
from tests.processes import ROOT, database_url


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
