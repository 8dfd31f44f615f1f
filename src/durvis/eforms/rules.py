"""Access rules of e-forms (A10, A5, B9): who builds a service's form, and which institutions'
systems receive the applications submitted through it (the API scopes `applications:read` and
`applications:prefill`). Registered into the one policy (`durvis.access.policy`) when the app
loads.

Submitted applications are delivered to the systems of the service's holder and its providers
(pakalpojuma turētājs, sniedzējs; B9), within the services the system's token covers, the same
institutions that read the case the application opened (`durvis.register.rules`).

The holder builds and maintains the e-forms of its services (seed 4.3.5, "the holder builds and
maintains the e-forms for application and result delivery"): staff of the holder institution
with the form-builder role, which the institution's administrator grants. Another institution's
services are refused, whatever the role.

The citizen's application journey (A10, A3, A2): a signed-in person applies for a published
service with a live e-form in the role they act in (`ApplicationAction.APPLY`: themself or a
minor child for a service for residents, a company for a service for companies; a company only
by a representative who may act alone, as `client.write`), and reads and changes their own
applications only through the identity rules (`client.read` / `client.write`: the same
joint-representation refusal as every other act in a company's name).

The e-service assistant (A3; seed 4.4.1.4, 4.2): an agent at a client-service centre
(`StaffRole.AGENT`) of an institution that holds or provides a service the holder marked as
executable with the assistant (`Service.assistant_allowed`) fills in an application for a person
who is present, or for a company whose representative is present (`AssistantAction.ASSIST`),
with the agent's own rights, and then fills in,
reads and submits only the assisted applications of their own institution (the application
rules below admit them for those). The monthly list of signed originals is their institution's
(`AssistantAction.ORIGINALS`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, decide, deny, rule
from durvis.audit.queries import declare_purpose, declare_use
from durvis.catalog.models import Audience, Service, ServiceStatus, Stage
from durvis.catalog.queries import serves, serving
from durvis.core.actor import Actor
from durvis.eforms.models import Application, AssistedApplication
from durvis.identity.models import Company, Person, StaffRole
from durvis.identity.rules import IdentityAction, client_records_filter
from durvis.integrations.rules import declare_scope

APPLICATIONS_READ = declare_scope(
    "applications:read", _("Receive submitted applications: answers, attachments, PDF copy"),
    owner="eforms")
APPLICATIONS_PREFILL = declare_scope(
    "applications:prefill", _("Open a service's e-form for a client with prefilled answers"),
    owner="eforms")


class FormAction(StrEnum):
    # obj = the catalogue Service whose form is built, or None: may the actor open the builder.
    BUILD = "eforms.build"
    # obj = a catalogue Service (its applications) or None: may the actor list applications.
    READ_APPLICATIONS = "eforms.read_applications"
    # obj = the catalogue Service whose form a holder's system opens with a prefill.
    PREFILL = "eforms.prefill"


class ApplicationAction(StrEnum):
    # obj = the catalogue Service applied for; client = the Person or Company of the role.
    APPLY = "eforms.apply"
    # obj = the Application (None: the client's list); client = the role's client.
    READ = "eforms.application.read"
    WRITE = "eforms.application.write"


def _buildable(actor: Actor, client: Any) -> Q:
    """The services whose forms the actor builds: their institution's, if a form builder."""
    if actor.staff is None or not actor.has_role(StaffRole.FORM_BUILDER):
        return Q(pk__in=[])
    return Q(holder_id=actor.institution_id)


@rule(FormAction.BUILD, list_filter=_buildable)
def build(actor: Actor, service: Any, client: Any) -> Decision:
    """A form builder of the holder institution builds, previews, publishes and retires the
    e-forms of its services (A10, A5); without a service: whether they may open the builder."""
    if actor.staff is None or not actor.has_role(StaffRole.FORM_BUILDER):
        return deny("not a form builder")
    if service is None:
        return ALLOW
    if not isinstance(service, Service):
        return deny("not a service")
    if service.holder_id == actor.institution_id:
        return ALLOW
    return deny("a service of another institution")


def _serves(actor: Actor, service: Service, stage: str) -> bool:
    """The actor's institution holds the service or has its `stage` delegated today."""
    return serves(service, actor.institution_id, stage)


def _system_rule(scope: str, action: str, stage: str) -> Callable[[Actor, Any, Any], Decision]:
    def system_rule(actor: Actor, service: Any, client: Any) -> Decision:
        if actor.api is None:
            return deny("not an institution's system")
        if scope not in actor.api.operations:
            return deny(f"the client lacks the {scope} scope")
        if service is None:
            return ALLOW
        if not isinstance(service, Service):
            return deny("not a service")
        if not actor.api.covers(service.pk):
            return deny("the service is outside the client's scope")
        if _serves(actor, service, stage):
            return ALLOW
        return deny(f"the institution neither holds the service nor has its {stage} stage")

    system_rule.__doc__ = (f"{action}: a system of the service's holder or of a provider with "
                           f"its {stage} stage delegated (A1), with the {scope} scope covering "
                           "the service (B9).")
    return system_rule


