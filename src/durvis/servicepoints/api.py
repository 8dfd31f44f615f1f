"""The service points API (A1, B9): the places clients are served in person, open to anyone
like the catalogue (points hold no personal data; their pages are public): for institutions'
back-office systems, queue machines and other portals.

- `GET /service-points?service=&near=&kind=&limit=` → active points, by town and name (nearest
  first with `near`);
- `GET /service-points/{id}` → one point with its opening days ahead (holidays and closures
  applied) and the services it handles with the stages (application, result delivery).

Every error is the platform's one body: a `near` that is no pair of coordinates is a 422
`near` at `["query", "near"]`, an unknown service a 422 `not_found` at `["query", "service"]`,
an unknown or closed point a 404 at `["path", "point_id"]`. `label` is the point's name in the
language of `Accept-Language` (`lv` by default, `en`).
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from ninja import Field, Path, Query, Router, Schema

from durvis.catalog.models import Service
from durvis.catalog.queries import serves
from durvis.core.api import ApiError, ErrorOut
from durvis.servicepoints import queries
from durvis.servicepoints.models import PointKind, ServicePoint

router = Router(tags=["service points"])

DAYS_AHEAD = 14
PointId = Annotated[int, Path(..., ge=1, le=2**31 - 1, description="The point's id")]


class PointInstitutionOut(Schema):
    code: str
    name: str


class PointOut(Schema):
    id: int
    name: str = Field(..., description="The name in Latvian")
    name_en: str = Field(..., description="The name in English (empty: use `name`)")
    label: str = Field(..., description="The name in the language of `Accept-Language`: "
                       "`lv` (the default, also without the header) or `en` (the English "
                       "name when given, else the Latvian)")
    kind: str = Field(..., description="`national_centre`, `regional_centre`, `local_centre`, "
                      "`institution_office`, `municipal_office`")
    institution: PointInstitutionOut
    address: str = Field(..., description="The State Address Register's address text")
    address_code: int | None = Field(..., description="The register's code of the address")
    town: str
    lat: float = Field(..., description="WGS84 latitude, degrees")
    lon: float = Field(..., description="WGS84 longitude, degrees")
    hours: str = Field(..., description="The weekly hours (`mon-thu 08:30-17:00; fri "
                       "08:30-15:30`); public holidays and closures in `days`")
    accessibility: str
    accessibility_en: str
    phone: str
    email: str
    distance_km: float | None = Field(None, description="From `near`, when asked")


class IntervalOut(Schema):
    opens: datetime.datetime
    closes: datetime.datetime


class DayOut(Schema):
    day: datetime.date
    open: list[IntervalOut] = Field(..., description="Empty: closed that day")
    closed_reason: str = Field(..., description="The point's own reason for a closure")


class HandledOut(Schema):
    code: int
    name: str
    stages: list[str] = Field(..., description="What a client comes for: `application`, "
                              "`result_delivery`")


class PointDetailOut(PointOut):
    days: list[DayOut] = Field(..., description=f"The next {DAYS_AHEAD} days from today")
    services: list[HandledOut]


class PointPage(Schema):
    items: list[PointOut]


class PointsQuery(Schema):
    service: int | None = Field(None, ge=1, le=2**31 - 1, description=(
        "Only the points that handle this catalogue service (by its code) in person"))
    near: str = Field("", max_length=60, description=(
        "`latitude,longitude` in degrees (`56.95,24.11`): nearest first, with `distance_km`"))
    kind: Annotated[str, Field("", description="Only points of this kind")] = ""
    limit: int = Field(200, ge=1, le=500)


def names_language(request: HttpRequest) -> str:
    """The language of the points' `label`: `en` when `Accept-Language` prefers English over
    Latvian, else `lv` (the names' own language, also without the header)."""
    for code, _weight in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code.lower().startswith("en"):
            return "en"
        if code.lower().startswith("lv"):
            return "lv"
    return "lv"


def point_out(point: ServicePoint, distance: float | None = None, language: str = "lv"
              ) -> dict[str, Any]:
    return {"id": point.pk, "name": point.name, "name_en": point.name_en,
            "label": point.label(language), "kind": point.kind,
            "institution": {"code": point.institution.code, "name": point.institution.name},
            "address": point.address, "address_code": point.address_code, "town": point.town,
            "lat": float(point.latitude), "lon": float(point.longitude), "hours": point.hours,
            "accessibility": point.accessibility, "accessibility_en": point.accessibility_en,
            "phone": point.phone, "email": point.email,
            "distance_km": round(distance, 3) if distance is not None else None}


@router.get("/service-points", response={200: PointPage, 422: ErrorOut},
            summary="Service points: where clients are served in person")
def list_service_points(request: HttpRequest, query: Query[PointsQuery]) -> dict[str, Any]:
    """The active points, by town and name; those that handle `service` in person (its holder's
    and its application and result-delivery providers'), of one `kind`, nearest to `near`
    first."""
    points = queries.active_points()
    if query.service is not None:
        service = Service.objects.filter(code=query.service).first()
        if service is None:
            raise ApiError(422, ["query", "service"], _("No such service in the catalogue."),
                           "not_found")
        points = queries.points_for_service(service)
    if query.kind:
        if query.kind not in PointKind.values:
            raise ApiError(422, ["query", "kind"], _("No such kind of service point."),
                           "invalid")
        points = points.filter(kind=query.kind)
    if query.near:
        place = queries.coordinates_of(query.near)
        if place is None:
            raise ApiError(422, ["query", "near"], _(
                "Give the latitude and longitude in degrees, such as 56.95,24.11."), "near")
        return {"items": [point_out(p, d, names_language(request)) for p, d in
                          queries.nearest(points, place, limit=query.limit)]}
    return {"items": [point_out(p, language=names_language(request))
                      for p in points[:query.limit]]}


@router.get("/service-points/{point_id}", response={200: PointDetailOut, 404: ErrorOut,
                                                    422: ErrorOut},
            summary="One service point, its days ahead and the services it handles")
def get_service_point(request: HttpRequest, point_id: PointId) -> dict[str, Any]:
    """An active point: its details, its opening intervals for the next 14 days (Latvian public
    holidays closed, the eve of one shorter, the point's own closures with their reason) and
    the services it handles, each with the in-person stages the point's institution does."""
    point = queries.point(point_id)
    if point is None:
        raise ApiError(404, ["path", "point_id"], _("No such service point open to clients."),
                       "not_found")
    handled = [{"code": s.code, "name": s.name,
                "stages": [stage for stage in queries.IN_PERSON_STAGES
                           if serves(s, point.institution_id, stage)]}
               for s in queries.services_handled(point)]
    return {**point_out(point, language=names_language(request)),
            "days": [{"day": d.day, "closed_reason": d.closed_reason,
                      "open": [{"opens": a, "closes": b} for a, b in d.intervals]}
                     for d in queries.days_ahead(point, DAYS_AHEAD)],
            "services": handled}
