"""Access rules of identity (A12, C1): acting for a client (klients), a client's own records,
one's own profile, and staff administration. Registered into the one policy
(`durvis.access.policy`) when the app loads.

Whom a person may act for comes first from the base registers: themself, a minor child
(population register, PMLP), a company they represent (enterprise register, UR). Other
relations — mandates (pilnvaras), registered by `durvis.mandates`, which sits above identity —
plug in through `RELATIONS`: a provider answers, for a person and a client, the `Grant`s it
holds (their rights; all services, or a set of service ids). Such a relation is checked right
by right: reading a record needs `read` (a result document also `receive_result`), acting in
the client's name needs `apply`, `pay` for an invoice, `answer_messages` for a conversation
(`WRITE_RIGHTS`); and the record's service (its `service_id`, or its case's) must be in scope.

Cost (issue 15's benchmark): what a person is to one client (`standing`) is one SQL statement
— the provider's, into which the base registers' questions are put (`identity.registers`'
`children_sql`, `representations_sql`) — and is kept for the rest of the request
(`core.memo`), never longer: every later right or record of that client costs no query.

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

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.audit.queries import declare_use
from durvis.core.actor import Actor
from durvis.core.memo import remembered
from durvis.core.registry import Registry
from durvis.identity.models import Company, Institution, Person, StaffMember, StaffRole
from durvis.identity.queries import is_owner, owner_filter
from durvis.identity.registers import Sql, children_sql, representations_sql


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
    # ... signs a document an institution asked the client to sign, in the client's name
    # (obj = the document): as `CLIENT_WRITE` by the base registers; under a mandate, `sign`.
    CLIENT_SIGN = "client.sign"
    # ... writes to an institution in the client's name (starts a conversation, about a case
    # or none; attaches a file to a message; obj = the case or None): as `CLIENT_WRITE` by the
    # base registers; under a mandate, `answer_messages`.
    CLIENT_MESSAGE = "client.message"
    # obj = a catalogue Service: may the actor apply for it in the client's name (a base
    # relation that may act in the client's name, or a mandate with `apply` reaching it).
    USE_SERVICE = "client.use_service"
    # Who used the client's data (B4, B5): the audit log's uses by staff and systems.
    SEE_DATA_USE = "client.see_data_use"
    CHANGE_OWN_PROFILE = "identity.change_own_profile"
    # obj = the StaffMember, or None: may the actor reset anybody's at all (the team page).
    RESET_STAFF_SECOND_FACTOR = "identity.reset_staff_second_factor"
    # obj = the StaffMember given or refused a role of `GRANTABLE_ROLES` (the form builder's).
    GRANT_STAFF_ROLE = "identity.grant_staff_role"
    # obj = the Institution whose office hours and closed days are set (B7: the business
    # calendar its queues count the time allowed by).
    SET_OFFICE_HOURS = "identity.set_office_hours"


class ClientRight(StrEnum):
    """What a delegated relation (a mandate) lets a person do for a client, each separately."""

    APPLY = "apply"
    READ = "read"
    RECEIVE_RESULT = "receive_result"
    PAY = "pay"
    SIGN = "sign"
    ANSWER_MESSAGES = "answer_messages"


@dataclass(frozen=True)
class Grant:
    """One delegated relation (a mandate) of a person for a client: the `rights` it gives
    (values of `ClientRight`), over every service (`all_services`) or the services whose ids
    are in `service_ids`; `reference` names what it rests on (`mandate:<id>`); `basis` the kind
    of relation it rests on, when it says more than the provider's key (a mandate's basis:
    `guardian`, `trustee`, `board_member`, ...; `identity.queries.BASIS_RELATIONS`)."""

    all_services: bool
    service_ids: frozenset[int]
    reference: str
    rights: frozenset[str]
    basis: str = ""

    def covers(self, service_id: int | None) -> bool:
        """Whether the grant reaches a record of this service (None: a record of no service,
        which only an all-services grant reaches)."""
        return self.all_services or (service_id is not None and service_id in self.service_ids)


@dataclass(frozen=True)
class RelationProvider:
    """A kind of relation beyond the base registers, registered by the app that keeps it.

    `grants(person, client, asks)` answers the person's grants for that client, every right at
    once (each `Grant` names its rights), in one query, and evaluates in that same query `asks`
    (name → an SQL condition with its parameters on the client's row, alias `client`: the base
    registers' questions, so that a decision costs one query; `asked` makes the select list),
    returning their values by name. `client_ids(person, model)` is the ids of the clients of
    `model` (Person or Company) it lets the person act for (any right), as `SELECT <id> ...`
    statements with their parameters, for the role switch's one query per kind (a UNION)."""

    key: str
    grants: Callable[[Person, Any, Mapping[str, Sql]], tuple[dict[str, Any], list[Grant]]]
    client_ids: Callable[[Person, type[Person] | type[Company]], list[Sql]]


RELATIONS: Registry[RelationProvider] = Registry("client relations")

# The right acting in the client's name on a record needs, by the record's model (`app.model`);
# any other record, or none, needs `apply`.
WRITE_RIGHTS = {
    "payments.invoice": ClientRight.PAY,
    "messaging.thread": ClientRight.ANSWER_MESSAGES,
    "messaging.inboxmessage": ClientRight.ANSWER_MESSAGES,
}


@dataclass(frozen=True)
class Standing:
    """What a person is to one client now. `base`: by the base registers (themself, a parent
    of the minor, a representative of the company); `acts_alone`: by them, may act in the
    client's name (a company: a representation that may act alone; a person: as `base`);
    `grants`: the registered relations' grants (mandates), each with its rights."""

    base: bool
    acts_alone: bool
    grants: tuple[Grant, ...]

    def grants_for(self, right: str | None) -> list[Grant]:
        """The grants that give `right` (None: any right at all)."""
        return [g for g in self.grants if (right in g.rights if right is not None else g.rights)]


NO_STANDING = Standing(False, False, ())


def standing(me: Person, client: Any) -> Standing:
    """What `me` is to `client` (a Person or Company; anything else: nothing): one query when
    the base registers answer from this database (their questions are asked in the relation
    providers' query), none for oneself, and none again within the same request
    (`core.memo`: a revoked mandate counts from the next request on)."""
    if isinstance(client, Person) and client.pk == me.pk:
        return Standing(True, True, ())
    if not isinstance(client, Person | Company):
        return NO_STANDING
    return remembered(("identity.standing", me.pk, type(client).__name__, client.pk),
                      lambda: _standing(me, client))


def _standing(me: Person, client: Person | Company) -> Standing:
    asks = _base_questions(me, client)
    answers: dict[str, Any] = {}
    grants: list[Grant] = []
    for provider in RELATIONS:
        values, found = provider.grants(me, client, asks)
        answers.update(values)
        grants += found
        asks = {}
    if asks:  # no provider to ask them with
        columns, params = asked(asks)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {client._meta.db_table} client "  # noqa: S608 - fixed SQL, values are parameters
                           "WHERE client.id = %s", [*params, client.pk])
            answers.update(zip(asks, cursor.fetchone() or (), strict=False))
    base = bool(answers.get("base_relation"))
    return Standing(base, base and bool(answers.get("base_acts_alone", True)), tuple(grants))


