"""Two tabs of one browser in Chromium (A2, C1, issue 12): the role lives in the session, which
both tabs share.

- A message opened as oneself in one tab, the role switched to the company in the other, sent
  from the first: refused with an explanation on the page (which role the form was opened in,
  which is active now, how to go on), nothing sent for anybody; switched back from that page,
  the message goes out as oneself.
- Notification settings left open in one tab, a topic turned off in the other, the first tab
  saved: nothing is turned back on, and the page shows the saved settings and what differs.

Both pages pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from durvis.messaging import queries as messaging_queries
from durvis.messaging.models import Thread

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_form_opened_in_one_role_is_not_sent_after_a_switch_in_another_tab(
        live_server, family, institutions, page, sign_in_client):
    parent, company = family["parent"], family["company"]
    sign_in_client(page, parent)
    writing = page  # the first tab: a new message, as oneself
    writing.goto(f"{live_server.url}/eaccount/messages/new/")
    expect(writing.locator(".role-bar")).to_contain_text("Savā vārdā (Jānis Bērziņš)")
    writing.get_by_label("Vai iestādei").select_option(str(institutions["VSAA"].pk))
    writing.get_by_label("Tēma").fill("Jautājums par pabalstu")
    writing.get_by_label("Teksts").fill("Kad būs lēmums?")

    other = page.context.new_page()  # the second tab: switch to the company
    other.goto(f"{live_server.url}/eaccount/")
    other.get_by_label("Darboties citā lomā").select_option(f"company:{company.pk}")
    other.get_by_role("button", name="Pārslēgt").click()
    expect(other.locator(".role-bar")).to_contain_text("Uzņēmums SIA Zaļā Pļava")

    writing.get_by_role("button", name="Nosūtīt").click()
    expect(writing.get_by_role("heading", level=1)).to_have_text("Nav nosūtīts: loma tika mainīta")
    alert = writing.get_by_role("alert")
    expect(alert).to_contain_text("Nekas netika nosūtīts vai saglabāts")
    expect(alert).to_contain_text("lomā “Savā vārdā (Jānis Bērziņš)”")
    expect(alert).to_contain_text("nomainīta uz “Uzņēmums SIA Zaļā Pļava”")
    assert not Thread.objects.exists()
    assert_accessible(writing, "the refusal of a form opened in another role")

    # Switched back from the refusal, the person is on the form again, as themself.
    writing.get_by_role("button", name="Pārslēgties atpakaļ uz “Savā vārdā (Jānis Bērziņš)”"
                        ).click()
    expect(writing).to_have_url(f"{live_server.url}/eaccount/messages/new/")
    expect(writing.locator(".role-bar")).to_contain_text("Savā vārdā (Jānis Bērziņš)")
    writing.get_by_label("Vai iestādei").select_option(str(institutions["VSAA"].pk))
    writing.get_by_label("Tēma").fill("Jautājums par pabalstu")
    writing.get_by_label("Teksts").fill("Kad būs lēmums?")
    writing.get_by_role("button", name="Nosūtīt").click()
    expect(writing.get_by_role("status")).to_contain_text("Jūsu ziņojums nosūtīts")
    thread = Thread.objects.get()
    assert (thread.client_person, thread.client_company) == (parent, None)


def test_settings_turned_off_in_one_tab_are_not_turned_back_on_from_another(
        live_server, family, page, sign_in_client):
    parent = family["parent"]
    sign_in_client(page, parent)
    url = f"{live_server.url}/eaccount/profile/notifications/"
    first = page
    first.goto(url)
    second = page.context.new_page()
    second.goto(url)

    row = "Manu lietu statusa izmaiņas"
    second.locator("tbody tr").filter(has_text=row).locator("input[type=checkbox]").first.uncheck()
    second.get_by_role("button", name="Saglabāt").click()
    expect(second.get_by_role("status")).to_be_visible()
    assert not messaging_queries.preferences(parent)[("status_changes", "email")]

    # The first tab still shows the topic on; the person ticks SMS for it and saves.
    topic = first.locator("tbody tr").filter(has_text=row).locator("input[type=checkbox]")
    expect(topic.first).to_be_checked()
    topic.last.check()
    first.get_by_role("button", name="Saglabāt").click()
    alert = first.get_by_role("alert")
    expect(alert).to_contain_text("Nav saglabāts: tikmēr tas tika mainīts citur")
    expect(alert).to_contain_text("Manu lietu statusa izmaiņas: E-pasts")
    expect(topic.first).not_to_be_checked()  # the page shows what is saved
    assert not messaging_queries.preferences(parent)[("status_changes", "email")]
    assert not messaging_queries.preferences(parent)[("status_changes", "sms")]
    assert_accessible(first, "notification settings changed in another tab")
