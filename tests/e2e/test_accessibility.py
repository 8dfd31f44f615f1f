"""axe-core on every public catalogue page and on the staff sign-in pages, in Latvian and in
English (A1, A12): no serious or critical violation."""

from __future__ import annotations

import re

import pytest

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# (name, path without the language prefix, expected HTTP status, CSS selector that must be there)
PAGES = [
    ("home", "/", 200, "#categories-heading"),
    ("services", "/services/", 200, "#results"),
    ("search", "/services/?q=pabalsts", 200, ".service-card"),
    ("category", "/categories/family/", 200, ".service-card"),
    ("life-situation", "/life-situations/birth-of-a-child/", 200, ".service-card"),
    ("service", "/services/1011/", 200, "dl.facts"),
    ("embed", "/embed/?q=pabalsts", 200, ".service-card"),
    ("staff-login", "/staff/login/", 200, "#id_username"),
    ("not-found", "/services/999999/", 404, "h1"),
    ("method-not-allowed", "/signout/", 405, "h1"),
]
LANGUAGES = {"lv": "", "en": "/en"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "path", "status", "selector"), PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_serious_violation(
    live_server, catalogue, page, name, path, status, selector, language
):
    response = page.goto(f"{live_server.url}{LANGUAGES[language]}{path}")
    assert response is not None and response.status == status, name
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(selector).count() > 0, f"{name}: {selector} is missing"
    assert_accessible(page, f"{name} ({language})")


# The staff sign-in pages (A12) behind the password: the enrolment of an authenticator app, the
# code step (with a wrong code's error and the demo aid showing), and the lockout page.
SIGN_IN_HEADINGS = {
    "lv": {"enrol": "Divfaktoru autentifikācijas iestatīšana", "code": "Ievadiet vienreizējo kodu",
           "locked": "Ienākšana ir bloķēta"},
    "en": {"enrol": "Set up two-factor authentication", "code": "Enter the one-time code",
           "locked": "Sign-in locked"},
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_sign_in_pages_have_no_serious_violation(live_server, staff, page, settings,
                                                       wrong_totp_code, language):
    from base64 import b32encode

    from playwright.sync_api import expect

    from durvis.demo.aids import _demo_keys
    from durvis.identity import services as identity

    settings.DEMO_MODE = True
    base = f"{live_server.url}{LANGUAGES[language]}"
    headings = SIGN_IN_HEADINGS[language]

    def password_step(username, password):
        page.goto(f"{base}/staff/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("main form button[type=submit]").click()

    password_step("admin.vid", "pw-admin.vid-long-enough")  # no device yet: enrolment
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/staff/login/enrol/\?flow="))
    expect(page.get_by_role("heading", level=1)).to_have_text(headings["enrol"])
    expect(page.get_by_role("img", name=re.compile("QR"))).to_be_visible()  # the inline SVG
    device = identity.totp_device(staff["vid_admin"].user, confirmed=False)
    expect(page.locator("#totp-secret")).to_have_text(b32encode(device.bin_key).decode())
    assert_accessible(page, f"enrolment ({language})")

    device = identity.record_totp_device(staff["vsaa_admin"], _demo_keys()["admin.vsaa"])
    password_step("admin.vsaa", "pw-admin.vsaa-long-enough")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/staff/login/code/\?flow="))
    expect(page.get_by_role("heading", level=1)).to_have_text(headings["code"])
    expect(page.locator("#demo-code")).to_have_text(identity.current_totp_code(device))
    page.locator("#id_otp_token").fill(wrong_totp_code(device))
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#id_otp_token")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, f"code step with an error ({language})")

    for attempt in range(5):
        password_step("agent.centre", f"wrong-password-{attempt}")
    expect(page.get_by_role("heading", level=1)).to_have_text(headings["locked"])
    assert_accessible(page, f"lockout ({language})")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_server_error_page_has_no_violation(live_server, catalogue, page, monkeypatch,
                                                language):
    """The project's 500 page (issue 10), from a page whose view fails unexpectedly."""
    from durvis.catalog import queries as catalog_queries

    def fail(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog_queries, "find_services", fail)
    response = page.goto(f"{live_server.url}{LANGUAGES[language]}/services/?q=pabalsts")
    assert response is not None and response.status == 500
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").count() == 1
    assert_accessible(page, f"server error ({language})")
