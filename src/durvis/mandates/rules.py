"""Access rules of mandates (C1, A2, A12), and the relation mandates add to acting-for.

`identity.rules` decides acting for a client: first the base registers, then every relation
registered in `identity.rules.RELATIONS`. Mandates sit above identity, so they register their
provider here (`mandate`): the grants come from `queries.grants`, right by right and scope by
scope. Managing a client's mandates (grant, revoke, confirm or refuse a request made to it, see
its lists) is for whoever acts for it by the base registers and may act in its name: the person
themself, a parent for a minor child, a company's representative who may act alone — never by a
mandate (a mandate does not let its holder hand out or end other mandates; passing one on is
`services.grant` with a parent).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.identity.models import Company, Person, StaffRole
from durvis.identity.rules import (
    RELATIONS,
    ClientRight,
    IdentityAction,
    RelationProvider,
    has_base_relation,
)
from durvis.mandates import queries


class MandateAction(StrEnum):
    # client = the grantor or grantee whose mandates are managed (obj unused).
    MANAGE = "mandates.manage"
    # obj = a mandate, client = the role's client: see the mandate's page.
    VIEW = "mandates.view"
    # obj = the catalogue Service applied for, client = the Person or Company served: may an
    # agent submit an assisted application for the client on a mandate the client granted to
    # the agent's institution (A3), without the client's signed paper.
    ASSIST_UNDER = "mandates.assist_under"
    # client = the grantor: may a client-service agent record a mandate of the grantor on paper
    # (a signed paper scanned at a centre, a notarial deed) with the signer in front of them.
    RECORD_ON_PAPER = "mandates.record_on_paper"


RELATIONS.register(RelationProvider("mandate", queries.grants, queries.client_ids))


@rule(MandateAction.MANAGE)
def manage(actor: Actor, obj: Any, client: Any) -> Decision:
    """A person manages the mandates of a client they act for by the base registers and may
    act in the name of (themself, a minor child, a company they represent alone)."""
    if actor.person is None:
        return deny("only a signed-in person manages mandates")
    if not isinstance(client, Person | Company):
        return deny("unknown client")
    if not has_base_relation(actor, client):
        return deny("a mandate does not give power over mandates")
    if isinstance(client, Person) and client.pk == actor.person.pk and client.is_minor(
            timezone.localdate()):
        return deny("a minor's mandates are managed by their parents", _(
            "A minor's mandates are granted and revoked by their parents."))
    from durvis.access.policy import decide

    return ALLOW if decide(actor, IdentityAction.CLIENT_WRITE, None, client) else deny(
        "may not act in the client's name")


@rule(MandateAction.VIEW)
def view(actor: Actor, obj: Any, client: Any) -> Decision:
    """A mandate's page is seen by whoever manages the mandates of the client it was granted by
    or to (`manage`), and by its holder acting for its grantor (the person it was granted to, a
    representative of the company it was granted to): the case pages link the mandate a case
    was submitted under."""
    if actor.person is None or obj is None:
        return deny("only a signed-in person sees a mandate")
    sides = [obj.grantor, obj.grantee]
    if any(type(side) is type(client) and side.pk == client.pk for side in sides) and bool(
            manage(actor, None, client)):
        return ALLOW
    grantor = obj.grantor
    if type(grantor) is type(client) and grantor.pk == client.pk and queries.holds(
            actor.person, obj):
        return ALLOW
    return deny("neither side of the mandate nor its holder")


@rule(MandateAction.ASSIST_UNDER)
def assist_under(actor: Actor, service: Any, client: Any) -> Decision:
    """A client-service agent (`StaffRole.AGENT`) submits an assisted application for `client`
    on a mandate the client granted to the agent's institution (assisted service, issue 15
    A3): in force today (active, within its period: a revoked or expired one allows nothing
    from that moment), with the right to apply, its scope reaching `service`
    (`queries.held_by_institution`). Whether the agent may use the assistant for the service
    at all is the assistant's own rule (`eforms.assist`)."""
    if actor.staff is None or actor.api is not None or not actor.has_role(StaffRole.AGENT):
        return deny("not a client-service agent")
    if not isinstance(service, Service) or not isinstance(client, Person | Company):
        return deny("not a service and a client")
    if queries.held_by_institution(actor.institution_id, client, ClientRight.APPLY,
                                   service.pk) is None:
        return deny("no mandate of the client to the agent's institution for the service", _(
            "The client has granted your institution no mandate in force to apply for this "
            "service: the client signs the printed summary, and you attach its scan."))
    return ALLOW


@rule(MandateAction.RECORD_ON_PAPER)
def record_on_paper(actor: Actor, obj: Any, client: Any) -> Decision:
    """A client-service agent (`StaffRole.AGENT`, at any institution: the centres take papers
    for every institution, seed §C1) records a mandate of `client` (a person or a company)
    from a paper the signer brings. Whether the signer may grant for the client is asked of
    `manage` for the signer (`services.record_on_paper`), never of the agent."""
    if actor.staff is None or actor.api is not None or not actor.has_role(StaffRole.AGENT):
        return deny("not a client-service agent", _(
            "Only a client-service agent records a mandate on paper."))
    if not isinstance(client, Person | Company):
        return deny("unknown client")
    return ALLOW
