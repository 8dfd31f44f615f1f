"""Reads of service points (A1, G08): the points that handle a service (by the
providers-per-stage record), the nearest to a place, their opening days ahead. Points hold no
personal data: these reads are public and not audited."""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from durvis.addresses.queries import place_name
from durvis.addresses.queries import search as address_search
from durvis.catalog.models import Delegation, Service, Stage
from durvis.catalog.queries import in_force, serving
from durvis.core.registry import Registry
from durvis.servicepoints.models import ServicePoint

# The stages a client comes in person for: to apply, and to receive the result.
IN_PERSON_STAGES = (Stage.APPLICATION, Stage.RESULT_DELIVERY)
EARTH_RADIUS_KM = 6371.0088
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
# The same with decimal commas, as Latvian writes them: "56,95; 24,11", "56,95 24,11".
_COMMA_COORDINATES = re.compile(
    r"^\s*(-?\d{1,2}),(\d+)\s*[,; ]\s*(-?\d{1,3}),(\d+)\s*$")


def active_points() -> QuerySet[ServicePoint]:
    """Every point open to clients, by town and name, with its institution."""
    return ServicePoint.objects.filter(active=True).select_related("institution")


def point(pk: int) -> ServicePoint | None:
    """The active point with that id, or None."""
    return active_points().filter(pk=pk).first()


def points_of(institution_id: int | None) -> QuerySet[ServicePoint]:
    """The points an institution runs (active or not), by town and name."""
    if institution_id is None:
        return ServicePoint.objects.none()
    return ServicePoint.objects.filter(institution_id=institution_id)


def providers_in_person(service: Service, at: datetime.date | None = None) -> set[int]:
    """The ids of the institutions a client can go to in person for `service` on the day of
    `at`: its holder and every provider of the application or the result-delivery stage in
    force (`docs/delegations.md`)."""
    delegated = (Delegation.objects.filter(in_force(at), service_id=service.pk,
                                           stage__in=IN_PERSON_STAGES)
                 .values_list("provider_id", flat=True))
    return {service.holder_id, *delegated}


def points_for_service(service: Service, at: datetime.date | None = None
                       ) -> QuerySet[ServicePoint]:
    """The active points whose institution handles `service` in person (see
    `providers_in_person`), by town and name."""
    return active_points().filter(institution_id__in=providers_in_person(service, at))


def services_handled(point_: ServicePoint, at: datetime.date | None = None
                     ) -> QuerySet[Service]:
    """The catalogue services the point handles: those its institution holds, or of which it
    was delegated the application or the result-delivery stage (in force on `at`), by code."""
    found = Q(pk__in=[])
    for stage in IN_PERSON_STAGES:
        found |= serving(point_.institution_id, stage, at)
    return Service.objects.filter(found).order_by("code")


def _folded(text: str) -> str:
    """Lower case without diacritics: "Rēzekne" and "rezekne" are one town."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold())
                   if not unicodedata.combining(c)).strip()


def towns() -> list[str]:
    """The towns that have an active point, in order: what a client may type as a place."""
    return sorted(set(active_points().values_list("town", flat=True)), key=_folded)


@dataclass(frozen=True)
class Place:
    """Where a client stands: coordinates in degrees, and what they typed it as."""

    latitude: float
    longitude: float
    label: str


def coordinates_of(text: str) -> Place | None:
    """The place "56.95,24.11" means (latitude first, degrees, as a browser's location is
    sent; also with decimal commas, "56,95; 24,11"), or None when `text` is no such pair or
    lies off the Earth."""
    match = _COORDINATES.match(text)
    if match:
        lat, lon = float(match[1]), float(match[2])
    elif match := _COMMA_COORDINATES.match(text):
        lat, lon = float(f"{match[1]}.{match[2]}"), float(f"{match[3]}.{match[4]}")
    else:
        return None
    if abs(lat) <= 90 and abs(lon) <= 180:
        return Place(lat, lon, f"{lat:.4f}, {lon:.4f}")
    return None


def place_of(text: str) -> Place | None:
    """The place `text` means: coordinates (`coordinates_of`); one of the points' towns,
    whatever the case and the diacritics (the middle of its points); else any address, town or
    postcode the State Address Register knows, typos and missing diacritics tolerated (its
    best answer with coordinates: `addresses.queries.search`; its label the street or town
    searched, `addresses.queries.place_name`). None when it means nothing known."""
    if _COORDINATES.match(text) or _COMMA_COORDINATES.match(text):
        return coordinates_of(text)
    wanted = _folded(text)
    if not wanted:
        return None
    rows = [p for p in ServicePoint.objects.filter(active=True).only("town", "latitude", "longitude")
            if _folded(p.town) == wanted]
    if rows:
        return Place(sum(float(p.latitude) for p in rows) / len(rows),
                     sum(float(p.longitude) for p in rows) / len(rows), rows[0].town)
    for found in address_search(text, limit=5):
        if found.lat is not None and found.lon is not None:
            return Place(found.lat, found.lon, place_name(found.code, text) or found.text)
    return None


def distance_km(lat1: float | Decimal, lon1: float | Decimal, lat2: float | Decimal,
                lon2: float | Decimal) -> float:
    """The great-circle distance in kilometres between two points given in degrees
    (haversine, on the mean Earth radius)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest(points: QuerySet[ServicePoint] | list[ServicePoint], place: Place,
            limit: int | None = None) -> list[tuple[ServicePoint, float]]:
    """`points` with their distance in km from `place`, nearest first (then by name), at most
    `limit` of them."""
    measured = sorted(((p, distance_km(place.latitude, place.longitude, p.latitude, p.longitude))
                       for p in points), key=lambda pd: (pd[1], pd[0].name))
    return measured[:limit] if limit else measured


