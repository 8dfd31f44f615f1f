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
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.identity.models import StaffRole
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


def _serves(actor: Actor, service: Service) -> bool:
    institution_id = actor.institution_id
    return service.holder_id == institution_id or service.providers.filter(
        pk=institution_id).exists()


def _system_rule(scope: str, action: str):  # type: ignore[no-untyped-def]
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
        if _serves(actor, service):
            return ALLOW
        return deny("the institution neither holds nor provides the service")

    system_rule.__doc__ = (f"{action}: a system of the service's holder or provider with the "
                           f"{scope} scope covering the service (B9).")
    return system_rule


def _application_services(actor: Actor, client: Any) -> Q:
    """The services whose applications a system lists: those its institution holds or
    provides, within its token's services."""
    if actor.api is None or APPLICATIONS_READ not in actor.api.operations:
        return Q(pk__in=[])
    q = Q(holder_id=actor.api.institution_id) | Q(providers=actor.api.institution_id)
    if actor.api.service_ids is not None:
        q &= Q(pk__in=actor.api.service_ids)
    return q


rule(FormAction.READ_APPLICATIONS, list_filter=_application_services)(
    _system_rule(APPLICATIONS_READ, "Reading submitted applications"))
rule(FormAction.PREFILL)(_system_rule(APPLICATIONS_PREFILL, "Opening a form with a prefill"))
