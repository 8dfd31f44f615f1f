"""Where a result is collected, where an agent serves a client and where a staff member works
come from the service points' register (A1), named in the page's language; a value stored
from the old fixed list still reads as its point."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.eforms import assistant
from durvis.eforms import services as eforms
from durvis.servicepoints.models import ServicePoint
from durvis.servicepoints.queries import point_label

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(points):
    ServicePoint.objects.filter(name="Rīgas VPVKAC (Pils iela)").update(
        name_en="Rīga one-stop centre (Pils iela)")
    ServicePoint.objects.filter(name="Valmieras VPVKAC").update(
        name_en="Valmiera one-stop centre")
    return points


def test_the_result_is_collected_at_the_points_handling_the_service_in_the_page_language(named):
    service = Service.objects.get(code=1011)  # VSAA's, VDAA's centres do every stage
    offered = eforms.collection_points(service, "en")
    assert ("Rīgas VPVKAC (Pils iela)", "Rīga one-stop centre (Pils iela)") in offered
    assert ("VSAA Rīgas nodaļa", "VSAA Rīgas nodaļa") in offered
    assert "Rīgas apkaimju centrs" not in dict(offered)  # RIGA's office does not handle it
    assert "Rīga, Pils iela 23" not in dict(offered)  # the old fixed list is gone
    assert dict(eforms.collection_points(service, "lv"))["Valmieras VPVKAC"] == "Valmieras VPVKAC"


def test_the_assistant_serves_at_a_register_point_only(named, staff, family):
    service = Service.objects.get(code=1011)
    Service.objects.filter(pk=service.pk).update(assistant_allowed=True)
    service.refresh_from_db()
    agent = Actor(kind="staff", staff=staff["agent"])
    with pytest.raises(ValidationError) as refused:
        assistant.identify_client(agent, service, personal_code=family["parent"].personal_code,
                                  document_kind="passport", document_number="LV1234567",
                                  service_point="Daugavpils, Saules iela 5")
    assert "service_point" in refused.value.message_dict
    assert ("Valmieras VPVKAC", "Valmiera one-stop centre") in assistant.centre_choices("en")


def test_my_working_time_offers_the_register_in_english(named, staff, client, staff_login):
    agent = staff_login(client, staff["agent"])
    page = agent.get("/en" + reverse("administration:my-time")).content.decode()
    assert 'value="Valmieras VPVKAC">Valmiera one-stop centre</option>' in page
    assert "Jelgava, Lielā iela 11" not in page
    assert agent.post(reverse("administration:my-time"),
                      {"service_point": "Jelgava, Lielā iela 11"}).status_code == 422
    assert agent.post(reverse("administration:my-time"),
                      {"service_point": "Valmieras VPVKAC"}).status_code == 302


def test_a_stored_value_of_the_old_list_reads_as_its_point(named):
    assert point_label("Rīga, Pils iela 23", "en") == "Rīga one-stop centre (Pils iela)"
    assert point_label("Rīga, Pils iela 23", "lv") == "Rīgas VPVKAC (Pils iela)"
    assert point_label("Valmieras VPVKAC", "en") == "Valmiera one-stop centre"
    # No point there (Jelgava): the stored text is shown as it is, nothing lost.
    assert point_label("Jelgava, Lielā iela 11", "en") == "Jelgava, Lielā iela 11"
    shown = Template("{% load servicepoints %}{{ value|point_name }}")
    with translation.override("en"):
        assert shown.render(Context({"value": "Rīga, Pils iela 23"})) == \
            "Rīga one-stop centre (Pils iela)"
