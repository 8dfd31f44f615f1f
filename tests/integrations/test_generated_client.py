"""A new integrator's journey through a client generated from the served schema (issue 20):
`openapi-python-client` (a pinned dev dependency) generates a Python package from
`/api/v1/openapi.json` of a live server into a temporary folder, the test imports it from there,
and every call of the journey goes through it: no hand-written HTTP. The journey: anonymous,
phone-only and identified cases, a status, a batch with a rejected item, a result, reads and the
change list, a consultation, a message with an attachment, and the event feed."""

import base64
import datetime
import importlib
import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from durvis.core.events import dispatch_due
from durvis.identity import services as identity

pytestmark = pytest.mark.django_db(transaction=True)

VENV_BIN = Path(sys.executable).parent
PACKAGE = "durvis_api_client"


@pytest.fixture
def generated(live_server, tmp_path):
    """The client package generated from the live server's schema into a temporary folder
    (`--meta none`: the folder is the package, pure Python, nothing to build) and imported from
    there."""
    schema = tmp_path / "openapi.json"
    schema.write_bytes(httpx.get(f"{live_server.url}/api/v1/openapi.json").content)
    folder = tmp_path / "site"
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([str(VENV_BIN / "openapi-python-client"), "generate", "--path", str(schema),
                    "--output-path", str(folder / PACKAGE), "--meta", "none"],
                   check=True, env=env, cwd=tmp_path, capture_output=True, timeout=300)
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(client_package, name):
    return importlib.import_module(f"{client_package.__name__}.{name}")


def value(choice):
    """A choice as the generated client gives it: an enum member or a literal string."""
    return getattr(choice, "value", choice)


def ok(response, status=HTTPStatus.OK):
    assert response.status_code == status, response.content
    assert response.parsed is not None
    return response.parsed


def test_the_integration_journey_through_a_generated_client(generated, live_server, catalogue,
                                                            api_client_factory):
    api, models = module(generated, "api"), module(generated, "models")
    register = importlib.import_module(f"{generated.__name__}.api.register")
    person = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                    family_name="Bērziņš")
    scopes = ("cases:read", "cases:write", "consultations:write", "messages:write",
              "messages:read", "events:read")
    centre_token = api_client_factory("VDAA", operations=scopes).token
    holder_token = api_client_factory("VSAA", operations=scopes).token
    centre = generated.AuthenticatedClient(base_url=live_server.url, token=centre_token)
    holder = generated.AuthenticatedClient(base_url=live_server.url, token=holder_token)

    whoami = importlib.import_module(f"{api.__name__}.integration.who_am_i")
    me = ok(whoami.sync_detailed(client=holder))
    assert me.institution == "VSAA" and "events:read" in me.operations

    create_case = importlib.import_module(f"{register.__name__}.create_case")

    def new_case(identification, **fields):
        body = models.CaseIn(service_code=1011,
                             identification=models.IdentificationLevel(identification),
                             application_channel=models.RegisterChannel(
                                 fields.pop("channel", "centre")), **fields)
        return ok(create_case.sync_detailed(client=centre, body=body), HTTPStatus.CREATED)

    identified = new_case("identified_by_agent", personal_code=person.personal_code,
                          acted_by=models.ActedBy("agent"))
    anonymous = new_case("anonymous")
    phone = new_case("phone_only", client_phone="+371 29123456", channel="phone")
    assert value(identified.client.kind) == "person"
    assert value(anonymous.client.kind) == "anonymous"
    assert value(phone.client.kind) == "phone" and phone.client.phone

    def path(number):
        return number.replace(" ", "-")

    now = timezone.now()
    post_event = importlib.import_module(f"{register.__name__}.post_case_event")
    posted = ok(post_event.sync_detailed(path(phone.number), client=holder, body=models.StatusEventIn(
        occurred_at=now, status=models.StatusEventInStatus("in_progress"), event_id="E-1")),
        HTTPStatus.CREATED)
    assert value(posted.outcome) == "recorded"

    post_events = importlib.import_module(f"{register.__name__}.post_case_events")
    batch = ok(post_events.sync_detailed(client=holder, body=models.BatchIn(events=[
        models.BatchEventIn(case_number=anonymous.number, occurred_at=now,
                            status=models.BatchEventInStatus("in_progress"), event_id="B-1"),
        models.BatchEventIn(case_number="1011 99", occurred_at=now,
                            status=models.BatchEventInStatus("in_progress"), event_id="B-2"),
    ])))
    assert (batch.recorded, batch.rejected) == (1, 1)
    assert [value(item.outcome) for item in batch.items] == ["recorded", "rejected"]
    assert batch.items[1].errors

    post_result = importlib.import_module(f"{register.__name__}.post_case_result")
    ok(post_result.sync_detailed(path(identified.number), client=holder, body=models.ResultIn(
        occurred_at=now, title="Lēmums", reference="L-1")), HTTPStatus.CREATED)

    get_case = importlib.import_module(f"{register.__name__}.get_case")
    for case in (identified, anonymous, phone):
        read = ok(get_case.sync_detailed(path(case.number), client=holder))
        assert read.number == case.number and read.history
    list_cases = importlib.import_module(f"{register.__name__}.list_cases")
    listed = ok(list_cases.sync_detailed(client=holder, since="0", limit=100))
    assert {c.number for c in listed.items} == {identified.number, anonymous.number, phone.number}
    assert {value(c.client.kind) for c in listed.items} == {"person", "anonymous", "phone"}

    consultation = importlib.import_module(f"{register.__name__}.create_consultation")
    talked = ok(consultation.sync_detailed(client=centre, body=models.ConsultationIn(
        channel=models.RegisterChannel("phone"), identification=models.IdentificationLevel(
            "phone_only"), client_phone="+371 29123456",
        outcome=models.ConsultationOutcome("answered"), occurred_at=now, service_code=1011)),
        HTTPStatus.CREATED)
    assert value(talked.outcome) == "answered"

    messages = importlib.import_module(f"{api.__name__}.messages")
    send = importlib.import_module(f"{messages.__name__}.send_message")
    sent = ok(send.sync_detailed(client=holder, body=models.MessageIn(
        personal_code=person.personal_code, subject="Jūsu iesniegums", body="Lūdzam izziņu.",
        case_number=identified.number, attachments=[models.AttachmentIn(
            name="izzina.txt", content_type="text/plain", title="Izziņas paraugs",
            content=base64.b64encode(b"Teksts").decode())])), HTTPStatus.CREATED)
    get_message = importlib.import_module(f"{messages.__name__}.get_message")
    assert [a.file_name for a in sent.attachments] == ["izzina.txt"]
    message = ok(get_message.sync_detailed(sent.id, client=holder))
    assert [a.file_name for a in message.attachments] == ["izzina.txt"]
    replies = importlib.import_module(f"{messages.__name__}.list_replies")
    assert ok(replies.sync_detailed(client=holder)).items == []

    dispatch_due()  # the worker's round: the events reach the webhooks and the feed
    feed = importlib.import_module(f"{api.__name__}.integration.list_events")
    events, after = [], "0"
    while True:
        page = ok(feed.sync_detailed(client=holder, after=after, limit=2))
        if not page.events:
            break
        events += page.events
        after = page.next_after
    types = [(e.to_dict()["type"], e.to_dict().get("subject")) for e in events]
    assert ("lv.durvis.case.registered", identified.number) in types
    assert ("lv.durvis.case.registered", phone.number) in types
    assert all(e.specversion == "1.0" for e in events)
    assert datetime.datetime.fromisoformat(events[0].time.replace("Z", "+00:00"))