def _base_questions(me: Person, client: Person | Company) -> dict[str, Sql]:
    """The base registers' questions about `me` and `client`, as SQL conditions on the
    client's row (alias `client`): a parent of this minor? a representative of this company,
    one who may act alone?"""
    if isinstance(client, Person):
        children, params = children_sql(me)
        return {"base_relation": (f"client.id IN ({children})", params)}
    companies, params = representations_sql(me)
    alone, alone_params = representations_sql(me, alone=True)
    return {"base_relation": (f"client.id IN ({companies})", params),
            "base_acts_alone": (f"client.id IN ({alone})", alone_params)}


def asked(asks: Mapping[str, Sql]) -> Sql:
    """The select list of `asks` (name → an SQL condition with its parameters) and its
    parameters: `<condition> AS <name>, ...` (a relation provider puts it into its query)."""
    return (", ".join(f"({sql}) AS {name}" for name, (sql, _params) in asks.items()),
            [p for _sql, params in asks.values() for p in params])


def delegated_grants(me: Person, client: Any, right: str | None) -> list[Grant]:
    """Every registered relation's grants to `me` for `client` and `right` (None: any right;
    empty: none)."""
    return standing(me, client).grants_for(right)


def clients_of(me: Person) -> list[tuple[Person | Company, bool]]:
    """Everyone `me` may act for now besides themself, in the role switch's order: minor
    children (eldest first), companies represented (by name), then the persons and the
    companies whose delegated relation (mandate) they hold (by name); each once, with whether
    only by a delegated relation. Two queries when the base registers answer from this
    database."""
    persons = _clients(Person, children_sql(me), me)
    companies = _clients(Company, representations_sql(me), me)
    found: list[tuple[Person | Company, bool]] = []
    found += [(p, False) for p in sorted((p for p in persons if p.by_base),
                                          key=lambda p: (p.date_of_birth or datetime.date.min, p.pk))]
    found += [(c, False) for c in sorted((c for c in companies if c.by_base),
                                          key=lambda c: (c.name, c.pk))]
    found += [(p, True) for p in sorted((p for p in persons if not p.by_base),
                                         key=lambda p: (p.family_name, p.given_name, p.pk))]
    found += [(c, True) for c in sorted((c for c in companies if not c.by_base),
                                         key=lambda c: (c.name, c.pk))]
    return found


