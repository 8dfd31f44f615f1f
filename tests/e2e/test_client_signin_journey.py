"""A12 in the browser: sign in through the demo identity provider (OpenID Connect, the same
protocol as the national sign-in), in Latvian and English; the sign-in pages and the provider's
picker pass axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_provider(demo_signin, signatory):
    return signatory[0]


@pytest.mark.parametrize("language, prefix", [("lv", ""), ("en", "/en")])
def test_sign_in_through_the_demo_provider(live_server, demo_provider, page, language, prefix):
    page.goto(f"{live_server.url}{prefix}/signin/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page, f"sign-in chooser ({language})")

    page.locator("form[action$='/signin/start/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/demo/idp/authorize\?"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page, f"demo provider's picker ({language})")

    page.locator(f'input[value="{demo_provider.pk}:self"]').check()
    page.locator("button[value=sign_in]").click()
    expect(page).to_have_url(f"{live_server.url}{prefix}/eaccount/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
