"""Access rules of the request register (B1, B9): who registers, reads, changes and lists service
cases and consultations, and the API scopes that open them. Registered into the one policy
(`durvis.access.policy`) when the app loads.

Cases are handled by the systems and client-service staff of their holder (pakalpojuma turētājs)
and their provider (pakalpojuma sniedzējs); a system only with the scope and within the services
its token covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, decide, deny, rule
from durvis.audit.queries import declare_purpose, declare_use
from durvis.catalog.models import Service, Stage
from durvis.catalog.queries import delegated, serves
from durvis.core.actor import Actor
from durvis.identity.models import StaffRole
from durvis.identity.rules import IdentityAction, has_base_relation
from durvis.integrations.rules import declare_scope
from durvis.register.models import ServiceCase, WorkTime

CASES_READ = declare_scope("cases:read", _("Read cases and their history"), owner="register")
CASES_WRITE = declare_scope("cases:write", _("Create cases, post statuses and results"),
                            owner="register")
CONSULTATIONS_WRITE = declare_scope("consultations:write", _("Register consultations"),
                                    owner="register")

CASE_STAFF_ROLES = frozenset({StaffRole.AGENT, StaffRole.BACK_OFFICE})


class CaseAction(StrEnum):
    CREATE_CASE = "register.create_case"
    READ_CASE = "register.read_case"
    UPDATE_CASE = "register.update_case"
    LIST_CASES = "register.list_cases"
    REGISTER_CONSULTATION = "register.register_consultation"
    # obj = the case (or consultation), client = its client: give the client's rating (B1).
    RATE_CASE = "register.rate_case"
    # obj = a `ProfilePurpose`, client = the Person: may the actor open the client's 360° view
    # for that purpose (B4; issue 16).
    VIEW_PROFILE = "register.view_profile"
    # obj = a `WorkTime`: may the actor correct the recorded time (D2; issue 16).
    CORRECT_WORK = "register.correct_work"
    # obj = the case: may the actor hand its result to the client at the counter (B3, A1).
    DELIVER_RESULT = "register.deliver_result"
    # obj = a `CaseStage` (a case and a stage): may the actor do that stage of the case, such
    # as hand out its result (result delivery) or decide it (execution) (A1, B3; issue 16).
    CASE_STAGE = "register.case_stage"


def _case_rule(scope: str) -> Callable[[Actor, Any, Any], Decision]:
    def case_rule(actor: Actor, case: Any, client: Any) -> Decision:
        """Cases are read and changed by the systems and staff of their holder and provider."""
        if not isinstance(case, ServiceCase):
            return deny("not a case")
        involved = {case.holder_id, case.provider_id}
        if actor.api is not None:
            if scope not in actor.api.operations:
                return deny(f"the client lacks the {scope} scope")
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

    return case_rule


def _cases_of_institution(actor: Actor, client: Any) -> Q:
    """The cases a list shows: those of the actor's institution, within its token's services."""
    system = actor.api is not None and CASES_READ in actor.api.operations
    staff = actor.staff is not None and bool(actor.roles & CASE_STAFF_ROLES)
    if not (system or staff) or actor.institution_id is None:
        return Q(pk__in=[])
    q = Q(holder_id=actor.institution_id) | Q(provider_id=actor.institution_id)
    if actor.api is not None and actor.api.service_ids is not None:
        q &= Q(service_id__in=actor.api.service_ids)
    return q


rule(CaseAction.READ_CASE, list_filter=_cases_of_institution)(_case_rule(CASES_READ))
rule(CaseAction.UPDATE_CASE)(_case_rule(CASES_WRITE))


def _service_rule(scope: str, stage: str | None, *, allow_no_service: bool = False
                  ) -> Callable[[Actor, Any, Any], Decision]:
    def service_rule(actor: Actor, service: Any, client: Any) -> Decision:
        """New cases and consultations: the systems and staff of the service's holder or of a
        provider it delegated the stage to (`stage`: application for a case, information for
        a consultation; None: any), in force today (A1, B3)."""
        if actor.api is not None:
            if scope not in actor.api.operations:
                return deny(f"the client lacks the {scope} scope")
        elif actor.staff is None or not (actor.roles & CASE_STAFF_ROLES):
            return deny("not a client-service system or employee")
        if service is None and allow_no_service:
            return ALLOW  # a consultation about a topic rather than a service
        if not isinstance(service, Service):
            return deny("not a service")
        if actor.api is not None and not actor.api.covers(service.pk):
            return deny("the service is outside the client's scope")
        if serves(service, actor.institution_id, stage):
            return ALLOW
        if stage is None:
            return deny("the institution neither holds nor provides the service")
        return deny(f"the institution neither holds the service nor has its {stage} stage",
                    _STAGE_REFUSALS[stage])

    return service_rule


_STAGE_REFUSALS: dict[str, Any] = {
    Stage.INFORMATION: _("The holder of this service has not delegated consultations about it "
                         "to your institution."),
    Stage.APPLICATION: _("The holder of this service has not delegated taking its applications "
                         "to your institution."),
    Stage.EXECUTION: _("The holder of this service has not delegated its execution to your "
                       "institution."),
    Stage.RESULT_DELIVERY: _("The holder of this service has not delegated handing out its "
                             "results to your institution."),
}

_institution_creates = _service_rule(CASES_WRITE, Stage.APPLICATION)
_institution_serves = _service_rule(CASES_WRITE, None)


@dataclass(frozen=True)
class CaseStage:
    """A stage of one case (`catalog.models.Stage` value) an actor wants to do: the question
    of `CaseAction.CASE_STAGE`."""

    case: ServiceCase
    stage: str


@rule(CaseAction.CASE_STAGE)
def case_stage(actor: Actor, act: Any, client: Any) -> Decision:
    """A stage of a case: whoever may change the case (`UPDATE_CASE`: its holder's or its
    provider's systems and staff), when the institution is the holder or has that stage of the
    case's service delegated today (A1, B3): the centre that took an application hands out the
    result only with the result delivery stage, decides it only with execution."""
    if not isinstance(act, CaseStage) or act.stage not in Stage.values:
        return deny("a case and a stage")
    decision = decide(actor, CaseAction.UPDATE_CASE, act.case)
    if not decision:
        return decision
    if actor.institution_id == act.case.holder_id or delegated(
            act.case.service, actor.institution_id, act.stage):
        return ALLOW
    return deny(f"the institution neither holds the service nor has its {act.stage} stage",
                _STAGE_REFUSALS[act.stage])


class ProfileBasis(StrEnum):
    """What a 360° view rests on (GDPR art. 6): the client's consent given in the conversation,
    a case of the client being handled, or a task the law gives the institution."""

    CONSENT = "consent"
    CASE = "case"
    LAW = "law"


@dataclass(frozen=True)
class ProfilePurpose:
    """Why a specialist opens a client's 360° view: the `service` being handled, the `basis`,
    and for a case basis the `case` (of that service and client)."""

    service: Service
    basis: str
    case: ServiceCase | None = None


@rule(CaseAction.VIEW_PROFILE)
def view_profile(actor: Actor, purpose: Any, client: Any) -> Decision:
    """A client-service or back-office specialist opens a person's 360° view only for a service
    their institution holds or provides, on a recorded basis (consent, law, or a case of that
    service and client) — purpose limitation (B4, GDPR art. 5(1)(b))."""
    if actor.staff is None or not (actor.roles & CASE_STAFF_ROLES):
        return deny("not a client-service employee")
    if not isinstance(purpose, ProfilePurpose) or purpose.basis not in set(ProfileBasis):
        return deny("a purpose and its basis")
    decision = _institution_serves(actor, purpose.service, client)
    if not decision:
        return decision
    if purpose.basis == ProfileBasis.CASE:
        case = purpose.case
        if case is None or case.service_id != purpose.service.pk or (
                case.client_person_id != getattr(client, "pk", None)):
            return deny("the case is not this client's case of this service")
    return ALLOW


@rule(CaseAction.CREATE_CASE)
def create_case(actor: Actor, service: Any, client: Any) -> Decision:
    """New cases: the systems and staff of the service's holder or providers; and a signed-in
    person submitting an e-form application (A10, B1) for a published service, for the client
    they act in the name of (themself, a minor child, a company they represent alone:
    `client.write`). `open_case` holds a person to the e-account channel, the signed-in level
    and the holder as provider."""
    if actor.person is not None and actor.staff is None and actor.api is None:
        if not isinstance(service, Service):
            return deny("not a service")
        if client is None:
            return deny("a person opens a case only for a client they act for")
        return decide(actor, IdentityAction.CLIENT_WRITE, None, client)
    return _institution_creates(actor, service, client)


rule(CaseAction.REGISTER_CONSULTATION)(_service_rule(CONSULTATIONS_WRITE, Stage.INFORMATION,
                                                     allow_no_service=True))


@rule(CaseAction.LIST_CASES)
def list_cases(actor: Actor, obj: Any, client: Any) -> Decision:
    """Lists of an institution's cases: its systems with the cases:read scope (B9) and its
    client-service staff (the staff start page lists them read-only)."""
    if actor.api is not None:
        return ALLOW if actor.has_scope(CASES_READ) else deny(
            "the client lacks the cases:read scope")
    if actor.staff is not None and actor.roles & CASE_STAFF_ROLES:
        return ALLOW
    return deny("not a client-service system or employee")


def institution_case_rule(scope: str) -> Callable[[Actor, Any, Any], Decision]:
    """A rule for an institution's system (with `scope`) or its client-service staff acting on
    its clients' e-accounts; about a case, only if it holds or provides the case (C1, C2).
    Used by the documents and messaging rules."""

    def institution_rule(actor: Actor, case: Any, client: Any) -> Decision:
        if actor.api is not None:
            if scope not in actor.api.operations:
                return deny(f"the client lacks the {scope} scope")
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

    return institution_rule


@dataclass(frozen=True)
class CaseScope:
    """The cases a list may show an actor: those of one institution (as holder or provider),
    optionally only of some services. The register turns it into an indexed query, so its cost
    does not grow with the number of services."""

    institution_id: int
    service_ids: frozenset[int] | None


def case_scope(actor: Actor) -> CaseScope:
    """The scope of case lists for an actor allowed to list cases (`LIST_CASES`). Raises
    PermissionDenied for anybody else."""
    if not decide(actor, CaseAction.LIST_CASES) or actor.institution_id is None:
        raise PermissionDenied("may not list cases")
    return CaseScope(actor.institution_id, actor.api.service_ids if actor.api else None)


# How the person reads what staff and systems did with their data ("who used my data", B4, B5).
declare_purpose("staff start page", _("Looked up at the institution's workplace"))  # older rows
declare_purpose("staff case page", _("Opened your case at the institution's workplace"))
declare_purpose("client service", _("Serving you about a service at a client-service centre or "
                                    "the call centre"))
declare_use("register.case.read", _("Read your case"))
declare_use("register.client.verify", _("Checked who you are when you called"))
declare_use("register.client.verify_failed", _("Someone calling in your name did not pass the "
                                               "identity check"))
declare_use("register.case.open", _("Registered a case for you"))
declare_use("register.case.status", _("Changed the status of your case"))
declare_use("register.case.result", _("Gave the result of your case"))
declare_use("register.case.result_handed_out", _("Handed you the result of your case in person"))
declare_use("register.case.acknowledge", _("Acknowledged your case"))
declare_use("register.consultation.create", _("Registered a consultation with you"))


@rule(CaseAction.DELIVER_RESULT)
def deliver_result(actor: Actor, case: Any, client: Any) -> Decision:
    """Client-service agents of the case's holder, or of a provider with the result delivery
    stage delegated, hand its result out in person (B3: "hand out a result at the counter");
    systems record results through the API."""
    if not isinstance(case, ServiceCase):
        return deny("not a case")
    if actor.staff is None or StaffRole.AGENT not in actor.roles:
        return deny("only a client-service agent hands out a result")
    return decide(actor, CaseAction.CASE_STAGE, CaseStage(case, Stage.RESULT_DELIVERY))


@rule(CaseAction.CORRECT_WORK)
def correct_work(actor: Actor, work: Any, client: Any) -> Decision:
    """Only the one who worked corrects their recorded time (D2: "correctable by the agent
    with a reason"); a supervisor sees it, corrected or not, in the load view."""
    if not isinstance(work, WorkTime):
        return deny("not a working-time record")
    if actor.staff is None or actor.staff.pk != work.staff_id:
        return deny("only the one who worked corrects the time")
    return ALLOW


@rule(CaseAction.RATE_CASE)
def rate_case(actor: Actor, case: Any, client: Any) -> Decision:
    """The rating is the client's own opinion of the service (B1): given by the client, or by
    whoever may act in the client's name by the base registers (a parent for a minor child, a
    company's representative who may act alone: `client.write`). A mandate's holder does not
    rate the grantor's case, whatever its rights (docs/mandates.md)."""
    decision = decide(actor, IdentityAction.CLIENT_WRITE, case, client=client)
    if not decision:
        return decision
    if not has_base_relation(actor, client):
        return deny("a mandate does not let its holder rate the grantor's case",
                    _("Only the client rates the case (or a parent of a minor client, or a "
                      "representative of the company): acting by a mandate does not let you "
                      "rate it."))
    return ALLOW
