"""The e-service assistant in Chromium (A3, issue 15): an agent of a client-service centre
identifies a client who is present, fills in the application, prints the summary, is refused
confirming before the signed scan is attached, attaches it, confirms; the client then sees the
case in the e-account marked "submitted by <agent> at <service point> on the basis of the signed
authorisation", and the month's originals list names the case. Every new page has no axe-core
violation, in Latvian and English, and none scrolls sideways at 375 px."""

from __future__ import annotations

import pytest

from tests.eforms.journey import PDF, publish_form

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POINT = "Rīgas VPVKAC (Pils iela)"  # a point of the register (the `centres` fixture)


def _clean(page, where):
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        assert_accessible(page, f"{where} at {width} px")
        assert_no_sideways_scroll(page, f"{where}")
    page.set_viewport_size({"width": 1280, "height": 900})


def _staff_session(page, live_server, member):
    from conftest import sign_in_staff
    from django.conf import settings
    from django.test import Client

    http = sign_in_staff(Client(), member)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": http.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])


def test_an_agent_submits_with_a_scanned_signature_and_the_client_sees_it(
        live_server, family, institutions, catalogue, staff, sign_in_client, browser, page,
        tmp_path, centres):
    from playwright.sync_api import expect

    from durvis.catalog.models import Service
    from tests.eforms.test_assistant import small_form

    service = catalogue["childbirth"]
    publish_form(institutions, service, small_form())
    Service.objects.filter(pk=service.pk).update(assistant_allowed=True)
    member = staff["agent"]
    member.user.first_name, member.user.last_name = "Inese", "Rozenberga"
    member.user.save()
    _staff_session(page, live_server, member)

    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="E-pakalpojumu asistents").first.click()
    _clean(page, "assistant home (lv)")
    page.get_by_role("link", name="1011 Bērna piedzimšanas pabalsts").click()
    _clean(page, "identify the client (lv)")
    page.locator("#f-personal_code").fill("010101-10006")  # nobody has it
    page.locator("#f-document_kind").check()
    page.locator("#f-document_number").fill("PA1234567")
    page.locator("#f-service_point").select_option(POINT)
    page.get_by_role("button", name="Sākt pieteikumu").click()
    expect(page.locator("#f-personal_code-error")).to_be_visible()
    assert_accessible(page, "identify with an error (lv)")
    page.locator("#f-personal_code").fill("140386-12043")
    page.get_by_role("button", name="Sākt pieteikumu").click()

    expect(page.locator("#f-name")).to_have_value("Jānis Bērziņš")  # the client's record
    _clean(page, "assisted form page (lv)")
    form_url = page.url
    page.goto(form_url.replace(live_server.url, f"{live_server.url}/en"))
    _clean(page, "assisted form page (en)")
    page.goto(form_url)
    page.locator("#f-resident").check()
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    page.locator("#f-iban").fill("LV80 BANK 0000 4351 9500 1")
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    expect(page.locator("h1")).to_have_text("Pārbaudiet atbildes kopā ar klientu")
    _clean(page, "check with the client (lv)")
    check_url = page.url
    page.goto(check_url.replace(live_server.url, f"{live_server.url}/en"))
    _clean(page, "check with the client (en)")
    page.goto(check_url)

    # The summary prints as a PDF.
    summary = page.request.get(live_server.url + page.locator("#print-summary").get_attribute("href"))
    assert summary.ok and summary.headers["content-type"] == "application/pdf"

    # Confirming before the signed scan is attached is refused: nothing submitted.
    page.locator("#f-signed").check()
    page.get_by_role("button", name="Apstiprināt iesniegšanu").click()
    expect(page.locator(".govuk-error-summary a[href='#f-scan']")).to_be_visible()
    assert_accessible(page, "confirm refused without the scan (lv)")

    scan = tmp_path / "parakstits.pdf"
    scan.write_bytes(PDF)
    page.locator("#f-scan").set_input_files(str(scan))
    page.get_by_role("button", name="Pievienot skenējumu").click()
    expect(page.locator("#scan-attached")).to_contain_text("parakstits.pdf")
    page.locator("#f-signed").check()
    page.get_by_role("button", name="Apstiprināt iesniegšanu").click()
    expect(page.locator("#case-number")).to_be_visible()
    number = page.locator("#case-number").inner_text()
    _clean(page, "submitted (lv)")
    page.goto(page.url.replace(live_server.url, f"{live_server.url}/en"))
    _clean(page, "submitted (en)")
    for address, where in (("/en/staff/assistant/", "assistant home (en)"),
                           ("/en/staff/assistant/services/1011/", "identify the client (en)")):
        page.goto(f"{live_server.url}{address}")
        _clean(page, where)

    page.goto(f"{live_server.url}/staff/assistant/originals/")
    expect(page.locator("main")).to_contain_text(number)
    _clean(page, "originals (lv)")
    page.goto(f"{live_server.url}/en/staff/assistant/originals/")
    _clean(page, "originals (en)")

    # The client, in their own browser, sees the case marked so.
    context = browser.new_context(locale="lv-LV", viewport={"width": 1280, "height": 900})
    client_page = context.new_page()
    sign_in_client(client_page, family["parent"])
    client_page.goto(f"{live_server.url}/eaccount/cases/{number.replace(' ', '%20')}/")
    basis = client_page.locator("#assisted-basis")
    expect(basis).to_contain_text("Inese Rozenberga")
    expect(basis).to_contain_text(POINT)
    expect(basis).to_contain_text("pamatojoties uz parakstīto pilnvarojumu")
    assert_accessible(client_page, "the client's case (lv)")
    client_page.goto(f"{live_server.url}/en/eaccount/cases/{number.replace(' ', '%20')}/")
    expect(client_page.locator("#assisted-basis")).to_contain_text(
        "on the basis of the signed authorisation")
    assert_accessible(client_page, "the client's case (en)")
    context.close()
