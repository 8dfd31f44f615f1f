"""Two representatives of one company in Chromium (issue 12; A2, C1, A12): each sees their own
unread count, in the navigation and in the inbox; the one who may act only jointly reads but is
told why he cannot answer; the institution's employee sees who read its message when. Every
page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from durvis.identity import services as identity

from .axe import assert_accessible
from .test_eaccount_journey import call_api
from .test_responsive import _staff_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def change_counter(transactional_db):
    """An earlier transactional test's flush empties the register's change counter, which only
    its migration creates (on SQLite); put the row back before any case is opened."""
    from durvis.register.models import ChangeCounter

    ChangeCounter.objects.get_or_create(pk=1)


def messages_link(page):
    return page.get_by_role("navigation", name="E-konts").get_by_role("link", name="Ziņojumi")


def test_two_representatives_each_see_their_own_unread_count(
        live_server, family, joint_representative, browser, page, sign_in_client,
        api_client_factory, institutions, staff_login):
    case, company = family["companys"], family["company"]
    vid = api_client_factory("VID", operations=("messages:write", "messages:read"))
    for subject in ("PVN reģistrācija", "Papildu jautājums"):
        call_api(live_server, vid.token, "messages", {
            "case_number": case.number, "subject": subject, "body": "Lūdzu atbildiet."})

    role = f"company:{company.pk}"
    janis = page
    sign_in_client(janis, family["parent"], role=role)
    peteris = browser.new_context(locale="lv-LV", viewport={"width": 1280, "height": 900}
                                  ).new_page()
    sign_in_client(peteris, joint_representative, role=role)

    for reader in (janis, peteris):
        reader.goto(f"{live_server.url}/eaccount/")
        expect(messages_link(reader)).to_contain_text("2")
        expect(reader.locator(".big-number").nth(1)).to_have_text("2")

    # Jānis opens one conversation: one is left for him, both for Pēteris.
    messages_link(janis).click()
    expect(janis.get_by_role("status")).to_have_text("2 nelasīti ziņojumi")
    assert_accessible(janis, "inbox with the unread count")
    janis.get_by_role("link", name="PVN reģistrācija").click()
    expect(janis.locator("main")).to_contain_text("Lūdzu atbildiet.")
    messages_link(janis).click()
    expect(janis.get_by_role("status")).to_have_text("1 nelasīts ziņojums")
    expect(messages_link(janis)).to_contain_text("1")

    peteris.reload()
    expect(messages_link(peteris)).to_contain_text("2")
    messages_link(peteris).click()
    expect(peteris.get_by_role("status")).to_have_text("2 nelasīti ziņojumi")

    # Pēteris may act only jointly: he reads, and is told why he cannot answer.
    peteris.get_by_role("link", name="Papildu jautājums").click()
    answer = peteris.locator("section[aria-labelledby=reply-heading]")
    expect(answer).to_contain_text("tikai kopā ar citu pārstāvi")
    expect(answer.get_by_role("button", name="Nosūtīt atbildi")).to_have_count(0)
    assert_accessible(peteris, "conversation of a joint representative")
    messages_link(peteris).click()
    expect(peteris.get_by_role("status")).to_have_text("1 nelasīts ziņojums")
    janis.reload()
    expect(janis.get_by_role("status")).to_have_text("1 nelasīts ziņojums")
    peteris.context.close()

    # VID's employee sees who read which message when, on the case's page.
    employee = identity.record_staff(username="bo.vid", password="pw-long-enough-for-tests",
                                     institution=institutions["VID"], roles=["back_office"])
    staff_page = browser.new_context(locale="lv-LV").new_page()
    _staff_cookie(staff_page, live_server, staff_login, employee)
    staff_page.goto(f"{live_server.url}/staff/cases/{case.number.replace(' ', '-')}/")
    first = staff_page.locator("li.durvis-card").filter(has_text="PVN reģistrācija")
    expect(first).to_contain_text("Jānis Bērziņš (pārstāvis)")
    expect(first).not_to_contain_text("Pēteris Kalniņš")
    second = staff_page.locator("li.durvis-card").filter(has_text="Papildu jautājums")
    expect(second).to_contain_text("Pēteris Kalniņš (pārstāvis)")
    expect(second.locator("ul li").filter(has_text="Pēteris Kalniņš").locator("time")
           ).to_have_count(1)
    assert_accessible(staff_page, "staff case page with who read when")
    staff_page.context.close()
