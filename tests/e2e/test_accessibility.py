"""axe-core on every public catalogue page, in Latvian and in English (A1): no serious or critical
violation."""

from __future__ import annotations

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
