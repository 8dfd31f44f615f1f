"""The address widget in Chromium (A9, A10): a citizen types a misspelt address without
diacritics into an e-form's address question, picks it from the list with the keyboard alone
(Down, Enter), and the standard address is saved; the list is announced and axe-core finds no
violation with it open, at 375 and 1280 px, in Latvian and English; the plain search page and
the embeddable search (which tells its framing page the chosen address) too."""

from __future__ import annotations

import pytest

from tests.addresses.address_form import publish_address_form
from tests.addresses.conftest import FILES

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BARONA_1 = "Krišjāņa Barona iela 1, Rīga, LV-1050"


@pytest.fixture
def register(db):
    from durvis.addresses import services

    return services.import_register(FILES / "current")


def test_a_citizen_picks_a_misspelt_address_with_the_keyboard(live_server, family, institutions,
                                                              catalogue, register,
                                                              sign_in_client, page):
    from playwright.sync_api import expect

    from durvis.eforms.models import Application

    publish_address_form(institutions, catalogue["childbirth"])
    sign_in_client(page, family["parent"])
    page.goto(f"{live_server.url}/services/1011/apply/")
    page.get_by_role("button", name="Sākt").click()
    expect(page.locator("h1")).to_have_text("Dzīvesvieta")
    field = page.get_by_role("combobox", name="Dzīvesvietas adrese")
    expect(page.get_by_role("button", name="Meklēt adresi reģistrā")).to_be_hidden()
    field.focus()
    page.keyboard.type("krisjana brona 1 rig", delay=20)
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(page.locator("[data-combobox-status]")).to_contain_text("Atrastas adreses")
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page, f"e-form address with its list open at {width} px")
        assert_no_sideways_scroll(page, "e-form address")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("option", selected=True)).to_have_text(BARONA_1)
    expect(field).to_have_attribute("aria-activedescendant", "f-address-listbox-0")
    page.keyboard.press("Enter")  # chooses; does not submit
    expect(field).to_have_value(BARONA_1)
    expect(listbox).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")  # now submits the page
    expect(page.locator("h1")).not_to_have_text("Dzīvesvieta")
    assert Application.objects.get().answers["address"] == {"code": 101844053, "text": BARONA_1}


def test_typed_text_not_chosen_from_the_register_is_refused(live_server, family, institutions,
                                                            catalogue, register, sign_in_client,
                                                            page):
    from playwright.sync_api import expect

    from durvis.eforms.models import Application

    publish_address_form(institutions, catalogue["childbirth"])
    sign_in_client(page, family["parent"])
    page.goto(f"{live_server.url}/services/1011/apply/")
    page.get_by_role("button", name="Sākt").click()
    field = page.get_by_role("combobox", name="Dzīvesvietas adrese")
    field.focus()
    page.keyboard.type("Mana maja 7", delay=20)
    expect(page.locator("[data-combobox-status]")).to_contain_text("Neviena adrese nav atrasta")
    page.keyboard.press("Enter")  # no option highlighted: the form's own submit
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Izvēlieties adresi no Valsts adrešu reģistra")
    assert_accessible(page, "e-form address refused")
    assert Application.objects.get().answers == {}
    field = page.get_by_role("combobox", name="Dzīvesvietas adrese")
    field.fill("")
    field.focus()
    page.keyboard.type("barona 1 riga", delay=20)
    expect(page.get_by_role("option").first).to_have_text(BARONA_1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).not_to_have_text("Dzīvesvieta")
    assert Application.objects.get().answers["address"]["code"] == 101844053


def test_enter_on_a_highlighted_option_shows_the_chosen_address(live_server, register, page):
    """The search page: Enter on the highlighted option chooses it, and the page shows that
    address (its code and coordinates); Enter with no option highlighted is the plain search."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/addresses/")
    field = page.get_by_role("combobox", name="Adrese")
    field.fill("barona 1 riga")
    expect(page.get_by_role("option").first).to_have_text(BARONA_1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#results-heading")).to_have_text("Izvēlētā adrese")
    expect(page.locator("#results")).to_contain_text("101844053")
    expect(page.locator("#results")).to_contain_text("56.949673")
    assert_accessible(page, "the chosen address")
    field = page.get_by_role("combobox", name="Adrese")
    field.fill("ozolu 18")
    expect(page.get_by_role("listbox")).to_be_visible()
    page.keyboard.press("Enter")  # the list open, nothing highlighted: the plain search
    expect(page.locator("#results-heading")).not_to_have_text("Izvēlētā adrese")
    expect(page.locator("#results")).to_contain_text("101003948")


def test_escape_closes_the_list_and_the_search_pages_pass_axe(live_server, register, page):
    from playwright.sync_api import expect

    for prefix, label in (("", "Adrese"), ("/en", "Address")):
        page.goto(f"{live_server.url}{prefix}/addresses/")
        field = page.get_by_role("combobox", name=label)
        field.fill("ozolu 18 valmiermuiza")
        expect(page.get_by_role("listbox")).to_be_visible()
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            assert_accessible(page, f"address search {prefix or '/lv'} at {width} px")
            assert_no_sideways_scroll(page, "address search")
        page.keyboard.press("Escape")
        expect(page.get_by_role("listbox")).to_be_hidden()
        page.keyboard.press("Enter")  # the plain search: a results page
        expect(page.locator("#results")).to_contain_text("101003948")
        assert_accessible(page, f"address results {prefix or '/lv'}")


def test_the_embedded_search_tells_its_portal_the_chosen_address(live_server, register, page):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/embed/addresses/")
    page.evaluate("""() => { window.chosen = null; window.parent.postMessage = (data) => {
        window.chosen = data; }; }""")
    field = page.get_by_role("combobox")
    field.fill("barona 1 riga")
    expect(page.get_by_role("option").first).to_have_text(BARONA_1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(field).to_have_value(BARONA_1)
    assert_accessible(page, "embedded address search")