def _clients(model: Any, base: Sql, me: Person) -> list[Any]:
    """The rows of `model` whose ids `base` selects (the base register's) or a registered
    relation lets `me` act for, each once, in one query, each marked `by_base`."""
    parts = [base, *(sql for provider in RELATIONS for sql in provider.client_ids(me, model))]
    ids = " UNION ".join(sql for sql, _params in parts)
    column = f"{connection.ops.quote_name(model._meta.db_table)}.id"
    # The SQL comes from the registers' and the providers' own code, the values apart as
    # parameters: nothing typed by anybody is put into the text.
    return list(model.objects.filter(
        pk__in=RawSQL(ids, [p for _sql, params in parts for p in params]),  # noqa: S611
    ).annotate(by_base=RawSQL(f"{column} IN ({base[0]})", base[1],  # noqa: S611
                              output_field=BooleanField())))


def service_of(record: Any) -> int | None:
    """The id of the service a record is about: its own `service_id`, or its case's; None."""
    if record is None:
        return None
    if hasattr(record, "service_id"):
        return record.service_id  # type: ignore[no-any-return]
    case = getattr(record, "case", None)
    return getattr(case, "service_id", None)


def service_path(model: Any) -> str | None:
    """The lookup of a model's service id (`service_id`, `case__service_id`), or None."""
    names = {f.name for f in model._meta.get_fields()}
    if "service" in names:
        return "service_id"
    if "case" in names:
        return "case__service_id"
    return None


def _is_result(record: Any) -> bool:
    return bool(getattr(record, "is_result", False))


def _base_relation(me: Person, client: Any) -> Decision:
    if isinstance(client, Person):
        if standing(me, client).base:
            return ALLOW
        return deny("no relation to this person")
    if isinstance(client, Company):
        if standing(me, client).base:
            return ALLOW
        return deny("not a representative of this company")
    return deny("unknown client")


def _delegated(me: Person, client: Any, right: str, record: Any) -> Decision:
    """The decision of the registered relations for one right about one record (None: the
    client in general: any grant of the right)."""
    if record is not None and not is_owner(record, client):
        return deny("the record belongs to another client")
    grants = delegated_grants(me, client, right)
    if not grants:
        return deny(f"no relation gives the right to {right}")
    if record is None:
        return ALLOW
    if not any(g.covers(service_of(record)) for g in grants):
        return deny("the service is outside the mandate's scope")
    return ALLOW


def _scope_q(grants: list[Grant], path: str | None) -> Q | None:
    """The filter of the records the grants reach (`path`: the model's service lookup); None:
    every record of the client."""
    if any(g.all_services for g in grants):
        return None
    if path is None:
        return Q(pk__in=[])
    ids = set().union(*(g.service_ids for g in grants))
    return Q(**{f"{path}__in": sorted(ids)})