def _application_services(actor: Actor, client: Any) -> Q:
    """The services whose applications a system lists: those its institution holds or whose
    execution stage it has today, within its token's services."""
    if actor.api is None or APPLICATIONS_READ not in actor.api.operations:
        return Q(pk__in=[])
    q = serving(actor.api.institution_id, Stage.EXECUTION)
    if actor.api.service_ids is not None:
        q &= Q(pk__in=actor.api.service_ids)
    return q


rule(FormAction.READ_APPLICATIONS, list_filter=_application_services)(
    _system_rule(APPLICATIONS_READ, "Reading submitted applications", Stage.EXECUTION))
rule(FormAction.PREFILL)(_system_rule(APPLICATIONS_PREFILL, "Opening a form with a prefill",
                                      Stage.APPLICATION))


def _audience_fits(service: Service, client: Any) -> bool:
    """A service for residents is applied for by a person, one for companies by a company."""
    if service.audience == Audience.ALL:
        return True
    if isinstance(client, Company):
        return bool(service.audience == Audience.COMPANIES)
    return bool(service.audience == Audience.RESIDENTS)


@rule(ApplicationAction.APPLY)
def apply(actor: Actor, service: Any, client: Any) -> Decision:
    """A signed-in person starts an application for a published service, for the client they
    may act in the name of (themself, a minor child, a company they represent alone: the
    identity rule `client.write`), when the service's audience is that kind of client (A10, A3,
    C1)."""
    if actor.person is None or actor.staff is not None or actor.api is not None:
        return deny("only a signed-in person applies")
    if not isinstance(service, Service):
        return deny("not a service")
    if service.status != ServiceStatus.PUBLISHED:
        return deny("the service is not published")
    acting = decide(actor, IdentityAction.USE_SERVICE, service, client)
    if not acting:
        return acting
    if not _audience_fits(service, client):
        explanation = (_("This service is for companies: switch to the company's role to "
                         "apply.") if service.audience == Audience.COMPANIES else
                       _("This service is for residents: switch to your own role to apply."))
        return deny("the service is not for this kind of client", explanation)
    return ALLOW


class AssistantAction(StrEnum):
    # obj = the catalogue Service (None: may the actor open the assistant at all); client = the
    # Person served (None: not yet identified).
    ASSIST = "eforms.assist"
    # obj = None: may the actor see the institution's list of signed originals; list filter on
    # AssistedApplication.
    ORIGINALS = "eforms.assist.originals"


def _is_agent(actor: Actor) -> bool:
    return actor.staff is not None and actor.api is None and actor.has_role(StaffRole.AGENT)


@rule(AssistantAction.ASSIST)
def assist(actor: Actor, service: Any, client: Any) -> Decision:
    """A client-service agent (`StaffRole.AGENT`) of the service's holder or of one of its
    providers fills in and submits, with their own rights, an application for a published
    service that its holder marked as executable with the assistant, for a person who is
    present, when the service is for residents (A3; seed 4.4.1.4: "only for e-services the
    holder marked"). Without a service: whether they may open the assistant."""
    if not _is_agent(actor):
        return deny("not a client-service agent",
                    _("Only a client-service agent uses the e-service assistant."))
    if service is None:
        return ALLOW
    if not isinstance(service, Service):
        return deny("not a service")
    if service.status != ServiceStatus.PUBLISHED:
        return deny("the service is not published", _("This service is not published."))
    if not service.assistant_allowed:
        return deny("the holder has not marked the service for the assistant", _(
            "The holder of this service has not marked it as executable with the e-service "
            "assistant: the client applies in the e-account or through the holder."))
    if not _serves(actor, service, Stage.APPLICATION):
        return deny("the institution neither holds the service nor has its application stage", _(
            "Your institution neither holds this service nor takes applications for it: only "
            "the agents of its holder and of the providers it delegated the application stage "
            "to use the assistant for it."))
    if client is not None and not isinstance(client, Person | Company):
        return deny("not a client")
    if client is not None and not _audience_fits(service, client):
        return deny("the service is not for this kind of client", _(
            "This service is for residents: the assistant serves a company only for a service "
            "for companies.") if isinstance(client, Company) else _(
            "This service is for companies: enter the company's registration number and the "
            "personal code of the person who represents it."))
    return ALLOW


def _originals(actor: Actor, client: Any) -> Q:
    """The assisted applications in the originals list: the actor's institution's."""
    if not _is_agent(actor):
        return Q(pk__in=[])
    return Q(institution_id=actor.institution_id)


