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

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest

from durvis.catalog.models import Audience, Service, ServiceStatus
from durvis.identity.models import Company, Institution, Person, StaffMember, StaffRole
from durvis.identity.registers import enterprise_register, population_register
from durvis.register.models import ServiceCase


class Action(StrEnum):
    VIEW_SERVICE = "catalog.view_service"
    CREATE_SERVICE = "catalog.create_service"
    CHANGE_SERVICE = "catalog.change_service"
    ADMINISTER_CATALOG = "catalog.administer"
    ACT_FOR = "identity.act_for"
    MANAGE_INTEGRATIONS = "integrations.manage"
    CREATE_CASE = "register.create_case"
    READ_CASE = "register.read_case"
    UPDATE_CASE = "register.update_case"
    LIST_CASES = "register.list_cases"
    REGISTER_CONSULTATION = "register.register_consultation"
    # The e-account (A2, C3): a signed-in person reads or acts on a record (case, consultation,
    # document, message) of the client they act for.
    CLIENT_READ = "client.read"
    CLIENT_WRITE = "client.write"
    # An institution (its system or staff) sends a message or document to a client (C1, C2).
    SEND_TO_CLIENT = "messaging.send_to_client"
    # A person changes their own profile (contacts, notification language): only themself.
    CHANGE_OWN_PROFILE = "identity.change_own_profile"
    # An institution reads its clients' answers to its messages.
    READ_CLIENT_MESSAGES = "messaging.read_client_messages"
    # An administrator resets a colleague's second factor (a lost phone, A12); obj = the
    # StaffMember, or None: may the actor reset anybody's at all (the team page).
    RESET_STAFF_SECOND_FACTOR = "identity.reset_staff_second_factor"


@dataclass(frozen=True)
class ApiGrant:
    """What an API client's token allows: its institution, operations and services (None: every
    service the institution holds or provides)."""

    client_id: int
    institution_id: int
    institution_code: str
    operations: frozenset[str]
    service_ids: frozenset[int] | None

    def covers(self, service_id: int) -> bool:
        return self.service_ids is None or service_id in self.service_ids


@dataclass(frozen=True)
class Actor:
    """Who is asking: an anonymous visitor, a signed-in person, or a staff member."""

    kind: str = "anonymous"
    person: Person | None = None
    staff: StaffMember | None = None
    api: ApiGrant | None = None
    source_address: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.staff.roles) if self.staff else frozenset()

    @property
    def institution_id(self) -> int | None:
        if self.api:
            return self.api.institution_id
        return self.staff.institution_id if self.staff else None

    @property
    def institution_code(self) -> str:
        if self.api:
            return self.api.institution_code
        return self.staff.institution.code if self.staff else ""

    @property
    def audit_id(self) -> str:
        if self.api:
            return f"api:{self.api.client_id}"
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
    """The actor behind a request. Staff come from the session's user; persons (citizens) from
    the e-account sign-in (`durvis.identity.client_session`)."""
    from durvis.identity.client_session import signed_in_person
    from durvis.identity.services import staff_of

    address = request.META.get("REMOTE_ADDR")
    staff = staff_of(request.user)
    # Staff act as staff only after both sign-in factors (A12): a session that passed the
    # password alone is no one's.
    if staff is not None and _second_factor_verified(request):
        return Actor(kind="staff", staff=staff, source_address=address)
    person = signed_in_person(request)
    if person is not None:
        return Actor(kind="person", person=person, source_address=address)
    return Actor(source_address=address)


def _second_factor_verified(request: HttpRequest) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


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


def _manage_integrations(actor: Actor, institution: Any, client: Any) -> Decision:
    if isinstance(institution, Institution) and _is_institution_admin_of(actor, institution.pk):
        return ALLOW
    return deny("only the institution's administrator manages its integrations")


CASE_STAFF_ROLES = frozenset({StaffRole.AGENT, StaffRole.BACK_OFFICE})


def _case_rule(operation: str) -> Any:
    """Cases are read and changed by the systems and staff of their holder and provider."""

    def rule(actor: Actor, case: Any, client: Any) -> Decision:
        if not isinstance(case, ServiceCase):
            return deny("not a case")
        involved = {case.holder_id, case.provider_id}
        if actor.api is not None:
            if operation not in actor.api.operations:
                return deny(f"the client lacks the {operation} scope")
            if actor.api.institution_id not in involved:
                return deny("a case of another institution")
            if not actor.api.covers(case.service_id):
                return deny("the service is outside the client's scope")
            return ALLOW
        if actor.staff is not None and actor.institution_id in involved and (
            actor.roles & CASE_STAFF_ROLES
        ):
            return ALLOW
        return deny("not the holder's or provider's staff or system")

    return rule


def _service_rule(operation: str, *, allow_no_service: bool = False) -> Any:
    """New cases and consultations: the systems and staff of the service's holder or providers."""

    def rule(actor: Actor, service: Any, client: Any) -> Decision:
        if actor.api is not None:
            if operation not in actor.api.operations:
                return deny(f"the client lacks the {operation} scope")
        elif actor.staff is None or not (actor.roles & CASE_STAFF_ROLES):
            return deny("not a client-service system or employee")
        if service is None and allow_no_service:
            return ALLOW  # a consultation about a topic rather than a service
        if not isinstance(service, Service):
            return deny("not a service")
        if actor.api is not None and not actor.api.covers(service.pk):
            return deny("the service is outside the client's scope")
        institution_id = actor.institution_id
        if institution_id == service.holder_id or service.providers.filter(
            pk=institution_id
        ).exists():
            return ALLOW
        return deny("the institution neither holds nor provides the service")

    return rule


