"""Writes of service points (A1, A5): an institution's administrator adds and changes the
points it runs and the days they are closed. Every write is checked by the policy
(`ServicePointAction.MANAGE`) and audited."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import require
from durvis.audit.services import record
from durvis.core.actor import Actor
from durvis.core.working_time import HoursError, WeeklyHours
from durvis.identity.models import Institution
from durvis.servicepoints.models import PointKind, ServicePoint, ServicePointClosure
from durvis.servicepoints.rules import ServicePointAction

# The fields a point cannot be without, named as its model names them.
REQUIRED_LABELS = {"name": gettext_lazy("name"), "address": gettext_lazy("address"),
                   "town": gettext_lazy("town")}

FIELDS = ("name", "name_en", "kind", "address", "address_code", "town", "latitude",
          "longitude", "hours", "accessibility", "accessibility_en", "phone", "email", "active")


def _problems(values: dict[str, Any]) -> dict[str, list[ValidationError]]:
    problems: dict[str, list[ValidationError]] = {}
    try:
        WeeklyHours.parse(str(values.get("hours", "")))
    except HoursError as error:
        problems["hours"] = [ValidationError(
            _("Write the hours like “mon-thu 08:30-17:00; fri 08:30-15:30”."), code=error.code)]
    if values.get("kind") not in PointKind.values:
        problems["kind"] = [ValidationError(_("Choose the kind of the point."), code="invalid")]
    for name, bound in (("latitude", 90), ("longitude", 180)):
        value = values.get(name)
        if not isinstance(value, Decimal | int | float) or abs(Decimal(str(value))) > bound:
            problems[name] = [ValidationError(_("Give the coordinate in degrees."),
                                              code="invalid")]
    for name in ("name", "address", "town"):
        if not str(values.get(name, "")).strip():
            problems[name] = [ValidationError(_("Fill in the service point's %(field)s.") % {
                "field": REQUIRED_LABELS[name]}, code="required")]
    return problems


@transaction.atomic
def create_point(actor: Actor, institution: Institution, **values: Any) -> ServicePoint:
    """Add a service point run by `institution`; `values` are the model's fields (`FIELDS`).
    Raises PermissionDenied unless the actor administers the institution
    (`ServicePointAction.MANAGE`), and ValidationError keyed by field: `hours` (unreadable, the
    `WeeklyHours` code), `kind` `invalid`, `latitude`/`longitude` `invalid`, `name`/`address`/
    `town` `required`. Audited as `servicepoints.point.create`."""
    require(actor, ServicePointAction.MANAGE, institution)
    values = {k: v for k, v in values.items() if k in FIELDS}
    if problems := _problems(values):
        raise ValidationError(problems)
    point = ServicePoint.objects.create(institution=institution, **values)
    record(actor, "servicepoints.point.create", point, details={"name": point.name})
    return point


@transaction.atomic
def change_point(actor: Actor, point: ServicePoint, **values: Any) -> ServicePoint:
    """Change a point's fields (`FIELDS`; the others are kept). Raises as `create_point`;
    audited as `servicepoints.point.change` with the names of the fields changed."""
    require(actor, ServicePointAction.MANAGE, point)
    locked = ServicePoint.objects.select_for_update().get(pk=point.pk)
    merged = {name: getattr(locked, name) for name in FIELDS}
    merged.update({k: v for k, v in values.items() if k in FIELDS})
    if problems := _problems(merged):
        raise ValidationError(problems)
    changed = sorted(n for n in FIELDS if getattr(locked, n) != merged[n])
    for name in changed:
        setattr(locked, name, merged[name])
    locked.save()
    record(actor, "servicepoints.point.change", locked, details={"fields": changed})
    return locked


@transaction.atomic
def add_closure(actor: Actor, point: ServicePoint, day: datetime.date,
                reason: str = "") -> ServicePointClosure:
    """Close the point on `day` (an exception to its hours). Raises PermissionDenied as
    `change_point`, ValidationError on `day` (`past`; `twice`: already closed that day).
    Audited as `servicepoints.closure.add`."""
    require(actor, ServicePointAction.MANAGE, point)
    if day < timezone.localdate():
        raise ValidationError({"day": ValidationError(_("The day has passed."), code="past")})
    if ServicePointClosure.objects.filter(point=point, day=day).exists():
        raise ValidationError({"day": ValidationError(_("The point is already closed that day."),
                                                      code="twice")})
    closure = ServicePointClosure.objects.create(point=point, day=day, reason=reason)
    record(actor, "servicepoints.closure.add", point, details={"day": day.isoformat()})
    return closure


@transaction.atomic
def remove_closure(actor: Actor, closure: ServicePointClosure) -> None:
    """Open the point again on the closure's day. Raises PermissionDenied as `change_point`.
    Audited as `servicepoints.closure.remove`."""
    if not isinstance(closure, ServicePointClosure):
        raise PermissionDenied("not a closure")
    require(actor, ServicePointAction.MANAGE, closure.point)
    record(actor, "servicepoints.closure.remove", closure.point,
           details={"day": closure.day.isoformat()})
    closure.delete()


def import_points(institution: Institution, rows: list[dict[str, Any]]) -> int:
    """Trusted import of points (the demo data): each row the model's fields; no policy, no
    audit (an operator's load). Returns how many were written."""
    points = [ServicePoint(institution=institution, **{k: v for k, v in row.items()
                                                       if k in FIELDS}) for row in rows]
    for point in points:
        WeeklyHours.parse(point.hours)
    ServicePoint.objects.bulk_create(points)
    return len(points)
