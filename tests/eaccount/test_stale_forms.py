"""Lost updates across tabs (A2, C1, issue 12): a form of the profile left open in one tab and
sent after the same settings changed in another saves nothing; the page shows what is saved and
says which of the values sent differ from it (409). Each form carries the version it was opened
on (durvis.core.concurrency)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.identity.models import ContactConfirmation
from durvis.integrations.models import OutboxMessage
from durvis.messaging import queries as messaging_queries
from durvis.messaging import services as messaging

pytestmark = pytest.mark.django_db
CONTACTS = "/en/eaccount/profile/"
PREFERENCES = "/en/eaccount/profile/notifications/"
CHANGED_ELSEWHERE = "Not saved: this was changed elsewhere meanwhile"


def opened_version(page):
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def checkbox(page, name):
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def settings_form(version, **on):
    """What the settings form sends: the boxes ticked, English, and the version it carries."""
    return {**{name: "on" for name, ticked in on.items() if ticked}, "language": "en",
            "version": version}


def test_settings_saved_in_another_tab_are_not_turned_back_on(client_login, family):
    parent = family["parent"]
    tab_a, tab_b = client_login(parent), client_login(parent)  # one browser: one session
    page_a = tab_a.get(PREFERENCES).content.decode()
    version = opened_version(page_a)
    assert "checked" in checkbox(page_a, "status_changes-email")  # on by default

    # Tab B turns e-mails about status changes off.
    assert tab_b.post(PREFERENCES, settings_form(
        opened_version(tab_b.get(PREFERENCES).content.decode()),
        **{"results-email": True})).status_code == 302
    assert not messaging_queries.preferences(parent)[("status_changes", "email")]
    audited = AuditEvent.objects.filter(action="messaging.preference.set").count()

    # Tab A, still showing it on, saves another change (results by SMS).
    response = tab_a.post(PREFERENCES, settings_form(
        version, **{"status_changes-email": True, "results-email": True, "results-sms": True}))
    page = response.content.decode()
    assert response.status_code == 409 and CHANGED_ELSEWHERE in page
    start = page.index("It differs from what you sent in:")
    differ = page[start:page.index("</ul>", start)]
    assert "Status changes of my cases: E-mail" in differ and "Results of my cases: SMS" in differ
    assert "New messages" not in differ
    # Nothing was saved: the topic stays off, and the page shows it off, with the new version.
    assert not messaging_queries.preferences(parent)[("status_changes", "email")]
    assert not messaging_queries.preferences(parent)[("results", "sms")]
    assert AuditEvent.objects.filter(action="messaging.preference.set").count() == audited
    assert "checked" not in checkbox(page, "status_changes-email")
    assert opened_version(page) == str(messaging_queries.settings_version(parent))

    # Sent again from the page that now shows what is saved, it is saved.
    again = tab_a.post(PREFERENCES, settings_form(
        opened_version(page), **{"results-email": True, "results-sms": True}))
    assert again.status_code == 302
    assert messaging_queries.preferences(parent)[("results", "sms")]


def test_a_change_made_by_a_parent_or_any_service_makes_an_open_form_stale(client_login, family):
    child, parent = family["child"], family["parent"]
    client = client_login(child)
    version = opened_version(client.get(PREFERENCES).content.decode())
    messaging.set_preference(Actor(kind="person", person=parent), child, "messages", "sms", True)
    response = client.post(PREFERENCES, settings_form(version, **{"status_changes-email": True}))
    assert response.status_code == 409
    assert messaging_queries.preferences(child)[("messages", "sms")]
    messaging.set_language(Actor(kind="person", person=child), child, "lv")
    assert messaging_queries.settings_version(child) == int(version) + 2


def test_a_stale_form_that_sends_what_is_saved_anyway_is_simply_saved(client_login, family):
    parent = family["parent"]
    client = client_login(parent)
    version = opened_version(client.get(PREFERENCES).content.decode())
    messaging.set_language(Actor(kind="person", person=parent), parent, "en")
    saved = dict(messaging_queries.preferences(parent))
    form = settings_form(version, **{f"{topic}-{channel}": on
                                     for (topic, channel), on in saved.items()})
    response = client.post(PREFERENCES, form, follow=True)
    assert response.status_code == 200
    assert "notification settings were saved" in response.content.decode()
    assert messaging_queries.preferences(parent) == saved


def test_a_settings_form_without_its_version_saves_nothing(client_login, family):
    client = client_login(family["parent"])
    for version in ({}, {"version": "x"}, {"version": "-1"}):
        form = {"results-sms": "on", "language": "en", **version}
        response = client.post(PREFERENCES, form)
        page = response.content.decode()
        assert response.status_code == 422 and "This page is out of date" in page
        assert 'role="alert"' in page
    assert not AuditEvent.objects.filter(action="messaging.preference.set").exists()
    latvian = client.post(PREFERENCES.removeprefix("/en"), {"language": "en"})
    assert "Šī lapa ir novecojusi" in latvian.content.decode()


def test_an_e_mail_changed_in_another_tab_is_not_removed_by_a_stale_page(client_login, family):
    parent = family["parent"]
    client = client_login(parent)
    stale = opened_version(client.get(CONTACTS).content.decode())
    # In another tab the person confirms a new address.
    me = Actor(kind="person", person=parent)
    issued = messaging.request_contact_change(me, parent, "email", "jauna@example.lv",
                                              version=int(stale))
    code_sent = OutboxMessage.objects.get(recipient="jauna@example.lv").payload["body"]
    code = re.search(r"\b(\d{6})\b", code_sent).group(1)
    assert identity.confirm_contact_change(me, parent, "email", code).value == issued.value
    # The first tab, still showing the old address, removes "it".
    response = client.post(CONTACTS, {"action": "remove-email", "version": stale})
    page = response.content.decode()
    assert response.status_code == 409 and CHANGED_ELSEWHERE in page
    assert "jauna@example.lv" in page  # the page shows the contacts as they are
    parent.refresh_from_db()
    assert parent.email == "jauna@example.lv"
    assert not AuditEvent.objects.filter(action="identity.contact.removed").exists()
    # From the page that now shows it, it is removed.
    again = client.post(CONTACTS, {"action": "remove-email", "version": opened_version(page)})
    assert again.status_code == 302
    parent.refresh_from_db()
    assert parent.email == ""


def test_a_stale_page_asks_for_no_code(client_login, family):
    parent = family["parent"]
    client = client_login(parent)
    stale = opened_version(client.get(CONTACTS).content.decode())
    client.post(CONTACTS, {"action": "remove-email", "version": stale})  # "another tab"
    response = client.post(CONTACTS, {"action": "email", "email": "cita@example.lv",
                                      "version": stale})
    assert response.status_code == 409 and CHANGED_ELSEWHERE in response.content.decode()
    assert not ContactConfirmation.objects.exists()
    assert not OutboxMessage.objects.filter(recipient="cita@example.lv").exists()
    form = {"action": "remove-phone"}
    assert "This page is out of date" in client.post(CONTACTS, form).content.decode()


def test_the_resend_and_remove_forms_carry_the_version(client_login, family):
    client = client_login(family["parent"])
    client.post(CONTACTS, {"action": "email", "email": "jauna@example.lv", "version": "0"})
    for url in (CONTACTS, CONTACTS + "confirm/"):
        page = client.get(url).content.decode()
        forms = re.findall(r'<form method="post" action="/en/eaccount/profile/".*?</form>',
                           page, re.S)
        assert forms and all('name="version" value="0"' in form for form in forms), url


@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_at_once_save_one(client_login, family):
    """Two saves of forms opened on the same version, at the same moment: one is saved, the
    other is told (the conditional update holds the row until its transaction ends)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    session = client_login(family["parent"]).cookies
    barrier = threading.Barrier(2)

    def save(topic: str) -> int:
        tab = Client()
        tab.cookies = session
        try:
            barrier.wait(timeout=30)
            return tab.post(PREFERENCES, settings_form("0", **{f"{topic}-sms": True})).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(save, ["results", "messages"]))
    assert statuses == [302, 409]
    saved = messaging_queries.preferences(family["parent"])
    assert saved[("results", "sms")] != saved[("messages", "sms")]  # one of them, not both
    assert messaging_queries.settings_version(family["parent"]) == 1
