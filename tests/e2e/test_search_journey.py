"""Search as people ask (issue 19) in Chromium: a search that matches only some of its words
shows the results and says so; the catalogue's central editor adds synonyms on the synonyms
page and the next search uses them; every page passes axe-core, in Latvian and English."""

from __future__ import annotations

import pytest

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"lv": "", "en": "/en"}
PARTIAL = {"lv": "Rādīti rezultāti daļai jūsu vārdu", "en": "Showing results for part of your words"}
HEADING = {"lv": "Meklēšanas sinonīmi", "en": "Search synonyms"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_partial_matches_and_synonyms_in_the_next_search(live_server, institutions, catalogue,
                                                         page, language):
    from django_otp.util import random_hex
    from playwright.sync_api import expect

    from durvis.identity import services as identity

    base = f"{live_server.url}{LANGUAGES[language]}"
    # Two of three words match the childbirth benefit's name: the results and the notice.
    page.goto(f"{base}/services/")
    page.locator("input[name=q]").first.fill("bērna pabalsts Jelgavā")
    page.locator("input[name=q]").first.press("Enter")
    expect(page.locator("#partial-match")).to_contain_text(PARTIAL[language])
    expect(page.locator("#results")).to_contain_text("1011")
    assert_accessible(page, f"a partial match ({language})")

    page.goto(f"{base}/services/?q=newborn")
    expect(page.locator("#results")).not_to_contain_text("1011")

    editor = identity.record_staff(username="editor.vdaa", password="pw-editor.vdaa-long-enough",
                                   institution=institutions["VDAA"], roles=["knowledge_editor"])
    device = identity.record_totp_device(editor, random_hex(identity.TOTP_KEY_BYTES))
    target = f"{LANGUAGES[language]}/administration/search/synonyms/"
    page.goto(f"{base}/staff/login/?next={target}")
    page.locator("#id_username").fill("editor.vdaa")
    page.locator("#id_password").fill("pw-editor.vdaa-long-enough")
    page.locator("main form button[type=submit]").click()
    page.locator("#id_otp_token").fill(identity.current_totp_code(device))
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}{target}")
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADING[language])
    assert_accessible(page, f"the synonyms page ({language})")

    page.locator("main form button[type=submit]").click()  # nothing given: named at the field
    expect(page.locator("#id_words_error")).to_be_visible()
    assert_accessible(page, f"the synonyms page with an error ({language})")

    page.locator("input[name=language][value=en]").check()
    page.locator("#id_words").fill("newborn\nchildbirth")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main table")).to_contain_text("newborn = childbirth")
    assert_accessible(page, f"the synonyms page with a group ({language})")

    page.locator("main table a").first.click()
    assert_accessible(page, f"a synonym group's page ({language})")

    page.goto(f"{base}/services/?q=newborn")
    expect(page.locator("#results")).to_contain_text("1011")
    expect(page.locator("#partial-match")).to_have_count(0)
