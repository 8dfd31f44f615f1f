"""The form builder in Chromium (A10, A5): a form builder of VSAA builds a two-page form with a
condition and a repeating group, is refused a duplicate key at the field, previews it and
publishes it; every builder page has no axe-core violation, in Latvian and English, and none
scrolls sideways at 375 px. The type of a question is chosen with the keyboard alone."""

from __future__ import annotations

import pytest

from .axe import assert_accessible, assert_no_sideways_scroll
from .builder import add_question, build_family_form, preview_family_form, publish, start_draft

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"lv": "", "en": "/en"}


def test_a_builder_builds_previews_and_publishes_a_two_page_form(live_server, builder_login,
                                                                  page):
    from playwright.sync_api import expect

    from durvis.eforms.models import FormVersion

    builder_login(page)
    base = f"{live_server.url}/administration/forms/1011"
    start_draft(page, 1011)
    # Page 1: a yes/no question; page 2: a repeating group shown only when the answer is yes.
    build_family_form(page, base)

    # A duplicate key is refused at the field, and nothing is saved.
    page.locator("a[href$='/pages/family/questions/new/']").click()
    add_question(page, "short_text", {"key": "has_children", "label_lv": "Divreiz",
                                      "label_en": "Twice"})
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_key_error")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.locator("a[href='/administration/forms/1011/']").last.click()

    # The preview: the group shows after "yes", its item is checked, the end is reached.
    preview_family_form(page, {"member_name": "Jānis Bērziņš"})

    # Publish: the difference first, then the confirmation.
    publish(page, base)
    version = FormVersion.objects.get()
    assert version.status == "published"
    family = version.definition["pages"][1]["questions"][0]
    assert family["condition"] == {"question": "has_children", "op": "equals", "value": True,
                                   "effect": "show"}
    assert [q["key"] for q in family["questions"]] == ["member_name"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_builder_pages_have_no_violation_and_fit_a_phone(live_server, builder_login, page,
                                                         language):
    from durvis.core.actor import Actor
    from durvis.eforms import services
    from tests.eforms.samples import family_benefit

    prefix = LANGUAGES[language]
    member = builder_login(page, prefix)
    services.load_definition(Actor(kind="staff", staff=member),
                             __import__("durvis.catalog.models", fromlist=["Service"])
                             .Service.objects.get(code=1011), family_benefit())
    base = f"{live_server.url}{prefix}/administration/forms/1011"
    urls = [f"{live_server.url}{prefix}/administration/forms/", f"{base}/",
            f"{base}/pages/applicant/", f"{base}/pages/new/",
            f"{base}/pages/family/questions/new/", f"{base}/pages/family/questions/new/?type=money",
            f"{base}/questions/members/", f"{base}/questions/has_children/",
            f"{base}/publish/", f"{base}/preview/applicant/", f"{base}/preview/family/"]
    for url in urls:
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            assert_accessible(page, f"{url} at {width} px ({language})")
            assert_no_sideways_scroll(page, f"{url}")
    page.set_viewport_size({"width": 1280, "height": 900})
    # A page with errors, and the end of the preview.
    page.goto(f"{base}/preview/")
    page.locator("#f-resident").check()
    page.locator("#f-phone").fill("123")
    page.locator("main form button.govuk-button:not([name])").click()
    assert_accessible(page, f"preview with errors ({language})")
    page.locator("#f-name").fill("Anna")
    page.locator("#f-phone").fill("")
    page.locator("#f-resident-no").check()
    page.locator("#f-has_children-no").check()
    page.locator("main form button.govuk-button:not([name])").click()
    assert_accessible(page, f"preview end ({language})")
    page.goto(f"{base}/pages/payment/questions/new/?type=single_choice")
    page.locator("#id_key").fill("iban")
    page.locator("main form button[type=submit]").click()
    assert_accessible(page, f"question with errors ({language})")
