"""`manage.py create_api_client` gives an operator an API token without the browser (issue 10's
operator item): printed once on the last line, working at once, audited."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from durvis.audit.models import AuditEvent
from durvis.integrations.models import ApiClient
from durvis.integrations.rules import SCOPES


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_client", *args, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1]


def test_the_token_works_and_has_every_scope_by_default(institutions):
    token = run("--institution", "VSAA", "--name", "Back office")
    whoami = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/whoami").json()
    assert whoami["institution"] == "VSAA" and whoami["operations"] == sorted(SCOPES.keys())
    client = ApiClient.objects.get()
    assert token not in client.token_hash
    assert AuditEvent.objects.filter(action="integrations.api_client.create",
                                     actor_kind="operator").exists()


def test_chosen_operations(institutions):
    token = run("--institution", "VID", "--name", "Sync", "--operations", "cases:read")
    whoami = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/whoami").json()
    assert whoami["operations"] == ["cases:read"]


@pytest.mark.parametrize("args, message", [
    (["--institution", "NOPE", "--name", "x"], "no institution"),
    (["--institution", "VSAA", "--name", " "], "1 to 100"),
    (["--institution", "VSAA", "--name", "x" * 101], "1 to 100"),
    (["--institution", "VSAA", "--name", "x", "--operations", "cases:delete"], "Choose"),
])
def test_bad_arguments_create_nothing(institutions, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_api_client", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiClient.objects.exists()
