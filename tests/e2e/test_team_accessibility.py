"""axe-core on the team page (A12) in Latvian and in English, before and after an administrator
resets a colleague's second factor: no violation of any impact."""

from __future__ import annotations

import pytest

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"lv": "", "en": "/en"}
TEAM = {"lv": "Komanda", "en": "Team"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_team_page_has_no_serious_violation(live_server, staff, institutions, page, language):
    from django_otp.util import random_hex
    from playwright.sync_api import expect

    from durvis.identity import services as identity

    base = f"{live_server.url}{LANGUAGES[language]}"
    colleague = identity.record_staff(username="specialist.vsaa", password="pw-specialist-long",
                                      institution=institutions["VSAA"], roles=["back_office"],
                                      given_name="Ilze", family_name="Ozola")
    identity.record_totp_device(colleague, random_hex(identity.TOTP_KEY_BYTES))
    device = identity.record_totp_device(staff["vsaa_admin"], random_hex(identity.TOTP_KEY_BYTES))

    page.goto(f"{base}/staff/login/?next={LANGUAGES[language]}/staff/team/")
    page.locator("#id_username").fill("admin.vsaa")
    page.locator("#id_password").fill("pw-admin.vsaa-long-enough")
    page.locator("main form button[type=submit]").click()
    page.locator("#id_otp_token").fill(identity.current_totp_code(device))
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(f"{base}/staff/team/")
    expect(page.get_by_role("heading", level=1)).to_have_text(TEAM[language])
    assert_accessible(page, f"team ({language})")

    page.get_by_role("button", name="specialist.vsaa").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("specialist.vsaa")
    assert_accessible(page, f"confirmation of a reset ({language})")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("specialist.vsaa")
    assert identity.totp_device(colleague.user) is None
    assert_accessible(page, f"team after a reset ({language})")
