"""Service points (A1, G08): who manages them, which services they handle (the
providers-per-stage record), the nearest to a place, the week's hours by the business calendar,
and the public pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from durvis.audit.models import AuditEvent
from durvis.catalog import services as catalog
from durvis.catalog.models import Stage
from durvis.servicepoints import queries, services

pytestmark = pytest.mark.django_db


def test_an_institutions_administrator_manages_only_its_points(points, admins, institutions):
    centre = points["Valmieras VPVKAC"]
    services.change_point(admins["vdaa"], centre, phone="+371 64200000")
    assert AuditEvent.objects.filter(action="servicepoints.point.change").exists()
    with pytest.raises(PermissionDenied):
        services.change_point(admins["vsaa"], centre, phone="1")
    with pytest.raises(ValidationError) as refused:
        services.create_point(admins["vdaa"], institutions["VDAA"], name="X", kind="local_centre",
                              address="A", town="Roja", latitude=Decimal("57.5"),
                              longitude=Decimal("22.8"), hours="every day 9-5")
    assert refused.value.error_dict["hours"][0].code == "day"


def test_a_point_handles_the_services_its_institution_provides_in_person(points, catalogue,
                                                                         institutions):
    childbirth = catalogue["childbirth"]
    handled = set(queries.points_for_service(childbirth).values_list("name", flat=True))
    # VSAA holds it, VDAA's centres were delegated every stage; RIGA nothing.
    assert handled == {"Rīgas VPVKAC (Pils iela)", "Valmieras VPVKAC", "Rojas VPVKAC",
                       "VSAA Rīgas nodaļa"}
    assert childbirth in queries.services_handled(points["Rojas VPVKAC"])
    assert childbirth not in queries.services_handled(points["Rīgas apkaimju centrs"])


def test_only_the_information_stage_is_no_reason_to_go_there(points, catalogue, institutions):
    kindergarten = catalogue["kindergarten"]
    catalog.import_delegations(kindergarten, {institutions["VSAA"]: [Stage.INFORMATION]},
                               since=datetime.date(2020, 1, 1))
    names = set(queries.points_for_service(kindergarten).values_list("name", flat=True))
    assert "VSAA Rīgas nodaļa" not in names
    assert "Rīgas apkaimju centrs" in names


def test_nearest_to_a_town_typed_without_diacritics_or_to_coordinates(points, catalogue):
    place = queries.place_of("valmiera")
    assert place is not None and place.label == "Valmiera"
    ordered = [p.name for p, _d in queries.nearest(queries.points_for_service(
        catalogue["childbirth"]), place)]
    assert ordered[0] == "Valmieras VPVKAC"
    by_coordinates = queries.nearest(list(queries.active_points()),
                                     queries.place_of("57.50, 22.80"))
    assert by_coordinates[0][0].name == "Rojas VPVKAC" and by_coordinates[0][1] < 1
    assert queries.place_of("Rēzekne") is None
    assert queries.place_of("95, 10") is None
    assert round(queries.distance_km(56.9508, 24.1043, 57.538, 25.426)) == 103


def test_the_week_ahead_closes_holidays_and_the_points_own_closures(points, admins):
    point = points["Valmieras VPVKAC"]
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    services.add_closure(admins["vdaa"], point, tomorrow, "Inventarizācija")
    days = {d.day: d for d in queries.days_ahead(point)}
    assert days[tomorrow].intervals == [] and days[tomorrow].closed_reason == "Inventarizācija"
    with pytest.raises(ValidationError) as refused:
        services.add_closure(admins["vdaa"], point, tomorrow)
    assert refused.value.error_dict["day"][0].code == "twice"


def test_the_service_page_says_where_to_go_in_person(client, points, catalogue):
    page = client.get(reverse("catalog:service", args=[1011]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Rojas VPVKAC" in html and reverse("servicepoints:nearest", args=[1011]) in html


def test_the_nearest_page_lists_every_point_nearest_first(client, points, catalogue):
    url = reverse("servicepoints:nearest", args=[1011])
    page = client.get(url, {"near": "roja"})
    assert page.status_code == 200
    html = page.content.decode()
    # Roja, then Rīga (about 100 km), then Valmiera (about 150 km).
    assert html.index("Rojas VPVKAC") < html.index("VSAA Rīgas nodaļa") < html.index(
        "Valmieras VPVKAC")
    unknown = client.get(url, {"near": "Atlantīda"})
    assert unknown.status_code == 422 and "govuk-error-summary" in unknown.content.decode()
    assert client.get(reverse("servicepoints:nearest", args=[9999])).status_code == 404


def test_a_refused_place_shows_only_its_refusal(client, points, catalogue):
    """`?near=%00`: 422 with the control-character refusal, and no "not in the address
    register" note (the place was never looked up); an unknown place still gets the note."""
    url = reverse("servicepoints:nearest", args=[1011])
    refused = client.get("/en" + url, {"near": "\x00"})
    html = refused.content.decode()
    assert refused.status_code == 422 and "govuk-error-summary" in html
    assert 'id="not-found"' not in html and "not in the address register" not in html
    unknown = client.get("/en" + url, {"near": "Atlantīda"}).content.decode()
    assert 'id="not-found"' in unknown


def test_a_map_only_when_the_deployment_configures_tiles(client, points, catalogue, settings):
    url = reverse("servicepoints:nearest", args=[1011])
    assert "point-map" not in client.get(url).content.decode()
    settings.DURVIS_MAP_TILES_URL = "https://tiles.example.lv/{z}/{x}/{y}.png"
    html = client.get(url).content.decode()
    assert 'id="point-map"' in html and "vendor/leaflet/leaflet.js" in html


def test_a_points_page(client, points, catalogue):
    point = points["Rojas VPVKAC"]
    page = client.get(reverse("servicepoints:point", args=[point.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Zvejnieku iela 3" in html and "Ieeja bez pakāpieniem" in html
    assert "Bērna piedzimšanas pabalsts" in html
    assert client.get(reverse("servicepoints:point", args=[0])).status_code == 404


def test_nearest_to_any_address_the_register_knows_and_to_decimal_commas(points, catalogue,
                                                                         register):
    place = queries.place_of("gertrudes 27 riga")
    assert place is not None and place.label == "Ģertrūdes iela 27, Rīga"
    ordered = queries.nearest(list(queries.active_points()), place)
    assert ordered[0][0].town == "Rīga" and ordered[0][1] < 5
    commas = queries.place_of("57,50; 22,80")
    assert commas is not None and round(commas.latitude, 2) == 57.5
    assert queries.place_of("57,50 22,80") == commas
    assert queries.place_of("nekas tāds nav") is None


def test_the_nearest_page_takes_an_address(client, points, catalogue, register):
    page = client.get(reverse("servicepoints:nearest", args=[1011]),
                      {"near": "Gertrudes iela 27, Riga"})
    assert page.status_code == 200 and "Ģertrūdes iela 27" in page.content.decode()
