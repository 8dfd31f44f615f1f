"""Access rules of identity (A12, C1): acting for a client (klients), a client's own records,
one's own profile, and staff administration. Registered into the one policy
(`durvis.access.policy`) when the app loads.

Whom a person may act for comes from the base registers: themself, a minor child (population
register, PMLP), a company they represent (enterprise register, UR). Mandates (pilnvaras) will
add to `ACT_FOR` here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.core.actor import Actor
from durvis.identity.models import Company, Person, StaffMember, StaffRole
from durvis.identity.queries import is_owner, owner_filter
from durvis.identity.registers import enterprise_register, population_register


class IdentityAction(StrEnum):
    ACT_FOR = "identity.act_for"
    # A signed-in person reads or acts on a record (case, consultation, document, conversation,
    # message) of the client they act for (A2, C3).
    CLIENT_READ = "client.read"
    CLIENT_WRITE = "client.write"
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
        if any(r.company.pk == client.pk for r in enterprise_register().representations(me)):
            return ALLOW
        return deny("not a representative of this company")
    return deny("unknown client")


def _client_records(actor: Actor, client: Any) -> Q:
    """The records of the client, if the actor may act for them; otherwise none."""
    if not act_for(actor, None, client):
        return Q(pk__in=[])
    return owner_filter(client)


def _client_record(actor: Actor, record: Any, client: Any) -> Decision:
    """A person sees and acts on the records of the client they act for (themself, their minor
    child, their company), never another's. Without a record: may they act for the client."""
    if not act_for(actor, None, client):
        return deny("may not act for this client")
    if record is None:
        return ALLOW
    if is_owner(record, client):
        return ALLOW
    return deny("the record belongs to another client")


rule(IdentityAction.CLIENT_READ, list_filter=_client_records)(_client_record)
rule(IdentityAction.CLIENT_WRITE, list_filter=_client_records)(_client_record)


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
