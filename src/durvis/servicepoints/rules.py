"""Access rules of service points (A1, A5): the institution's administrator manages the points
it runs. Registered into the one policy (`durvis.access.policy`) when the app loads. Reading a
point is public (no personal data), so no rule guards it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.core.actor import Actor
from durvis.identity.models import Institution, StaffRole
from durvis.identity.rules import is_institution_admin_of
from durvis.servicepoints.models import ServicePoint


class ServicePointAction(StrEnum):
    # obj = the ServicePoint, or the Institution a new one is added to (None: may the actor
    # open the service points' administration).
    MANAGE = "servicepoints.manage"


def _managed(actor: Actor, client: Any) -> Q:
    if actor.staff is None or not actor.has_role(StaffRole.INSTITUTION_ADMIN):
        return Q(pk__in=[])
    return Q(institution_id=actor.institution_id)


@rule(ServicePointAction.MANAGE, list_filter=_managed)
def manage(actor: Actor, obj: Any, client: Any) -> Decision:
    """An institution's administrator adds, changes and closes the points their institution
    runs (A5); `None` asks whether they may open the page at all."""
    if obj is None:
        return (ALLOW if actor.staff is not None and actor.has_role(StaffRole.INSTITUTION_ADMIN)
                else deny("not an institution administrator"))
    institution_id = (obj.pk if isinstance(obj, Institution)
                      else obj.institution_id if isinstance(obj, ServicePoint) else None)
    if institution_id is None:
        return deny("not a service point")
    if is_institution_admin_of(actor, institution_id):
        return ALLOW
    return deny("only the administrator of the institution running the point manages it")
