"""The citizen's application journey in Chromium (A10, A3, B1): a signed-in parent finds service
1011 (a form built in the test), fills the first page with a wrong personal code, fixes it at
the field, answers the next page with the keyboard alone, leaves, resumes the draft from the
e-account's "Applications in progress", uploads a certificate, checks the answers, changes one,
submits, and finds the case in the e-account and the PDF copy among the documents. Every form
page has no axe-core violation in Latvian and English at 375 and 1280 px, and none scrolls
sideways."""

from __future__ import annotations

import pytest

from tests.eforms.journey import PDF, publish_form

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _clean(page, where):
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        assert_accessible(page, f"{where} at {width} px")
        assert_no_sideways_scroll(page, f"{where}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_citizen_applies_resumes_changes_and_submits(live_server, family, institutions,
                                                       catalogue, sign_in_client, page,
                                                       tmp_path):
    from playwright.sync_api import expect

    from durvis.eforms.models import Application

    publish_form(institutions, catalogue["childbirth"])
    sign_in_client(page, family["parent"])
    page.goto(f"{live_server.url}/services/1011/")
    page.get_by_role("button", name="Pieteikties").click()
    _clean(page, "start page (lv)")
    page.get_by_role("button", name="Sākt").click()

    # The first page: prefilled; a wrong personal code is refused at the field.
    expect(page.locator("#f-name")).to_have_value("Jānis Bērziņš")
    page.locator("#f-personal_code").fill("12345678901")
    page.locator("#f-resident").check()
    page.locator("#f-has_children").check()
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator("#f-personal_code-error")).to_be_visible()
    assert_accessible(page, "first page with an error (lv)")
    page.locator(".govuk-error-summary a[href='#f-personal_code']").click()
    page.locator("#f-personal_code").fill("140386-12043")
    page.get_by_role("button", name="Saglabāt un turpināt").click()

    # The family page with the keyboard alone: type, Tab, type, Enter saves the page.
    expect(page.locator("h1")).to_have_text("Ģimene")
    page.locator("#f-members-0-member_name").focus()
    page.keyboard.type("Emīlija")
    page.keyboard.press("Tab")
    expect(page.locator("#f-members-0-member_code")).to_be_focused()
    page.keyboard.type("220515-20311")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Izmaksa")

    # Leave, and resume from the e-account.
    page.goto(f"{live_server.url}/eaccount/")
    expect(page.get_by_role("heading", name="Iesāktie pieteikumi")).to_be_visible()
    page.goto(f"{live_server.url}/eaccount/applications/")
    _clean(page, "applications in progress (lv)")
    page.get_by_role("link", name="Turpināt").first.click()
    expect(page.locator("h1")).to_have_text("Izmaksa")
    page.locator("#f-iban").fill("LV80 BANK 0000 4351 9500 1")
    certificate = tmp_path / "izzina.pdf"
    certificate.write_bytes(PDF)
    page.locator("#f-certificate").set_input_files(str(certificate))
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    expect(page.locator("h1")).to_have_text("Pirms iesniegšanas pārbaudiet savas atbildes")
    expect(page.locator("main")).to_contain_text("izzina.pdf")

    # Every page of the form, in both languages, at both widths.
    application = Application.objects.get()
    base = f"/eaccount/applications/{application.reference}"
    for prefix in ("", "/en"):
        for path in ("/services/1011/apply/", f"{base}/applicant/", f"{base}/family/",
                     f"{base}/payment/", f"{base}/check/"):
            page.goto(f"{live_server.url}{prefix}{path}")
            _clean(page, f"{prefix}{path}")
    page.goto(f"{live_server.url}{base}/check/")

    # Change one answer: back to check your answers.
    page.locator("a[href*='/payment/?check=1#f-iban']").click()
    page.locator("#f-iban").fill("LV97HABA0012345678910")
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    expect(page.locator("main")).to_contain_text("LV97HABA0012345678910")

    # Submit without the declaration: refused at the field; then with it.
    page.get_by_role("button", name="Iesniegt pieteikumu").click()
    expect(page.locator("#f-declaration-error")).to_be_visible()
    assert_accessible(page, "check your answers with an error (lv)")
    page.locator("#f-declaration").check()
    page.get_by_role("button", name="Iesniegt pieteikumu").click()
    expect(page.locator("h1")).to_have_text("Pieteikums iesniegts")
    application.refresh_from_db()
    number = application.case.number
    expect(page.locator(".govuk-panel")).to_contain_text(number)
    assert_accessible(page, "confirmation (lv)")

    # The worker's round makes the PDF copy; the confirmation then links to it.
    from durvis.core.events import dispatch_due
    while dispatch_due():
        pass
    page.reload()
    expect(page.get_by_role("link", name="Lejupielādēt pieteikuma kopiju (PDF)")).to_be_visible()
    page.get_by_role("link", name="Skatīt lietu savā e-kontā").click()
    expect(page.locator("h1")).to_contain_text(number)
    page.goto(f"{live_server.url}/eaccount/documents/")
    expect(page.locator("main")).to_contain_text(f"Pieteikums {number}")
    expect(page.locator("main")).to_contain_text("izzina.pdf")
