"""The front office's journey in Chromium (issue 16; B2, B3, B4, B7, A2): an agent of a
client-service centre signs in with the second factor, finds a client by phone number and
verifies them, states the purpose, registers a consultation — all with the keyboard alone —
and registers an application with the assistant; the centre's workflow routes it to the
holder's back-office team, where a specialist hands it to a colleague, who decides it. A
second case passes its time under a controlled clock and is escalated to the team's lead. The
client sees the case decided in the e-account and the agent's view of their profile, with its
purpose, in "who used my data". Every workplace page on the way passes axe-core."""

from __future__ import annotations

import datetime

import pytest

from durvis.catalog.models import Service
from durvis.identity import services as identity
from durvis.identity.models import Person
from durvis.workflows import services as workflows
from durvis.workflows.models import Task
from tests.eforms.journey import PDF, publish_form
from tests.workflows.test_workflows import publish, register_case, world  # noqa: F401

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = "+37129123456"
POINT = "Rīgas VPVKAC (Pils iela)"  # a point of the register (the `centres` fixture)


def _as_staff(browser, live_server, staff_login, member):
    """A fresh browser context signed in as `member` (both sign-in steps done by the test
    client: the typed sign-in has its own step at the journey's start)."""
    from django.conf import settings
    from django.test import Client

    context = browser.new_context(locale="lv-LV", viewport={"width": 1280, "height": 900})
    client = staff_login(Client(), member)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    return context, context.new_page()


