"""axe-core on the inbox pages (A2, C1), in Latvian and English: the inbox with an unread
conversation, the archive, a conversation with an attachment and an answer, the form to write
to an institution and that form sent back with its errors. No serious or critical violation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from durvis.core.actor import Actor
from durvis.integrations import services as integrations
from durvis.messaging import services as messaging
from tests.documents.samples import PDF
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import browser, page, sign_in_client  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def change_counter(transactional_db):
    """An earlier transactional test's flush empties the register's change counter, which only
    its migration creates (on SQLite); put the row back before any case is opened."""
    from durvis.register.models import ChangeCounter

    ChangeCounter.objects.get_or_create(pk=1)


@pytest.fixture
def conversation(family, staff, institutions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    api_client, _token = integrations.create_api_client(
        Actor(kind="staff", staff=staff["vsaa_admin"]), institutions["VSAA"], "Inbox",
        ["messages:write"], [])
    system = integrations.api_actor(api_client)
    parent = family["parent"]
    first = messaging.send_to_client(
        system, client=parent, institution=institutions["VSAA"], subject="Papildu informācija",
        body="Lūdzu iesniedziet izziņu.", case=family["own"],
        attachments=[("izzina.pdf", PDF, "application/pdf", "Izziņa")])
    messaging.reply(Actor(kind="person", person=parent), first, "Iesniegšu rīt.", client=parent)
    messaging.send_to_client(system, client=parent, institution=institutions["VSAA"],
                             subject="Otrā ziņa", body="Teksts.")
    return first.thread


def test_inbox_pages_have_no_serious_violation(live_server, family, conversation,
                                               page, sign_in_client):  # noqa: F811
    # Both languages in one test: a second database flush would lose the register's counter
    # row that its migration creates.
    sign_in_client(page, family["parent"])
    for language in ("lv", "en"):
        check_pages(live_server, family, conversation, page, language)


def check_pages(live_server, family, conversation, page, language):  # noqa: F811
    with translation.override(language):
        pages = [
            ("inbox", reverse("inbox:list"), "table"),
            ("archive", reverse("inbox:list") + "?show=archive", "table"),
            ("write", reverse("inbox:write") + f"?case={family['own'].number}", "form"),
            ("thread", reverse("inbox:thread", args=[conversation.pk]), "article"),
        ]
    for name, url, selector in pages:
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200, name
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator(selector).count() > 0, f"{name}: {selector} is missing"
        assert_accessible(page, f"{name} ({language})")
    page.goto(f"{live_server.url}{pages[2][1]}")
    page.locator("#id_case").select_option("")
    page.locator("#id_subject").fill("Jautājums")
    page.locator("#id_body").fill("Teksts")
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".errorlist").count() > 0
    assert_accessible(page, f"write with errors ({language})")
