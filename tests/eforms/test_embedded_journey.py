"""The journey in another portal's frame (A10: forms embedded in portals; issue 13): once the
person started from the embed entry, every page of the journey has the frame's shell, may be
framed by the holder's registered web sites only, and sends links out of the journey to the
whole window; the same application opened in a tab of its own has the site's shell again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from durvis.catalog import services as catalog
from durvis.core.actor import Actor
from tests.eforms.journey import publish_form

pytestmark = pytest.mark.django_db

PORTAL = "https://portal.riga.example.lv"
APPLICANT = {"name": "Jānis Bērziņš", "personal_code": "140386-12043", "resident": "no",
             "has_children": "no", "version": "0"}


@pytest.fixture
def form(family, institutions, catalogue, staff):
    publish_form(institutions, catalogue["childbirth"])
    catalog.add_embed_origin(Actor(kind="staff", staff=staff["vsaa_admin"]),
                             institutions["VSAA"], PORTAL)
    return catalogue["childbirth"]


def _frame_ancestors(response) -> str:
    return response["Content-Security-Policy"].split("frame-ancestors")[1].split(";")[0].strip()


def _framed(response) -> bool:
    html = response.content.decode()
    return (_frame_ancestors(response) == PORTAL and "X-Frame-Options" not in response
            and "govuk-header" not in html and "durvis-embedded" in html)


def test_the_journey_started_in_a_frame_stays_in_the_frame(sign_in, form, family):
    browser = sign_in(family["parent"])
    entry = browser.get("/en/embed/services/1011/apply/")
    start = reverse("eforms:start", args=[1011])
    assert f'href="{start}?embed=1"' in entry.content.decode()
    assert _framed(browser.get(start + "?embed=1"))
    location = browser.post(start, {})["Location"]
    page = browser.get(location)
    assert _framed(page)
    ended = browser.post(location, APPLICANT)["Location"]
    end = browser.get(ended)
    assert _framed(end)
    service_link = reverse("catalog:service", args=[1011])
    assert f'href="{service_link}" target="_top"' in end.content.decode()


def test_the_same_pages_in_a_tab_have_the_site_shell_and_no_framing(sign_in, form, family):
    browser = sign_in(family["parent"])
    browser.get("/en/embed/services/1011/apply/")
    location = browser.post(reverse("eforms:start", args=[1011]), {})["Location"]
    tab = browser.get(location, headers={"Sec-Fetch-Dest": "document"})
    html = tab.content.decode()
    assert "govuk-header" in html and "durvis-embedded" not in html and 'target="_top"' not in html
    assert _frame_ancestors(tab) == "'none'" and tab["X-Frame-Options"] == "DENY"


def test_a_journey_never_started_in_a_frame_is_framed_by_nobody(sign_in, form, family):
    browser = sign_in(family["parent"])
    start = browser.get(reverse("eforms:start", args=[1011]))
    assert _frame_ancestors(start) == "'none'" and "govuk-header" in start.content.decode()
    location = browser.post(reverse("eforms:start", args=[1011]), {})["Location"]
    assert _frame_ancestors(browser.get(location)) == "'none'"