@rule(AssistantAction.ORIGINALS, list_filter=_originals)
def originals(actor: Actor, assisted: Any, client: Any) -> Decision:
    """A centre's agents see the signed originals their institution collected, to send them
    to the holders month by month (A3)."""
    if not _is_agent(actor):
        return deny("not a client-service agent")
    if assisted is None:
        return ALLOW
    if isinstance(assisted, AssistedApplication) and assisted.institution_id == actor.institution_id:
        return ALLOW
    return deny("another institution's original")


def _assisting(actor: Actor, application: Any, client: Any) -> Decision:
    """An agent on an assisted application of their institution, while the assistant may still
    be used for its service and client (`ASSIST`)."""
    if not isinstance(application, Application):
        return deny("an agent acts only on an assisted application")
    assisted = AssistedApplication.objects.filter(application_id=application.pk).values_list(
        "institution_id", flat=True).first()
    if assisted is None:
        return deny("not an assisted application")
    if assisted != actor.institution_id:
        return deny("an assisted application of another institution")
    if client is not None and not (
            (isinstance(client, Company) and application.client_company_id == client.pk)
            or (isinstance(client, Person) and application.client_company_id is None
                and application.client_person_id == client.pk)):
        return deny("the application of another client")
    return decide(actor, AssistantAction.ASSIST, application.service, client)


def _assisted_filter(actor: Actor, client: Any) -> Q:
    """The list filter of `_assisting`: the assisted applications of the agent's institution,
    for services marked, published and held or provided by it, of `client` (a person, for a
    service for residents; a company, for a service for companies) when one is named."""
    institution_id = actor.institution_id
    served = Service.objects.filter(serving(institution_id, Stage.APPLICATION),
                                    status=ServiceStatus.PUBLISHED, assistant_allowed=True)
    q = Q(assisted__institution_id=institution_id, service__in=served)
    if client is None:
        return q
    if isinstance(client, Company):
        return q & Q(client_company=client,
                     service__audience__in=[Audience.COMPANIES, Audience.ALL])
    if not isinstance(client, Person):
        return Q(pk__in=[])
    return q & Q(client_person=client, client_company__isnull=True,
                 service__audience__in=[Audience.RESIDENTS, Audience.ALL])


def _own_applications(action: str) -> Any:
    def list_filter(actor: Actor, client: Any) -> Q:
        if _is_agent(actor):
            return _assisted_filter(actor, client)
        return visible_filter(actor, action, client)
    return list_filter


def visible_filter(actor: Actor, action: str, client: Any) -> Q:
    """The applications of `client` the actor may read (or act on): all of them by a base
    relation, those of the services in scope under a mandate (`identity.rules`)."""
    return client_records_filter(actor, action, client, Application)


@rule(ApplicationAction.READ, list_filter=_own_applications(IdentityAction.CLIENT_READ))
def read_application(actor: Actor, application: Any, client: Any) -> Decision:
    """A person sees the applications of the client they act for (`client.read`: every
    representative of a company, jointly or alone), never another client's (A2, C1); an agent
    the assisted applications of their institution (A3, `_assisting`)."""
    if _is_agent(actor):
        return _assisting(actor, application, client)
    return decide(actor, IdentityAction.CLIENT_READ, application, client)


@rule(ApplicationAction.WRITE, list_filter=_own_applications(IdentityAction.CLIENT_WRITE))
def write_application(actor: Actor, application: Any, client: Any) -> Decision:
    """A person fills in, submits or discards an application of the client in whose name they
    act (`client.write`: a company's representative who may act only jointly is refused with
    the explanation) (A10, C1, A12); an agent the assisted applications of their institution,
    for services still marked for the assistant (A3, `_assisting`)."""
    if _is_agent(actor):
        return _assisting(actor, application, client)
    return decide(actor, IdentityAction.CLIENT_WRITE, application, client)


# How the person reads what staff and systems did with their data ("who used my data", B4, B5).
declare_purpose("delivery to the holder's system", _("Delivering your application to the institution"))
declare_use("eforms.application.read", _("Read your application"))
declare_use("eforms.application.attachment.read", _("Opened a file of your application"))
declare_use("eforms.application.start", _("Started an application for you"))
declare_use("eforms.application.save", _("Filled in your application"))
declare_use("eforms.application.submit", _("Submitted your application"))
declare_use("eforms.application.discard", _("Discarded your draft application"))
declare_use("eforms.assistant.identify", _("Identified you at a client-service centre"))
declare_use("eforms.assistant.summary", _("Printed the summary of your application"))
declare_use("eforms.assistant.scan", _("Attached your signed application"))
declare_use("eforms.assistant.confirm", _("Submitted your application at a client-service centre"))
declare_use("eforms.prefill.create", _("Prepared a prefilled application for you"))
