"""A search text the platform refuses (a control character, a bidirectional control) finds
nothing: the page says why and lists no service, and its page links do not carry the refused
text (issue 19's review: `?q=%00abc` listed every service under the error, and the next page's
link kept `q`). The same for the embedded search and the API."""

import re

import pytest

from durvis.catalog.views import PAGE_SIZE

REFUSED = ["%00abc", "pabalsts%01", "%E2%80%AEpabalsts"]


@pytest.fixture
def many(catalogue, institutions):
    """More services than a page holds, so a listing of every one would have a next page."""
    from durvis.catalog import services as catalog

    for n in range(PAGE_SIZE + 1):
        catalog.import_service(3000 + n, institutions["VSAA"],
                               {"name_lv": f"Pakalpojums {n}", "name_en": f"Service {n}",
                                "audience": "residents", "status": "published",
                                "application_channels": ["eaccount"],
                                "result_channels": ["eaccount"]}, {})
    return catalogue


@pytest.mark.parametrize("q", REFUSED)
@pytest.mark.parametrize("path", ["/services/", "/en/services/", "/categories/family/",
                                  "/life-situations/birth-of-a-child/", "/embed/"])
def test_a_refused_search_lists_no_service_and_its_links_drop_it(client, many, q, path):
    response = client.get(f"{path}?q={q}")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="refused-query"' in page
    assert 'class="service-card"' not in page  # no service listed under the error
    assert "Childbirth benefit" not in page and "Bērna piedzimšanas pabalsts" not in page
    assert not re.search(r'href="\?[^"]*q=[^"]*" rel="(next|prev)"', page)  # nor a page link


def test_the_refusal_says_why_in_the_pages_language(client, many):
    english = client.get("/en/services/?q=%00abc").content.decode()
    assert "Your search could not be used" in english and "control character" in english
    latvian = client.get("/services/?q=%00abc").content.decode()
    assert "Meklēšanu nevarēja izmantot" in latvian


def test_a_refused_search_keeps_a_good_holder_in_the_page_links(client, many):
    page = client.get("/services/?q=%00abc&holder=VSAA").content.decode()
    assert 'class="service-card"' not in page and 'rel="next"' not in page  # no pages to link
    listed = client.get("/services/?holder=VSAA").content.decode()
    assert "holder=VSAA&amp;page=2" in listed


def test_a_good_search_still_pages_with_its_text(client, many):
    page = client.get("/services/?q=pakalpojums").content.decode()
    assert "q=pakalpojums&amp;page=2" in page


@pytest.mark.parametrize("q", REFUSED)
def test_the_api_refuses_a_control_character_in_the_search(client, many, q):
    response = client.get(f"/api/v1/services?q={q}")
    assert response.status_code == 422
    assert "items" not in response.json()


def test_the_page_links_of_a_search_never_carry_a_refused_text(db):
    from django.http import QueryDict

    from durvis.catalog.views import CatalogQuery

    assert CatalogQuery(QueryDict("q=%00abc&holder=VSAA")).params() == "holder=VSAA"
    assert CatalogQuery(QueryDict("q=pase&holder=VSAA")).params() == "q=pase&holder=VSAA"
