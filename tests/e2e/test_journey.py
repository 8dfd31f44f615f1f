"""A1 in the browser: find a service, in English and in Latvian, the way a visitor does."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def search(page, words):
    """Type into the search form and press Enter. On the list pages htmx may answer the typing
    before the form is submitted; the callers wait for the result either way."""
    box = page.get_by_role("searchbox")
    box.fill(words)
    box.press("Enter")


def test_find_the_childbirth_benefit_in_english(live_server, catalogue, page):
    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "lv")

    page.get_by_role("banner").get_by_role("link", name="English").click()
    expect(page).to_have_url(f"{live_server.url}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    search(page, "childbirth benefit")
    expect(page).to_have_url(re.compile(r"/en/services/\?q=childbirth\+benefit"))
    results = page.locator("#results")
    expect(results.get_by_role("heading", level=2)).to_contain_text("1 service found")
    result = results.get_by_role("link", name="Childbirth benefit", exact=True)
    expect(result).to_be_visible()

    result.click()
    expect(page).to_have_url(f"{live_server.url}/en/services/1011/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Childbirth benefit")
    expect(page.locator("main")).to_contain_text("1011")
    expect(page.locator("dl.facts")).to_contain_text("State Social Insurance Agency")
    expect(page).to_have_title(re.compile(r"^Childbirth benefit"))


def test_latvian_search_without_diacritics(live_server, catalogue, page):
    page.goto(f"{live_server.url}/services/")
    search(page, "berna pabalsts")
    expect(page.locator("#results").get_by_role(
        "link", name="Bērna piedzimšanas pabalsts", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/services/\?q=berna(\+|%20)pabalsts"))

    page.locator("#results").get_by_role("link", name="Bērna piedzimšanas pabalsts").click()
    expect(page).to_have_url(f"{live_server.url}/services/1011/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bērna piedzimšanas pabalsts")
    expect(page.locator("dl.facts")).to_contain_text("Valsts sociālās apdrošināšanas aģentūra")


def test_live_search_replaces_the_results_and_announces_the_count(live_server, catalogue, page):
    """htmx live search: typing (no Enter) updates the one results section in place, keeps a clean
    address, says the count in the status region and leaves the page accessible."""
    page.goto(f"{live_server.url}/en/services/?q=declaration")
    expect(page.locator("#results")).to_contain_text("Annual income declaration")

    page.get_by_role("searchbox").fill("berna pabalsts")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Childbirth benefit", exact=True)).to_be_visible()
    expect(results).not_to_contain_text("Annual income declaration")
    expect(page.locator("[id=results]")).to_have_count(1)
    expect(page.get_by_role("status")).to_have_text("1 service found")
    # The address is the new search only, not the old one with the new one appended.
    expect(page).to_have_url(re.compile(r"/en/services/\?q=berna(\+|%20)pabalsts(&holder=)?$"))

    # The institution filter updates the results too, without leaving the page.
    page.get_by_label("Institution").select_option("VID")
    expect(results.get_by_role("heading", level=2)).to_have_text("No service found")
    expect(page.get_by_role("searchbox")).to_have_value("berna pabalsts")
    assert_accessible(page, "services after a live search")