def _list_cases(actor: Actor, obj: Any, client: Any) -> Decision:
    """Lists of an institution's cases: its systems (with the scope) and its client-service
    staff (the staff start page lists the cases read-only)."""
    if actor.api is not None:
        if "cases:read" in actor.api.operations:
            return ALLOW
        return deny("the client lacks the cases:read scope")
    if actor.staff is not None and actor.roles & CASE_STAFF_ROLES:
        return ALLOW
    return deny("not a client-service system or employee")


def owner_of(record: Any) -> Person | Company | None:
    """The client a record belongs to: records of clients carry `client_person` and
    `client_company` (cases, consultations, documents, messages)."""
    company_id = getattr(record, "client_company_id", None)
    if company_id is not None:
        return Company(pk=company_id)
    person_id = getattr(record, "client_person_id", None)
    return Person(pk=person_id) if person_id is not None else None


def is_owner(record: Any, client: Person | Company) -> bool:
    """Whether the record belongs to this client (a person's own records are not a company's)."""
    owner = owner_of(record)
    return type(owner) is type(client) and owner is not None and owner.pk == client.pk


def owner_filter(client: Person | Company) -> Q:
    """The records of one client, as a filter on the `client_person`/`client_company` columns:
    a company's are the company's; a person's are those not made for a company."""
    if isinstance(client, Company):
        return Q(client_company=client)
    return Q(client_person=client, client_company__isnull=True)


def audit_subject(client: Person | Company) -> Person | None:
    """Whose personal data a record of this client is, for the activity log."""
    return client if isinstance(client, Person) else None


def _client_record(actor: Actor, record: Any, client: Any) -> Decision:
    """A person sees and acts on the records of the client they act for (themself, their minor
    child, their company), never another's. Without a record: may they act for the client."""
    if not _act_for(actor, None, client):
        return deny("may not act for this client")
    if record is None:
        return ALLOW
    if is_owner(record, client):
        return ALLOW
    return deny("the record belongs to another client")


def _own_profile(actor: Actor, person: Any, client: Any) -> Decision:
    """Contacts and language are the signed-in person's own: a parent acting for a child or a
    representative for a company does not change them (the codes go to the person)."""
    if actor.person is not None and isinstance(person, Person) and actor.person.pk == person.pk:
        return ALLOW
    return deny("only the person themself changes their profile")


def _institution_rule(operation: str) -> Any:
    """An institution's system (with the scope) or its client-service staff writes to or reads
    from its clients' e-accounts; about a case, only if it holds or provides the case."""

    def rule(actor: Actor, case: Any, client: Any) -> Decision:
        if actor.api is not None:
            if operation not in actor.api.operations:
                return deny(f"the client lacks the {operation} scope")
        elif actor.staff is None or not (actor.roles & CASE_STAFF_ROLES):
            return deny("not a client-service system or employee")
        if case is None:
            return ALLOW
        if not isinstance(case, ServiceCase):
            return deny("not a case")
        if actor.institution_id not in {case.holder_id, case.provider_id}:
            return deny("a case of another institution")
        if actor.api is not None and not actor.api.covers(case.service_id):
            return deny("the service is outside the client's scope")
        return ALLOW

    return rule


def _reset_staff_second_factor(actor: Actor, member: Any, client: Any) -> Decision:
    """An institution's administrator resets the second factor of its staff, a platform
    administrator anybody's; never their own: an administrator who lost the phone asks another,
    so that whoever holds one administrator's session cannot swap in a device of their own."""
    if actor.staff is None:
        return deny("only staff reset a second factor")
    is_platform_admin = actor.has_role(StaffRole.PLATFORM_ADMIN)
    if member is None:
        if is_platform_admin or actor.has_role(StaffRole.INSTITUTION_ADMIN):
            return ALLOW
        return deny("not an administrator")
    if not isinstance(member, StaffMember):
        return deny("not a staff member")
    if member.pk == actor.staff.pk:
        return deny("nobody resets their own second factor")
    if is_platform_admin or _is_institution_admin_of(actor, member.institution_id):
        return ALLOW
    return deny("only the staff member's institution administrator or a platform administrator")


@dataclass(frozen=True)
class CaseScope:
    """The cases a list may show an actor: those of one institution (as holder or provider),
    optionally only of some services. The register turns it into an indexed query, so its cost
    does not grow with the number of services."""

    institution_id: int
    service_ids: frozenset[int] | None


def case_scope(actor: Actor) -> CaseScope:
    """The scope of case lists for an actor allowed to list cases (see LIST_CASES)."""
    if not decide(actor, Action.LIST_CASES) or actor.institution_id is None:
        raise PermissionDenied("may not list cases")
    return CaseScope(actor.institution_id, actor.api.service_ids if actor.api else None)


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
    Action.MANAGE_INTEGRATIONS: _manage_integrations,
    Action.CREATE_CASE: _service_rule("cases:write"),
    Action.READ_CASE: _case_rule("cases:read"),
    Action.UPDATE_CASE: _case_rule("cases:write"),
    Action.LIST_CASES: _list_cases,
    Action.REGISTER_CONSULTATION: _service_rule("consultations:write", allow_no_service=True),
    Action.CLIENT_READ: _client_record,
    Action.CLIENT_WRITE: _client_record,
    Action.SEND_TO_CLIENT: _institution_rule("messages:write"),
    Action.READ_CLIENT_MESSAGES: _institution_rule("messages:read"),
    Action.CHANGE_OWN_PROFILE: _own_profile,
    Action.RESET_STAFF_SECOND_FACTOR: _reset_staff_second_factor,
}
