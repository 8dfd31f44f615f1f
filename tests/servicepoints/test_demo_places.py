""""Nearest to" with the demo's address register (A1, A9): every demo point's address and town
is in it, the page's example is a real address of it, the heading names the street or town
searched, and a place the register lacks is said so, with the full list still offered."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from durvis.addresses import services as addresses
from durvis.addresses.queries import resolve
from durvis.demo.loader import DATA_DIR
from durvis.servicepoints import queries
from durvis.servicepoints.views import NearForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_register(db):
    return addresses.import_register(DATA_DIR / "addresses")


def test_the_demo_register_holds_every_demo_points_address_and_town(demo_register):
    for point in json.loads((DATA_DIR / "service_points.json").read_text()):
        assert resolve(point["address"]) is not None, point["address"]
        place = queries.place_of(point["town"])
        assert place is not None and place.label == point["town"], point["town"]


def test_the_pages_example_is_an_address_of_the_demo_register(demo_register):
    with translation.override("en"):
        example = str(NearForm().fields["near"].help_text).removeprefix("For example ")
    address = example.split(";")[0].strip()
    assert resolve(address) is not None, address


def test_the_heading_names_the_street_or_town_searched(client, points, catalogue,
                                                       demo_register):
    url = reverse("servicepoints:nearest", args=[1011])
    street = client.get(url, {"near": "brivibas riga"}).content.decode()
    assert "Nearest to Brīvības iela, Rīga" in street or "Tuvākās vietai Brīvības iela, Rīga" in street
    assert queries.place_of("brivibas riga").label == "Brīvības iela, Rīga"
    assert queries.place_of("daugavpils").label == "Daugavpils"
    assert queries.place_of("saules iela 5 daugavpils").label == "Saules iela 5, Daugavpils"


def test_a_place_the_register_lacks_is_said_so_with_the_full_list(client, points, catalogue,
                                                                  demo_register):
    url = reverse("servicepoints:nearest", args=[1011])
    page = client.get("/en" + url, {"near": "Brīvības iela 1, Rēzekne"})
    body = page.content.decode()
    assert page.status_code == 422
    assert "“Brīvības iela 1, Rēzekne” was not found in the address register" in body
    assert "use your location" in body and f'href="/en{url}"' in body
    assert "All places" in body and body.count('class="point-list"') == 1
    assert "Valmieras VPVKAC" in body  # the whole list is still there
