"""axe-core on every e-account page (A2, C3), in Latvian and English, for a person acting as
themself and for their child: no serious or critical violation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

def eaccount_pages(data):
    """(name, URL name, args, selector that must be on the page)."""
    return [
        ("overview", "eaccount:overview", [], ".big-number"),
        ("history", "eaccount:history", [], "table"),
        ("history-filtered", "eaccount:history", [], "table"),
        ("case", "eaccount:case", [data["own"].number], ".timeline"),
        ("documents", "documents:list", [], "table"),
        ("documents-upload", "documents:upload", [], "form"),
        ("profile", "profile:contacts", [], "form"),
        ("preferences", "profile:preferences", [], "table"),
        ("data-use", "eaccount:data-use", [], "table"),
        ("mailbox", "demo-mailbox:list", [], "h1"),
    ]


@pytest.mark.parametrize("language", ["lv", "en"])
def test_eaccount_pages_have_no_serious_violation(live_server, family, page, sign_in_client,
                                                  decide_case, settings, language):
    settings.DEMO_MODE = True
    decide_case(family["system"], family["own"])
    sign_in_client(page, family["parent"])
    for name, url_name, args, selector in eaccount_pages(family):
        with translation.override(language):
            url = reverse(url_name, args=args)
        if name == "history-filtered":
            url += "?number=1011+1&status=decided"  # an invalid number: the error is shown
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200, name
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator(selector).count() > 0, f"{name}: {selector} is missing"
        assert_accessible(page, f"{name} ({language})")
