"""Access rules of the administration's own records (B5, A5, A7): who reads which entries of the
activity log, and who runs an institution's access review. Registered into the one policy
(`durvis.access.policy`) when the app loads.

Audit by role (seed 4.3.5 lines 2166-2170, G43): the platform's administrators (VRAA) read every
entry; an institution's administrator reads the entries of its own staff and systems (a
provider audits its own client-service specialists) and every entry on a service it holds,
whoever acted (a holder audits the actions on its own services). Nobody else reads the log
here; a person reads the uses of their own data in the e-account (`audit.queries.uses_of`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.audit.models import AuditEvent
from durvis.audit.queries import declare_use
from durvis.catalog.models import Service
from durvis.core import memo
from durvis.core.actor import Actor
from durvis.identity.models import Institution, StaffRole
from durvis.identity.rules import is_institution_admin_of


class AdministrationAction(StrEnum):
    READ_AUDIT = "administration.read_audit"
    REVIEW_ACCESS = "administration.review_access"


def held_service_codes(institution_id: int) -> frozenset[int]:
    """The codes of the services the institution holds (any state), once per request."""
    return memo.remembered(("held_service_codes", institution_id), lambda: frozenset(
        Service.objects.filter(holder_id=institution_id).values_list("code", flat=True)))


def _readable_events(actor: Actor, client: Any) -> Q:
    if actor.staff is None:
        return Q(pk__in=[])
    if actor.has_role(StaffRole.PLATFORM_ADMIN):
        return Q()
    if not actor.has_role(StaffRole.INSTITUTION_ADMIN):
        return Q(pk__in=[])
    held = held_service_codes(actor.staff.institution_id)
    return Q(actor_institution=actor.institution_code) | Q(service_code__in=sorted(held))


@rule(AdministrationAction.READ_AUDIT, list_filter=_readable_events)
def read_audit(actor: Actor, event: Any, client: Any) -> Decision:
    """A platform administrator reads every entry of the activity log; an institution's
    administrator the entries of its own staff and systems and those on the services it
    holds (seed 4.3.5, G43). With no entry: whether the actor opens the log at all."""
    if actor.staff is None:
        return deny("only staff read the activity log")
    if actor.has_role(StaffRole.PLATFORM_ADMIN):
        return ALLOW
    if not actor.has_role(StaffRole.INSTITUTION_ADMIN):
        return deny("only administrators read the activity log")
    if event is None:
        return ALLOW
    if not isinstance(event, AuditEvent):
        return deny("not an entry of the activity log")
    if event.actor_institution and event.actor_institution == actor.institution_code:
        return ALLOW
    if event.service_code is not None and (
            event.service_code in held_service_codes(actor.staff.institution_id)):
        return ALLOW
    return deny("an entry of another institution's staff, on a service it does not hold")


@rule(AdministrationAction.REVIEW_ACCESS)
def review_access(actor: Actor, institution: Any, client: Any) -> Decision:
    """An institution's administrator reviews who has rights on its services: its own staff
    and the staff of the institutions that provide them (seed 4.3.4 lines 2127-2139, G44)."""
    if not isinstance(institution, Institution):
        return deny("not an institution")
    if is_institution_admin_of(actor, institution.pk):
        return ALLOW
    return deny("only the institution's administrator reviews its access rights")


# How a person reads these actions about them in "who used my data" (none is about a person's
# data today; declared so that a later one reads well).
declare_use("administration.audit.read", _("Read the activity log"))
