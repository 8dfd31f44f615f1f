"""The service points' and appointments' API (A1, A4, B9): points are open data; an
institution's system reads the bookings at its points (each read audited) and cancels one;
another institution's booking is a 404, a token without the scope a 403."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from durvis.audit.models import AuditEvent
from durvis.calendars import ics, services
from durvis.calendars.models import BookingState
from durvis.core.actor import Actor
from tests.calendars.conftest import first_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(calendar, family):
    return services.book(Actor(kind="person", person=family["parent"]), calendar,
                         first_slot(calendar), family["parent"])


def _window(booking):
    return {"from": (booking.starts_at - datetime.timedelta(hours=1)).isoformat(),
            "to": (booking.starts_at + datetime.timedelta(days=1)).isoformat()}


def test_service_points_are_open_data(client, points, catalogue):
    listing = client.get("/api/v1/service-points", {"service": 1011, "near": "57,54; 25,43"})
    assert listing.status_code == 200, listing.content
    items = listing.json()["items"]
    assert items[0]["name"] == "Valmieras VPVKAC" and items[0]["distance_km"] < 1
    point = points["Valmieras VPVKAC"]
    detail = client.get(f"/api/v1/service-points/{point.pk}").json()
    assert len(detail["days"]) == 14 and detail["hours"] == "mon-fri 09:00-17:00"
    handled = {s["code"]: s["stages"] for s in detail["services"]}
    assert "application" in handled[catalogue["childbirth"].code]
    assert client.get("/api/v1/service-points/999999").status_code == 404
    bad = client.get("/api/v1/service-points", {"near": "nowhere"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "near"


def test_a_system_reads_its_points_bookings_and_each_read_is_audited(
        booking, api_client_factory, family):
    system = api_client_factory("VDAA", operations=("appointments:read",))
    page = system.get("/api/v1/appointments", _window(booking))
    assert page.status_code == 200, page.content
    (item,) = page.json()["items"]
    assert item["uid"] == ics.uid_of(booking) and item["client"]["kind"] == "person"
    assert item["booked_by"] == "client" and page.json()["next_offset"] is None
    read = AuditEvent.objects.filter(action="calendars.booking.system_read")
    assert read.count() == 1 and read.get().subject_person_id == family["parent"].pk
    one = system.get(f"/api/v1/appointments/{ics.uid_of(booking)}")
    assert one.status_code == 200 and one.json()["desk"] == 1
    wide = system.get("/api/v1/appointments", {"from": "2027-01-01T00:00:00Z",
                                               "to": "2027-03-01T00:00:00Z"})
    assert wide.status_code == 422 and wide.json()["detail"][0]["type"] == "window"
    refused = system.post(f"/api/v1/appointments/{booking.uid}/cancel")
    assert refused.status_code == 403  # no appointments:write


def test_another_institutions_system_sees_nothing(booking, api_client_factory):
    other = api_client_factory("VSAA", operations=("appointments:read", "appointments:write"))
    assert other.get("/api/v1/appointments", _window(booking)).json()["items"] == []
    assert other.get(f"/api/v1/appointments/{booking.uid}").status_code == 404
    assert other.post(f"/api/v1/appointments/{booking.uid}/cancel").status_code == 404
    assert Client().get("/api/v1/appointments", _window(booking)).status_code == 401


def test_a_system_cancels_and_the_client_is_told(booking, api_client_factory, worker):
    from django.core import mail

    system = api_client_factory("VDAA", operations=("appointments:read", "appointments:write"))
    done = system.post(f"/api/v1/appointments/{ics.uid_of(booking)}/cancel",
                       HTTP_IDEMPOTENCY_KEY="k-1")
    assert done.status_code == 200 and done.json()["state"] == "cancelled"
    again = system.post(f"/api/v1/appointments/{ics.uid_of(booking)}/cancel",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200  # the same answer for a retry
    twice = system.post(f"/api/v1/appointments/{ics.uid_of(booking)}/cancel")
    assert twice.status_code == 409 and twice.json()["detail"][0]["type"] == "cancelled"
    booking.refresh_from_db()
    assert booking.state == BookingState.CANCELLED
    assert AuditEvent.objects.filter(action="calendars.booking.cancel").exists()
    worker.deliver()
    assert any("janis@example.lv" in m.to for m in mail.outbox)
    assert booking.starts_at > timezone.now()