@dataclass(frozen=True)
class OpenDay:
    """One day ahead at a point: its date and open intervals (aware datetimes; empty: closed),
    and why it is closed when the reason is the point's own closure."""

    day: datetime.date
    intervals: list[tuple[datetime.datetime, datetime.datetime]]
    closed_reason: str = ""


def days_ahead(point_: ServicePoint, days: int = 7) -> list[OpenDay]:
    """The point's next `days` days from today, with the hours by its business calendar
    (Latvian public holidays closed, the day before one an hour shorter, its own closures)."""
    calendar = point_.calendar()
    reasons = dict(point_.closures.values_list("day", "reason"))
    today = timezone.localdate()
    found = []
    for offset in range(days):
        day = today + datetime.timedelta(days=offset)
        found.append(OpenDay(day, calendar.intervals(day), reasons.get(day, "")))
    return found


def point_choices() -> list[str]:
    """Where a staff member may say they work, or a result is collected: every active point's
    name (the register's form of `StaffMember.service_point`, `Application.service_point`,
    `AssistedApplication.service_point` and the case's `service_point`), in order."""
    return [p.name for p in active_points()]


def labelled_choices(language: str, service: Service | None = None) -> list[tuple[str, str]]:
    """The points to choose among as (stored value, shown label): the point's name (the
    stored form, `point_choices`) and its name in `language` (`ServicePoint.label`). With
    `service`, the points handling it in person (`points_for_service`: a result is collected
    where the service is delivered), or every active point when none does; by town and name."""
    chosen = points_for_service(service) if service is not None else active_points()
    rows = list(chosen) or (list(active_points()) if service is not None else [])
    return [(p.name, p.label(language)) for p in rows]


# What the e-forms stored before the register (the fixed list of issue 4): "<town>, <street and
# number>". A stored value of that form names the point of that town whose address begins so.
_LEGACY = re.compile(r"^\s*(?P<town>[^,]+),\s*(?P<street>.+?)\s*$")


def point_named(stored: str) -> ServicePoint | None:
    """The point a stored service point value names: a point's name (active or not), else a
    value of the old fixed list ("Rīga, Pils iela 23": the point of that town whose address
    begins with "Pils iela 23,"); None when no point answers (the value is then shown as it is)."""
    if not stored:
        return None
    found = ServicePoint.objects.filter(name=stored).order_by("-active", "pk").first()
    if found is not None:
        return found
    legacy = _LEGACY.match(stored)
    if legacy is None:
        return None
    for candidate in ServicePoint.objects.filter(town=legacy["town"]).order_by("-active", "pk"):
        address, street = _folded(candidate.address), _folded(legacy["street"])
        if address == street or address.startswith(street + ","):
            return candidate
    return None


def point_label(stored: str, language: str) -> str:
    """A stored service point value as a page in `language` shows it: the named point's name
    in that language (`point_named`), else the value unchanged (nothing stored is lost)."""
    found = point_named(stored)
    return found.label(language) if found is not None else stored


@dataclass(frozen=True)
class PointLink:
    """What a higher app offers at a point for a service (the appointments' "Book a time"):
    `links(service, point_ids)` gives {point id: (label, URL)} for the points it has one."""

    key: str
    links: Callable[[Service, list[int]], dict[int, tuple[str, str]]]


POINT_LINKS: Registry[PointLink] = Registry("service point links")


def point_links(service: Service, point_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Every registered link of each point for `service`: {point id: [(label, URL), ...]}."""
    found: dict[int, list[tuple[str, str]]] = {}
    for entry in POINT_LINKS:
        for point_id, link in entry.links(service, point_ids).items():
            found.setdefault(point_id, []).append(link)
    return found
