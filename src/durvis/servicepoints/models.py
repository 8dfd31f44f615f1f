"""Service points (A1, G08): the places a client goes to in person — the state's client-service
centres (VPVKAC: national, regional and local), institutions' offices and municipal offices —
each with its address, coordinates, opening hours and the days it is closed, and accessibility
notes. The services a point handles are not stored here: they are its operating institution's,
by the providers-per-stage record (`catalog.queries.serving`; `docs/delegations.md`).

The address is kept as the text the State Address Register gives, its register code (VZD
`adr_cd`, empty until the address register links it) and coordinates (WGS 84 degrees)."""

from __future__ import annotations

import datetime
from functools import lru_cache

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from durvis.core.working_time import BusinessCalendar, WeeklyHours
from durvis.identity.models import Institution


class PointKind(models.TextChoices):
    NATIONAL_CENTRE = "national_centre", _("National client-service centre")
    REGIONAL_CENTRE = "regional_centre", _("Regional client-service centre")
    LOCAL_CENTRE = "local_centre", _("Local client-service centre")
    INSTITUTION_OFFICE = "institution_office", _("Institution's office")
    MUNICIPAL_OFFICE = "municipal_office", _("Municipal office")


class ServicePoint(models.Model):
    """A place where clients are served in person, run by `institution` (whose services, by
    the stages it holds or was delegated, the point handles). `hours` is a `WeeklyHours` text
    (`"mon-thu 08:30-17:00; fri 08:30-15:30"`); Latvian public holidays close it, and so does
    every `ServicePointClosure`."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="service_points")
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PointKind.choices)
    address = models.CharField(_("address"), max_length=255)
    address_code = models.BigIntegerField(_("address register code"), null=True, blank=True)
    town = models.CharField(_("town"), max_length=100)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    hours = models.CharField(_("opening hours"), max_length=300)
    accessibility = models.TextField(_("accessibility"), blank=True)
    accessibility_en = models.TextField(_("accessibility in English"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    active = models.BooleanField(_("open to clients"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["town", "name"]
        indexes = [models.Index(fields=["institution", "active"], name="point_institution"),
                   models.Index(fields=["town"], name="point_town")]
        constraints = [
            models.CheckConstraint(condition=models.Q(latitude__gte=-90, latitude__lte=90,
                                                      longitude__gte=-180, longitude__lte=180),
                                   name="point_coordinates_on_earth"),
        ]

    def __str__(self) -> str:
        return self.name

    def label(self, language: str) -> str:
        """The point's name in `language` (`en`: the English name if given)."""
        return self.name_en if language == "en" and self.name_en else self.name

    @property
    def shown_name(self) -> str:
        """The name in the language of the page being made (`label`): English pages show the
        English name when given, the Latvian otherwise."""
        return self.label(get_language() or "lv")

    def accessibility_in(self, language: str) -> str:
        """The accessibility notes in `language` (English if given, else Latvian)."""
        return (self.accessibility_en if language == "en" and self.accessibility_en
                else self.accessibility)

    @property
    def weekly_hours(self) -> WeeklyHours:
        """The opening hours read (they were checked when saved by `services`)."""
        return WeeklyHours.parse(self.hours)

    def calendar(self) -> BusinessCalendar:
        """The point's business calendar: its hours, Latvian holidays and its own closures."""
        closed = frozenset(self.closures.values_list("day", flat=True))
        return _calendar(self.hours, closed)


@lru_cache(maxsize=512)
def _calendar(hours: str, closed: frozenset[datetime.date]) -> BusinessCalendar:
    """One calendar per hours and closures, kept: its holidays are computed once (building
    the `holidays` table is most of a booking's time otherwise)."""
    return BusinessCalendar(hours=WeeklyHours.parse(hours), closed=closed)


class ServicePointClosure(models.Model):
    """A day the point is closed besides public holidays (an exception to its hours: a move, a
    training day), with the reason shown to clients."""

    point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="closures")
    day = models.DateField(_("day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["point", "day"],
                                               name="one_closure_per_point_day")]

    def __str__(self) -> str:
        return f"{self.point_id} {self.day}"