def _keyboard_sign_in(page, live_server, member, password):
    device = identity.record_totp_device(member, _hex())
    page.goto(f"{live_server.url}/staff/login/?next=/staff/clients/")
    page.locator("#id_username").focus()
    page.keyboard.type(member.user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.locator("#id_otp_token").wait_for()
    page.keyboard.type(identity.current_totp_code(device))
    page.keyboard.press("Enter")


def _hex():
    from django_otp.util import random_hex

    return random_hex(identity.TOTP_KEY_BYTES)


def _find_and_verify(page, person):
    """Search by the caller's number, verify with the profile's questions, state the purpose:
    keys only (focus moves by Tab from a field the page puts the caret in)."""
    from playwright.sync_api import expect

    page.locator("#id_q").focus()
    page.keyboard.type("29123456")
    page.keyboard.press("Enter")
    verify = page.locator(f'a[href$="/staff/clients/{person.pk}/verify/"]')
    expect(verify).to_be_visible()
    assert_accessible(page, "the search's answer")
    verify.focus()
    page.keyboard.press("Enter")
    page.locator("#id_given_name").focus()
    page.keyboard.type("Jānis")
    page.locator("#id_date_of_birth").focus()
    page.keyboard.type("14.03.1986")
    page.keyboard.press("Enter")
    expect(page.locator("#id_service")).to_be_visible()
    assert_accessible(page, "the purpose form")
    page.locator("#id_service").focus()
    page.keyboard.press("1")  # the select jumps to the option starting "1011 …"
    page.locator("#id_basis_0").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Jānis Bērziņš")
    assert_accessible(page, "the client's overview")


def _consultation(page):
    from playwright.sync_api import expect

    link = page.get_by_role("link", name="Reģistrēt konsultāciju ar šo klientu")
    link.focus()
    page.keyboard.press("Enter")
    page.locator("#id_service").wait_for()
    assert_accessible(page, "the consultation form")
    page.locator("#id_service").focus()
    page.keyboard.press("1")
    for radio in ("#id_channel_0", "#id_who_0", "#id_outcome_0"):
        page.locator(radio).focus()
        page.keyboard.press("Space")
    page.locator("#id_outcome_0").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Konsultācija")


def _apply_with_the_assistant(page, live_server, tmp_path):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/staff/assistant/services/1011/")
    page.locator("#f-personal_code").fill("140386-12043")
    page.locator("#f-document_kind").check()
    page.locator("#f-document_number").fill("PA1234567")
    page.locator("#f-service_point").select_option(POINT)
    page.get_by_role("button", name="Sākt pieteikumu").click()
    page.locator("#f-resident").check()
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    page.locator("#f-iban").fill("LV80 BANK 0000 4351 9500 1")
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    summary = page.locator("#print-summary").get_attribute("href")
    assert page.request.get(live_server.url + summary).ok  # printed for the client to sign
    scan = tmp_path / "parakstits.pdf"
    scan.write_bytes(PDF)
    page.locator("#f-scan").set_input_files(str(scan))
    page.get_by_role("button", name="Pievienot skenējumu").click()
    expect(page.locator("#scan-attached")).to_contain_text("parakstits.pdf")
    page.locator("#f-signed").check()
    page.get_by_role("button", name="Apstiprināt iesniegšanu").click()
    expect(page.locator("#case-number")).to_be_visible()
    return page.locator("#case-number").inner_text()


def _open_task(page, live_server, number):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/staff/tasks/")
    page.get_by_role("link", name=number).first.click()
    expect(page.locator("h1")).to_contain_text(number)
    assert_accessible(page, f"the task of {number}")


def _take_and_move(page, exit_label):
    from playwright.sync_api import expect

    page.get_by_role("button", name="Paņemt uzdevumu").click()
    page.get_by_label(exit_label).check()
    page.get_by_role("button", name="Nodot tālāk").click()
    expect(page.locator(".govuk-notification-banner")).to_be_visible()


def test_an_agent_routes_an_application_the_back_office_decides_and_the_client_sees_it(
        live_server, browser, page, staff_login, sign_in_client, world, worker,  # noqa: F811
        institutions, tmp_path, centres):
    from playwright.sync_api import expect

    publish(world)
    service = world["service"]
    publish_form(institutions, service, _small_form())
    Service.objects.filter(pk=service.pk).update(assistant_allowed=True)
    person = identity.record_person(personal_code="14038612043", given_name="Jānis",
                                    family_name="Bērziņš")
    Person.objects.filter(pk=person.pk).update(phone=PHONE,
                                               date_of_birth=datetime.date(1986, 3, 14))
    agent = world["agent"].staff
    agent.user.first_name, agent.user.last_name = "Inese", "Rozenberga"
    agent.user.save()

    # The agent, keyboard only: sign in with the second factor, find, verify, consult.
    _keyboard_sign_in(page, live_server, agent, "pw-agent.centre-long-enough")
    expect(page.locator("#id_q")).to_be_visible()
    _find_and_verify(page, person)
    _consultation(page)

    # The application, registered at the counter, starts on the centre's workflow.
    number = _apply_with_the_assistant(page, live_server, tmp_path)
    worker.events()
    _open_task(page, live_server, number)
    _take_and_move(page, "Nodot izskatīšanai")

    # The holder's back office: the reviewer hands it to a colleague, who decides it.
    context, reviewer = _as_staff(browser, live_server, staff_login, world["reviewer"].staff)
    _open_task(reviewer, live_server, number)
    reviewer.get_by_role("button", name="Paņemt uzdevumu").click()
    reviewer.locator("#id_hand-to").select_option(str(world["colleague"].staff.pk))
    reviewer.locator("#id_hand-comment").fill("Lūdzu izskatīt, esmu atvaļinājumā")
    reviewer.get_by_role("button", name="Nodot", exact=True).click()
    expect(reviewer.locator(".govuk-notification-banner")).to_be_visible()
    context.close()
    context, colleague = _as_staff(browser, live_server, staff_login, world["colleague"].staff)
    colleague.goto(f"{live_server.url}/staff/tasks/")
    expect(colleague.locator("main")).to_contain_text(number)  # in "my tasks" now
    colleague.get_by_role("link", name=number).first.click()
    expect(colleague.locator("main")).to_contain_text("Lūdzu izskatīt, esmu atvaļinājumā")
    colleague.get_by_label("Lemt").check()
    colleague.get_by_role("button", name="Nodot tālāk").click()
    expect(colleague.locator(".govuk-notification-banner")).to_be_visible()
    context.close()

    # A second case passes its time: the scheduler's scan, under a controlled clock,
    # escalates it, and the team's lead sees it among the tasks escalated to them.
    late = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=late))
    review = workflows.move(world["agent"], task, 0)
    workflows.escalate_due(now=review.resolution_due + datetime.timedelta(minutes=1))
    review.refresh_from_db()
    assert review.escalated_at is not None and review.warned_at is not None
    context, lead = _as_staff(browser, live_server, staff_login, world["lead"].staff)
    lead.goto(f"{live_server.url}/staff/tasks/")
    expect(lead.locator("#escalated")).to_be_visible()  # listed for the lead, marked
    row = lead.locator("#escalated + table tr", has_text=late.number)
    expect(row).to_contain_text("Eskalēts")
    assert_accessible(lead, "the lead's queue with an escalated task")
    context.close()

    # The client: the case decided, and the agent's look at their profile with its purpose.
    context = browser.new_context(locale="lv-LV", viewport={"width": 1280, "height": 900})
    mine = context.new_page()
    sign_in_client(mine, person)
    mine.goto(f"{live_server.url}/eaccount/cases/{number.replace(' ', '%20')}/")
    expect(mine.locator("main")).to_contain_text("Lēmums pieņemts")
    mine.goto(f"{live_server.url}/eaccount/data-use/")
    expect(mine.locator("main")).to_contain_text(service.name_lv)
    assert_accessible(mine, "who used my data")
    context.close()


def _small_form():
    from tests.eforms.test_assistant import small_form

    return small_form()
