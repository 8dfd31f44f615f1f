"""Access rules of identity (A12, C1): acting for a client (klients), a client's own records,
one's own profile, and staff administration. Registered into the one policy
(`durvis.access.policy`) when the app loads.

Whom a person may act for comes from the base registers: themself, a minor child (population
register, PMLP), a company they represent (enterprise register, UR). Mandates (pilnvaras) will
add to `ACT_FOR` here.

Joint representation (C1, A12): the enterprise register says whether a representative may act
alone (`Representation.may_act_alone`; a board member of a board that represents jointly may
not). Every representative may see the company's records (`CLIENT_READ`) and keep its inbox in
order (`CLIENT_ARRANGE`); acting in its name (`CLIENT_WRITE`: a message or an answer sent, a
document uploaded, a case or consultation rated) needs a representation that may act alone, and
a refusal carries the explanation the person is shown. (A second representative's co-signature
is not offered yet: acting jointly is done at the institution.) A parent acts alone for a minor
child.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.core.actor import Actor
from durvis.identity.models import Company, Person, StaffMember, StaffRole
from durvis.identity.queries import is_owner, owner_filter
from durvis.identity.registers import Representation, enterprise_register, population_register


class IdentityAction(StrEnum):
    ACT_FOR = "identity.act_for"
    # A signed-in person reads a record (case, consultation, document, conversation, message)
    # of the client they act for (A2, C3).
    CLIENT_READ = "client.read"
    # ... acts in the client's name: sends a message or an answer, uploads a document, rates a
    # case or consultation (binds a company: its representative must be one who may act alone).
    CLIENT_WRITE = "client.write"
    # ... keeps the client's e-account in order without acting in its name towards anybody
    # (archives a conversation): whoever may read it.
    CLIENT_ARRANGE = "client.arrange"
    CHANGE_OWN_PROFILE = "identity.change_own_profile"
    # obj = the StaffMember, or None: may the actor reset anybody's at all (the team page).
    RESET_STAFF_SECOND_FACTOR = "identity.reset_staff_second_factor"
    # obj = the StaffMember given or refused a role of `GRANTABLE_ROLES` (the form builder's).
    GRANT_STAFF_ROLE = "identity.grant_staff_role"


def is_institution_admin_of(actor: Actor, institution_id: int | None) -> bool:
    """Whether the actor is a signed-in administrator of that institution (A5, A7)."""
    return (
        actor.staff is not None
        and institution_id is not None
        and actor.institution_id == institution_id
        and actor.has_role(StaffRole.INSTITUTION_ADMIN)
    )


@rule(IdentityAction.ACT_FOR)
def act_for(actor: Actor, obj: Any, client: Any) -> Decision:
    """A signed-in person acts for themself, their minor child, a company they represent (C1)."""
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
        if _representations(me, client):
            return ALLOW
        return deny("not a representative of this company")
    return deny("unknown client")


def _representations(me: Person, company: Company) -> list[Representation]:
    """The person's current representations of the company (enterprise register): one per
    role they hold in it."""
    return [r for r in enterprise_register().representations(me) if r.company.pk == company.pk]


def joint_refusal(company: Company) -> Decision:
    """The refusal of an act in `company`'s name by a representative who may act only jointly
    with another, with the explanation the person is shown (C1, A12)."""
    return deny("joint representation: this representative may not act alone",
                _("You represent %(company)s only jointly with another representative, so you "
                  "can see its cases, messages and documents but cannot send, upload or rate "
                  "in its name alone. A representative who may act alone can do it, or you can "
                  "act together with another representative at the institution.")
                % {"company": company.name})


def act_in_name_of(actor: Actor, client: Any) -> Decision:
    """Whether the actor may act in the client's name (`CLIENT_WRITE` without a record): as
    `act_for`, and for a company only by a representation that may act alone (joint
    representation: refused, with the explanation for the person)."""
    me = actor.person
    if me is None or not isinstance(client, Company):
        return act_for(actor, None, client)
    held = _representations(me, client)
    if not held:
        return deny("not a representative of this company")
    if not any(r.may_act_alone for r in held):
        return joint_refusal(client)
    return ALLOW


def _client_records(actor: Actor, client: Any) -> Q:
    """The records of the client, if the actor may act for them; otherwise none."""
    if not act_for(actor, None, client):
        return Q(pk__in=[])
    return owner_filter(client)


def _records_to_act_on(actor: Actor, client: Any) -> Q:
    """The records of the client, if the actor may act in the client's name; otherwise none."""
    if not act_in_name_of(actor, client):
        return Q(pk__in=[])
    return owner_filter(client)


def _owned(record: Any, client: Any) -> Decision:
    if record is None or is_owner(record, client):
        return ALLOW
    return deny("the record belongs to another client")


def _client_record(actor: Actor, record: Any, client: Any) -> Decision:
    """A person sees the records of the client they act for (themself, their minor child,
    their company: every representative, jointly or alone), never another's. Without a
    record: may they act for the client."""
    if not act_for(actor, None, client):
        return deny("may not act for this client")
    return _owned(record, client)


def _client_act(actor: Actor, record: Any, client: Any) -> Decision:
    """A person acts in the name of the client they act for, about the client's own record:
    themself, their minor child, and a company they represent alone; a representative who may
    act only jointly is refused with an explanation (C1, A12)."""
    decision = act_in_name_of(actor, client)
    if not decision:
        return decision if decision.explanation else deny("may not act for this client")
    return _owned(record, client)


rule(IdentityAction.CLIENT_READ, list_filter=_client_records)(_client_record)
rule(IdentityAction.CLIENT_WRITE, list_filter=_records_to_act_on)(_client_act)
rule(IdentityAction.CLIENT_ARRANGE)(_client_record)


@rule(IdentityAction.CHANGE_OWN_PROFILE)
def own_profile(actor: Actor, person: Any, client: Any) -> Decision:
    """Contacts and language are the signed-in person's own: a parent acting for a child or a
    representative for a company does not change them (the codes go to the person)."""
    if actor.person is not None and isinstance(person, Person) and actor.person.pk == person.pk:
        return ALLOW
    return deny("only the person themself changes their profile")


@rule(IdentityAction.RESET_STAFF_SECOND_FACTOR)
def reset_staff_second_factor(actor: Actor, member: Any, client: Any) -> Decision:
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
    if is_platform_admin or is_institution_admin_of(actor, member.institution_id):
        return ALLOW
    return deny("only the staff member's institution administrator or a platform administrator")


@rule(IdentityAction.GRANT_STAFF_ROLE)
def grant_staff_role(actor: Actor, member: Any, client: Any) -> Decision:
    """An institution's administrator grants and withdraws the grantable roles (the form
    builder's, A10) of its own staff, themself included; a platform administrator anybody's."""
    if actor.staff is None:
        return deny("only staff grant roles")
    if not isinstance(member, StaffMember):
        return deny("not a staff member")
    if actor.has_role(StaffRole.PLATFORM_ADMIN) or is_institution_admin_of(actor, member.institution_id):
        return ALLOW
    return deny("only the staff member's institution administrator or a platform administrator")
