"""THE authorisation policy: may this actor do this action on this object, acting for this client?

Deny by default. Every view and API endpoint asks `decide` (or `allowed`); nothing else in the
code base re-implements a rule. The rules combine the staff member's role and institution, the
service's holder, and the client's relations from the base registers (a parent's rights over a
minor child, a company's representatives). Later issues add mandates and API-client scopes here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.http import HttpRequest

from durvis.catalog.models import Audience, Service, ServiceStatus
from durvis.identity.models import Company, Institution, Person, StaffMember, StaffRole
from durvis.identity.registers import enterprise_register, population_register


class Action(StrEnum):
    VIEW_SERVICE = "catalog.view_service"
    CREATE_SERVICE = "catalog.create_service"
    CHANGE_SERVICE = "catalog.change_service"
    ADMINISTER_CATALOG = "catalog.administer"
    ACT_FOR = "identity.act_for"


@dataclass(frozen=True)
class Actor:
    """Who is asking: an anonymous visitor, a signed-in person, or a staff member."""

    kind: str = "anonymous"
    person: Person | None = None
    staff: StaffMember | None = None
    source_address: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.staff.roles) if self.staff else frozenset()

    @property
    def institution_id(self) -> int | None:
        return self.staff.institution_id if self.staff else None

    @property
    def institution_code(self) -> str:
        return self.staff.institution.code if self.staff else ""

    @property
    def audit_id(self) -> str:
        if self.staff:
            return f"user:{self.staff.user_id}"
        if self.person:
            return f"person:{self.person.pk}"
        return ""

    def has_role(self, role: str) -> bool:
        return role in self.roles


ANONYMOUS = Actor()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = field(default="")

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True, "allowed")


def deny(reason: str) -> Decision:
    return Decision(False, reason)


def actor_from_request(request: HttpRequest) -> Actor:
    """The actor behind a request. Staff come from the session's user; persons (citizens) come
    from the e-account sign-in once it exists."""
    from durvis.identity.services import staff_of

    address = request.META.get("REMOTE_ADDR")
    staff = staff_of(request.user)
    if staff is not None:
        return Actor(kind="staff", staff=staff, source_address=address)
    return Actor(source_address=address)


def decide(actor: Actor, action: Action | str, obj: Any = None, client: Any = None) -> Decision:
    """The one question every part of the platform asks. Unknown actions are denied."""
    try:
        rule = _RULES[Action(action)]
    except (ValueError, KeyError):
        return deny("unknown action")
    return rule(actor, obj, client)


def allowed(actor: Actor, action: Action | str, obj: Any = None, client: Any = None) -> bool:
    return decide(actor, action, obj, client).allowed


def _view_service(actor: Actor, service: Any, client: Any) -> Decision:
    if not isinstance(service, Service):
        return deny("not a service")
    if service.status == ServiceStatus.PUBLISHED:
        if service.audience != Audience.INTERNAL:
            return ALLOW
        return ALLOW if actor.staff else deny("internal services are for employees")
    if _is_institution_admin_of(actor, service.holder_id):
        return ALLOW
    return deny("not published")


def _create_service(actor: Actor, institution: Any, client: Any) -> Decision:
    if not isinstance(institution, Institution):
        return deny("not an institution")
    if _is_institution_admin_of(actor, institution.pk):
        return ALLOW
    return deny("only the institution's administrator adds its services")


def _change_service(actor: Actor, service: Any, client: Any) -> Decision:
    if not isinstance(service, Service):
        return deny("not a service")
    if _is_institution_admin_of(actor, service.holder_id):
        return ALLOW
    return deny("only the holder institution's administrator changes a service")


def _administer_catalog(actor: Actor, obj: Any, client: Any) -> Decision:
    if actor.has_role(StaffRole.INSTITUTION_ADMIN):
        return ALLOW
    return deny("not an institution administrator")


def _act_for(actor: Actor, obj: Any, client: Any) -> Decision:
    """May a signed-in person act for `client`: themself, their minor child, a company they
    represent (C1)."""
    me = actor.person
    if me is None:
        return deny("only a signed-in person acts for a client")
    if isinstance(client, Person):
        if client.pk == me.pk:
            return ALLOW
        if population_register().is_parent_of(me, client):
            return ALLOW
        return deny("no relation to this person")
    if isinstance(client, Company):
        if any(r.company.pk == client.pk for r in enterprise_register().representations(me)):
            return ALLOW
        return deny("not a representative of this company")
    return deny("unknown client")


def _is_institution_admin_of(actor: Actor, institution_id: int | None) -> bool:
    return (
        actor.staff is not None
        and institution_id is not None
        and actor.institution_id == institution_id
        and actor.has_role(StaffRole.INSTITUTION_ADMIN)
    )


_RULES = {
    Action.VIEW_SERVICE: _view_service,
    Action.CREATE_SERVICE: _create_service,
    Action.CHANGE_SERVICE: _change_service,
    Action.ADMINISTER_CATALOG: _administer_catalog,
    Action.ACT_FOR: _act_for,
}