def _delegated_filter(me: Person, client: Any, right: str, model: Any) -> Q:
    """The records of `model` the registered relations let `me` reach for one right: the same
    answer as `_delegated` (and, for reading a result document, `_client_record`) gives record
    by record."""
    grants = delegated_grants(me, client, right)
    if not grants:
        return Q(pk__in=[])
    path = service_path(model) if model is not None else None
    reach = _scope_q(grants, path)
    allowed_q = owner_filter(client) if reach is None else owner_filter(client) & reach
    names = {f.name for f in model._meta.get_fields()} if model is not None else set()
    if right == ClientRight.READ and "is_result" in names:
        results = delegated_grants(me, client, ClientRight.RECEIVE_RESULT)
        result_reach = _scope_q(results, path) if results else Q(pk__in=[])
        allowed_q &= Q(is_result=False) | (Q(is_result=True) & (result_reach or Q()))
    return allowed_q


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
    decision = _base_relation(me, client)
    if decision or not isinstance(client, Person | Company):
        return decision
    if delegated_grants(me, client, None):
        return ALLOW
    return decision


def has_base_relation(actor: Actor, client: Any) -> bool:
    """Whether the actor acts for `client` by the base registers alone (themself, a minor
    child, a company they represent), not by a delegated relation."""
    return actor.person is not None and bool(_base_relation(actor.person, client))


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
    found = standing(me, client)
    if not found.base:
        return deny("not a representative of this company")
    if not found.acts_alone:
        return joint_refusal(client)
    return ALLOW


def _client_records(actor: Actor, client: Any, model: Any = None) -> Q:
    """The records (of `model`) of the client, if the actor may read them; otherwise none.
    Under a mandate: those of the services in its scope, with the right to read."""
    me = actor.person
    if me is None:
        return Q(pk__in=[])
    if _base_relation(me, client):
        return owner_filter(client)
    if not isinstance(client, Person | Company):
        return Q(pk__in=[])
    return _delegated_filter(me, client, ClientRight.READ, model)


def _records_to_act_on(actor: Actor, client: Any, model: Any = None) -> Q:
    """The records (of `model`) of the client, if the actor may act in the client's name;
    otherwise none. Under a mandate: the right `WRITE_RIGHTS` names for the model."""
    me = actor.person
    if me is None:
        return Q(pk__in=[])
    if _base_relation(me, client):
        if not act_in_name_of(actor, client):
            return Q(pk__in=[])
        return owner_filter(client)
    if not isinstance(client, Person | Company):
        return Q(pk__in=[])
    return _delegated_filter(me, client, _write_right(model), model)


_client_records.takes_model = True  # type: ignore[attr-defined]
_records_to_act_on.takes_model = True  # type: ignore[attr-defined]


def _write_right(record_or_model: Any) -> str:
    meta = getattr(record_or_model, "_meta", None)
    return WRITE_RIGHTS.get(meta.label_lower, ClientRight.APPLY) if meta else ClientRight.APPLY


def client_records_filter(actor: Actor, action: str, client: Any, model: Any) -> Q:
    """The filter of `client`'s records of `model` the actor may `action` (`CLIENT_READ` or
    `CLIENT_WRITE`): what the rules' list filters answer, for an app listing its own records
    (e-forms' applications)."""
    if action == IdentityAction.CLIENT_WRITE:
        return _records_to_act_on(actor, client, model)
    return _client_records(actor, client, model)


def _owned(record: Any, client: Any) -> Decision:
    if record is None or is_owner(record, client):
        return ALLOW
    return deny("the record belongs to another client")


def _client_record(actor: Actor, record: Any, client: Any) -> Decision:
    """A person sees the records of the client they act for (themself, their minor child,
    their company: every representative, jointly or alone), never another's. Without a
    record: may they act for the client. Under a mandate: the right to read (a result
    document: also to receive the result), for a record of a service in its scope."""
    me = actor.person
    if me is None:
        return deny("only a signed-in person acts for a client")
    if _base_relation(me, client):
        return _owned(record, client)
    if not isinstance(client, Person | Company):
        return deny("may not act for this client")
    decision = _delegated(me, client, ClientRight.READ, record)
    if decision and _is_result(record):
        return _delegated(me, client, ClientRight.RECEIVE_RESULT, record)
    return decision


def _client_act(actor: Actor, record: Any, client: Any) -> Decision:
    """A person acts in the name of the client they act for, about the client's own record:
    themself, their minor child, and a company they represent alone; a representative who may
    act only jointly is refused with an explanation (C1, A12). Under a mandate: the right the
    record needs (`WRITE_RIGHTS`: apply, pay, answer messages), in its scope."""
    return _act_with(actor, record, client, _write_right(record))


