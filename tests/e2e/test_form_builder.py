"""The form builder in Chromium (A10, A5): a form builder of VSAA builds a two-page form with a
condition and a repeating group, is refused a duplicate key at the field, previews it and
publishes it; every builder page has no axe-core violation, in Latvian and English, and none
scrolls sideways at 375 px. The type of a question is chosen with the keyboard alone."""

from __future__ import annotations

import pytest

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"lv": "", "en": "/en"}


@pytest.fixture
def builder_login(live_server, institutions, catalogue):
    from django_otp.util import random_hex

    from durvis.identity import services as identity

    member = identity.record_staff(username="forms.vsaa", password="pw-forms.vsaa-long-enough",
                                   institution=institutions["VSAA"], roles=["form_builder"],
                                   given_name="Līga", family_name="Kalniņa")
    device = identity.record_totp_device(member, random_hex(identity.TOTP_KEY_BYTES))

    def sign_in(page, prefix="", target="/administration/forms/"):
        page.goto(f"{live_server.url}{prefix}/staff/login/?next={prefix}{target}")
        page.locator("#id_username").fill("forms.vsaa")
        page.locator("#id_password").fill("pw-forms.vsaa-long-enough")
        page.locator("main form button[type=submit]").click()
        page.locator("#id_otp_token").fill(identity.current_totp_code(device))
        page.locator("main form button[type=submit]").click()
        return member

    return sign_in


def _add_question(page, kind, fields, checks=(), selects=None, keyboard=False):
    radio = page.locator(f"input[name=type][value={kind}]")
    if keyboard:
        radio.focus()
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
    else:
        radio.check()
        page.locator("main form button[type=submit]").click()
    for name, value in fields.items():
        page.locator(f"#id_{name}").fill(value)
    for name in checks:
        page.locator(f"#id_{name}").check()
    for name, value in (selects or {}).items():
        page.locator(f"#id_{name}").select_option(value)


def test_a_builder_builds_previews_and_publishes_a_two_page_form(live_server, builder_login,
                                                                  page):
    from playwright.sync_api import expect

    from durvis.eforms.models import FormVersion

    builder_login(page)
    base = f"{live_server.url}/administration/forms/1011"
    page.locator("a[href='/administration/forms/1011/']").click()
    page.locator("form[action$='/1011/draft/'] button").click()
    expect(page.get_by_role("status")).to_be_visible()

    # Page 1: a yes/no question, its type chosen with the keyboard alone.
    page.locator("a[href$='/pages/page_1/questions/new/']").click()
    _add_question(page, "yes_no", {"key": "has_children", "label_lv": "Vai jums ir bērni?",
                                   "label_en": "Do you have children?"}, checks=["required"],
                  keyboard=True)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/")

    # Page 2 with a repeating group shown only when the answer is yes.
    page.locator("a[href$='/pages/new/']").click()
    page.locator("#id_key").fill("family")
    page.locator("#id_title_lv").fill("Ģimene")
    page.locator("#id_title_en").fill("Family")
    page.locator("main form button[type=submit]").click()
    page.locator("a[href$='/pages/family/questions/new/']").click()
    _add_question(page, "repeating_group", {
        "key": "members", "label_lv": "Ģimenes locekļi", "label_en": "Family members",
        "min": "1", "max": "3", "item_label_lv": "Ģimenes loceklis",
        "item_label_en": "Family member", "condition_value": "yes"},
        checks=["required"], selects={"condition_question": "has_children"})
    page.locator("main form button[type=submit]").click()
    page.locator("a[href$='/questions/members/']").click()
    page.locator("a[href*='questions/new/?group=members']").click()
    _add_question(page, "short_text", {"key": "member_name", "label_lv": "Vārds",
                                       "label_en": "Name"}, checks=["required"])
    page.locator("main form button[type=submit]").click()

    # A duplicate key is refused at the field, and nothing is saved.
    page.locator("a[href$='/pages/family/questions/new/']").click()
    _add_question(page, "short_text", {"key": "has_children", "label_lv": "Divreiz",
                                       "label_en": "Twice"})
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_key_error")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.locator("a[href='/administration/forms/1011/']").last.click()

    # The preview: the group shows after "yes", its item is checked, the end is reached.
    page.locator("a[href$='/1011/preview/']").click()
    page.locator("#f-has_children").check()
    page.locator("main form button.govuk-button:not([name])").click()
    expect(page.locator("h1")).to_have_text("Ģimene")
    page.locator("main form button.govuk-button:not([name])").click()
    expect(page.locator("#f-members-error")).to_be_visible()
    page.locator("#f-members-0-member_name").fill("Jānis Bērziņš")
    page.locator("main form button.govuk-button:not([name])").click()
    expect(page.locator("main")).to_contain_text("Jānis Bērziņš")

    # Publish: the difference first, then the confirmation.
    page.goto(f"{base}/publish/")
    expect(page.locator("table")).to_contain_text("members")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("1")
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
            scroll, inner = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner, f"{url} scrolls sideways at {width} px"
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
