"""The service points API and the address search API (A1, A9, B9): names in the language of
`Accept-Language` (Latvian by default, English), an unknown point's 404 at its path
parameter, a repeated `q` refused, a postcode searched as one."""

from __future__ import annotations

import pytest
from django.test import Client

from durvis.servicepoints.models import ServicePoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(points):
    ServicePoint.objects.filter(name="Valmieras VPVKAC").update(
        name_en="Valmiera one-stop centre")
    return points


def test_point_names_in_the_requests_language(client, named, catalogue):
    point = named["Valmieras VPVKAC"]
    latvian = client.get("/api/v1/service-points", {"service": 1011}).json()["items"]
    assert {p["name"]: p["label"] for p in latvian}["Valmieras VPVKAC"] == "Valmieras VPVKAC"
    english = client.get("/api/v1/service-points", {"service": 1011},
                         HTTP_ACCEPT_LANGUAGE="en").json()["items"]
    by_name = {p["name"]: p for p in english}
    assert by_name["Valmieras VPVKAC"]["label"] == "Valmiera one-stop centre"
    assert by_name["Rojas VPVKAC"]["label"] == "Rojas VPVKAC"  # no English name: the Latvian
    assert by_name["Valmieras VPVKAC"]["name"] == "Valmieras VPVKAC"  # the official name stays
    detail = client.get(f"/api/v1/service-points/{point.pk}",
                        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").json()
    assert detail["label"] == "Valmiera one-stop centre"
    assert client.get(f"/api/v1/service-points/{point.pk}", HTTP_ACCEPT_LANGUAGE="lv"
                      ).json()["label"] == "Valmieras VPVKAC"


def test_an_unknown_point_is_a_404_at_its_path_parameter(client, named):
    response = client.get("/api/v1/service-points/999999", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    [problem] = response.json()["detail"]
    assert (problem["loc"], problem["type"]) == (["path", "point_id"], "not_found")
    assert problem["msg"]


def test_a_repeated_q_is_refused_and_a_postcode_is_searched(register):
    client = Client()
    twice = client.get("/api/v1/addresses?q=barona+1&q=riga", HTTP_ACCEPT_LANGUAGE="en")
    assert twice.status_code == 422
    [problem] = twice.json()["detail"]
    assert (problem["loc"], problem["type"]) == (["query", "q"], "repeated")
    postcode = client.get("/api/v1/addresses", {"q": "LV-1050"})
    assert postcode.status_code == 200, postcode.content
    items = postcode.json()["items"]
    assert items and all(i["postcode"] == "LV-1050" for i in items)
    assert "Krišjāņa Barona iela 1, Rīga, LV-1050" in {i["text"] for i in items}
    nothing = client.get("/api/v1/addresses", {"q": "LV-9999"})
    assert nothing.status_code == 200 and nothing.json()["items"] == []