def _client_sign(actor: Actor, record: Any, client: Any) -> Decision:
    """A person signs the client's document in the client's name (C1, C2): by the base
    registers as acting in its name (a company: a representative who may act alone); under a
    mandate only with the right `sign`, for a record of a service in its scope (applying or
    reading is not enough)."""
    return _act_with(actor, record, client, ClientRight.SIGN)


def _act_with(actor: Actor, record: Any, client: Any, right: str) -> Decision:
    me = actor.person
    if me is not None and not _base_relation(me, client) and isinstance(client, Person | Company):
        return _delegated(me, client, right, record)
    decision = act_in_name_of(actor, client)
    if not decision:
        return decision if decision.explanation else deny("may not act for this client")
    return _owned(record, client)


rule(IdentityAction.CLIENT_READ, list_filter=_client_records)(_client_record)
rule(IdentityAction.CLIENT_WRITE, list_filter=_records_to_act_on)(_client_act)
rule(IdentityAction.CLIENT_ARRANGE)(_client_record)
rule(IdentityAction.CLIENT_SIGN)(_client_sign)
rule(IdentityAction.CLIENT_MESSAGE)(
    lambda actor, record, client: _act_with(actor, record, client, ClientRight.ANSWER_MESSAGES))


@rule(IdentityAction.USE_SERVICE)
def use_service(actor: Actor, service: Any, client: Any) -> Decision:
    """A person applies for a service (`obj`) in the client's name: by a base relation as
    `client.write`; under a mandate, one with the right to apply whose scope reaches the
    service (C1, A1)."""
    me = actor.person
    if me is not None and not _base_relation(me, client) and isinstance(client, Person | Company):
        grants = delegated_grants(me, client, ClientRight.APPLY)
        if not grants:
            return deny("no relation gives the right to apply")
        service_id = getattr(service, "pk", None)
        if service is not None and not any(g.covers(service_id) for g in grants):
            return deny("the service is outside the mandate's scope")
        return ALLOW
    decision = act_in_name_of(actor, client)
    if not decision:
        return decision if decision.explanation else deny("may not act for this client")
    return ALLOW


def services_in_reach(actor: Actor, client: Any) -> frozenset[int] | None:
    """The ids of the services the actor may apply for in `client`'s name when only a
    delegated relation lets them (a company's employee assigned chosen services); None when
    every service the client could use is in reach (a base relation, or an all-services
    mandate). The catalogue narrows the client's list by it (A1)."""
    me = actor.person
    if me is None or client is None or _base_relation(me, client):
        return None
    grants = delegated_grants(me, client, ClientRight.APPLY)
    if any(g.all_services for g in grants):
        return None
    return frozenset().union(*(g.service_ids for g in grants))


@rule(IdentityAction.SEE_DATA_USE)
def see_data_use(actor: Actor, obj: Any, client: Any) -> Decision:
    """Who used a client's data is seen by the person and, for a minor, a parent; for a company
    by its representatives (the enterprise register's): by the base registers alone. A mandate
    does not reach it (it lists what institutions did with the grantor's data, not a record of
    a service), nor does a company's representative reach a person's (B4, B5, A2)."""
    if not isinstance(client, Person | Company):
        return deny("the log of uses is kept for persons and companies")
    if has_base_relation(actor, client):
        return ALLOW
    return deny("only the person, a parent of a minor or the company's representative see who "
                "used the data")


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


@rule(IdentityAction.SET_OFFICE_HOURS)
def set_office_hours(actor: Actor, institution: Any, client: Any) -> Decision:
    """An institution's administrator sets its office hours and closed days, a platform
    administrator any institution's (B7; with `institution` None: may the actor set any)."""
    if actor.staff is None:
        return deny("only staff set office hours")
    if actor.has_role(StaffRole.PLATFORM_ADMIN):
        return ALLOW
    if institution is None:
        return ALLOW if actor.has_role(StaffRole.INSTITUTION_ADMIN) else deny(
            "only an institution administrator")
    if isinstance(institution, Institution) and is_institution_admin_of(actor, institution.pk):
        return ALLOW
    return deny("only the institution's administrator or a platform administrator")


# How the person reads what staff and systems did with their data ("who used my data", B4, B5).
declare_use("identity.profile.read", _("Read your profile"))
