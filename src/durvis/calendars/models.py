"""Appointments (A4): a calendar per service point and service (slot length, desks, lead time,
booking horizon; open by the point's hours and the Latvian holidays), and the bookings made in
it by a client in the e-account or by an agent for a client.

Double booking is impossible by construction: a booking holds one desk of one slot, and a
partial unique index (calendar, start, desk) over the booked rows refuses a second holder of
the same desk; `services.book` takes the lowest free desk and, when a concurrent booking took
it first, the next one, or refuses the slot as full. This holds on PostgreSQL (where the
calendar's row is also locked, so bookers queue instead of retrying) and on SQLite alike."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.catalog.models import Service
from durvis.core.models import ClientOwnedRequired
from durvis.identity.models import Person, StaffMember
from durvis.servicepoints.models import ServicePoint


class Calendar(models.Model):
    """Where and for what a client can book a time: one service at one point. Slots of
    `slot_minutes` run through the point's open intervals; `desks` clients are served at once;
    a slot can be booked from `lead_minutes` before it and at most `horizon_days` ahead.
    `forward_to` names the calendar system the bookings are forwarded to
    (`forwarding.CALENDAR_SYSTEMS`: `caldav`, `email`, `webhook`; empty: none), `forward_target`
    its address (the CalDAV calendar's URL, the department's e-mail, the queue machine's URL).
    `forward_password` is kept sealed (`core.sealed`: encrypted under a key outside the
    database), set through `services.save_calendar` and opened only by the CalDAV adapter."""

    point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="calendars")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=20)
    desks = models.PositiveSmallIntegerField(_("desks"), default=1)
    lead_minutes = models.PositiveIntegerField(_("lead time (minutes)"), default=60)
    horizon_days = models.PositiveSmallIntegerField(_("booking horizon (days)"), default=30)
    active = models.BooleanField(_("open for booking"), default=True)
    forward_to = models.CharField(_("forward bookings to"), max_length=20, blank=True)
    forward_target = models.CharField(_("forwarding address"), max_length=300, blank=True)
    forward_username = models.CharField(_("user name"), max_length=100, blank=True)
    forward_password = models.CharField(_("password"), max_length=1000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["point", "service"], name="one_calendar_per_service"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5, slot_minutes__lte=240,
                                               desks__gte=1, horizon_days__gte=1),
                                   name="calendar_sensible_slots"),
        ]

    def __str__(self) -> str:
        return f"{self.point_id}/{self.service_id}"


class BookingState(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")


class Booking(ClientOwnedRequired):
    """One client's appointment: a desk of the slot starting at `starts_at` (aware, UTC stored)
    in `calendar`, for `service` (the calendar's: the policy's mandate scopes read it). `uid` and
    `sequence` are its iCalendar identity (RFC 5545 UID and SEQUENCE: a move or a cancellation
    sends the same UID with the next sequence). Who booked: `booked_by` (the person acting in
    the e-account: the client, a parent, a representative) or `booked_by_staff` (an agent)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    desk = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=BookingState.choices,
                             default=BookingState.BOOKED)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    booked_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    booked_by_staff = models.ForeignKey(StaffMember, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta(ClientOwnedRequired.Meta):
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["calendar", "starts_at"], name="booking_slot"),
                   models.Index(fields=["client_person", "starts_at"], name="booking_person"),
                   models.Index(fields=["client_company", "starts_at"], name="booking_company"),
                   models.Index(fields=["state", "starts_at"], name="booking_due")]
        constraints = [
            *ClientOwnedRequired.Meta.constraints,
            models.UniqueConstraint(fields=["calendar", "starts_at", "desk"],
                                    condition=Q(state="booked"), name="one_booking_per_desk"),
            models.UniqueConstraint(fields=["client_person", "starts_at"],
                                    condition=Q(state="booked", client_person__isnull=False),
                                    name="one_booking_per_person_start"),
            models.UniqueConstraint(fields=["client_company", "starts_at"],
                                    condition=Q(state="booked", client_company__isnull=False),
                                    name="one_booking_per_company_start"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at"), desk__gte=1),
                                   name="booking_sensible"),
        ]

    def __str__(self) -> str:
        return f"{self.uid} {self.starts_at:%Y-%m-%d %H:%M}"
