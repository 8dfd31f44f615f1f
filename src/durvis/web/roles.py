"""In which role the signed-in person acts (C1): as themself, for a minor child, for a company,
for a person or company whose mandate they hold (`durvis.mandates`, through
`identity.rules.clients_of`).

The choices come from the base registers (through `durvis.identity.registers`) every time they
are listed, so a relation that ended (a child came of age, a board member left) stops counting at
once. The chosen role lives in the session as a key (`self`, `person:<id>`, `company:<id>`) and
is checked again against the access policy on every request: a stale or forged key falls back
to the person themself.

Because the role lives in the session, every tab of the browser shares it. A form that acts for
the role therefore carries the key of the role it was opened in (`ROLE_FIELD`, a hidden field:
`templates/components/role_field.html`), and `durvis.web.shell.client_required` refuses its
submission when the role changed meanwhile, in another tab (issue 12): nothing is saved for a
client the person did not mean.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from durvis.access.policy import allowed
from durvis.audit.services import record
from durvis.core.actor import Actor
from durvis.core.text import ascii_digits
from durvis.identity.models import Company, Person
from durvis.identity.rules import IdentityAction, clients_of, has_base_relation
from durvis.identity.sessions import INITIAL_ROLE_KEY, actor_from_request

ROLE_KEY = "durvis.client.role"
# The hidden field of every form that acts for a role: the key of the role it was opened in.
ROLE_FIELD = "opened_as"


@dataclass(frozen=True)
class ClientRole:
    """One role: whose e-account the person is looking at. Exactly one of person/company."""

    key: str
    person: Person | None = None
    company: Company | None = None
    # Acting by a mandate (not by a base register's relation).
    delegated: bool = False

    @property
    def client(self) -> Person | Company:
        return self.company if self.company is not None else self.person  # type: ignore[return-value]

    @property
    def is_self(self) -> bool:
        return self.key == "self"

    @property
    def label(self) -> str:
        if self.is_self:
            return _("Myself (%(name)s)") % {"name": self.person}
        if self.delegated:
            return _("%(name)s (by mandate)") % {
                "name": self.company.name if self.company is not None else self.person}
        if self.company is not None:
            return _("Company %(name)s") % {"name": self.company.name}
        return _("My child %(name)s") % {"name": self.person}


def available_roles(me: Person) -> list[ClientRole]:
    """Every role the person may take now: themself, their minor children, their companies,
    then whoever's mandate they hold (each client once; `identity.rules.clients_of`: two
    queries)."""
    roles = [ClientRole("self", person=me)]
    for client, delegated in clients_of(me):
        if isinstance(client, Company):
            roles.append(ClientRole(f"company:{client.pk}", company=client, delegated=delegated))
        else:
            roles.append(ClientRole(f"person:{client.pk}", person=client, delegated=delegated))
    return roles


def role_for_key(actor: Actor, key: str) -> ClientRole | None:
    """The role a key names, if the actor may act in it now (asked of the access policy)."""
    me = actor.person
    if me is None:
        return None
    if key == "self":
        return ClientRole("self", person=me)
    kind, _sep, ident = key.partition(":")
    if not ascii_digits(ident):  # not isdigit(): "²" is a digit that int() refuses
        return None
    client: Person | Company | None
    if kind == "person":
        client = Person.objects.filter(pk=int(ident)).first()
    elif kind == "company":
        client = Company.objects.filter(pk=int(ident)).first()
    else:
        return None
    if client is None or not allowed(actor, IdentityAction.ACT_FOR, client=client):
        return None
    delegated = not has_base_relation(actor, client)
    if isinstance(client, Company):
        return ClientRole(key, company=client, delegated=delegated)
    return ClientRole(key, person=client, delegated=delegated)


def current_role(request: HttpRequest) -> ClientRole | None:
    """The role of this request (None without a signed-in person). Cached on the request."""
    if hasattr(request, "_durvis_role"):
        return request._durvis_role  # type: ignore[attr-defined,no-any-return]
    actor = actor_from_request(request)
    role = None
    if actor.person is not None:
        initial = request.session.pop(INITIAL_ROLE_KEY, None)
        if initial:
            request.session[ROLE_KEY] = initial
        role = role_for_key(actor, request.session.get(ROLE_KEY, "self"))
        if role is None:
            request.session[ROLE_KEY] = "self"
            role = ClientRole("self", person=actor.person)
    request._durvis_role = role  # type: ignore[attr-defined]
    return role


def active_client(request: HttpRequest) -> Person | Company | None:
    """The client of the request's role (`current_role`), or None without a signed-in
    person: `identity.sessions.acting_client` for the pages below the e-account."""
    role = current_role(request)
    return role.client if role is not None else None


def switch_role(request: HttpRequest, key: str) -> ClientRole | None:
    """Act in another role from now on (audited); None (and no change) if the person may
    not."""
    actor = actor_from_request(request)
    role = role_for_key(actor, key)
    if role is not None:
        request.session[ROLE_KEY] = role.key
        record(actor, "eaccount.role.switch", role.client, subject=role.person)
        request._durvis_role = role  # type: ignore[attr-defined]
    return role
