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
TOO_SHORT = {"lv": "Ierakstiet vismaz 2 burtus vai ciparus",
             "en": "Type at least 2 letters or digits"}
NEAR_CODE = {"lv": "Nevienam pakalpojumam nav koda 10111",
             "en": "No service has the code 10111"}
REMOVE = {"lv": "Noņemt šos sinonīmus?", "en": "Remove these synonyms?"}


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

    # One character: what to type, not "0 found"; a mistyped code: the nearest codes, said so.
    page.goto(f"{base}/services/?q=a")
    expect(page.locator("#results-heading")).to_have_text(TOO_SHORT[language])
    expect(page.locator("#too-short")).to_be_visible()
    assert_accessible(page, f"a too short search ({language})")
    page.goto(f"{base}/services/?q=10111")
    expect(page.locator("#near-code")).to_contain_text(NEAR_CODE[language])
    expect(page.locator("#results")).to_contain_text("1011")

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
    expect(page.locator("#preview")).to_be_visible()
    assert_accessible(page, f"a synonym group's page ({language})")
    group_page = page.url
    # Removing asks first, on a page of its own; "keep" goes back with the group kept.
    page.locator("main form button.govuk-button--warning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(REMOVE[language])
    assert_accessible(page, f"removing a synonym group, asked ({language})")
    page.goto(group_page)

    page.goto(f"{base}/services/?q=newborn")
    expect(page.locator("#results")).to_contain_text("1011")
    expect(page.locator("#partial-match")).to_have_count(0)
