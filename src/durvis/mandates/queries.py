"""Reading mandates (C1, A2): the decision path's grants, the role switch's list, and the
e-account's lists of given and received mandates.

The decision path asks one indexed question per (person, client), together with the base
registers' own (`identity.rules.standing`): the client's row joined to the active mandates in
their period it granted (index `mandate_grantor_*`) whose grantee is the person or a company
the person represents (enterprise register), with their chosen services.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from durvis.access.policy import allowed, require
from durvis.core.actor import Actor
from durvis.identity.models import Company, Person
from durvis.identity.registers import Sql, enterprise_register, representations_sql
from durvis.identity.rules import Grant, asked, delegated_grants, has_base_relation
from durvis.mandates.models import Mandate, MandateScope, MandateState, Right

# Ended mandates stay visible to both sides this long (issue 15).
ENDED_VISIBLE_DAYS = 457  # 15 months


def active_filter(on: datetime.date | None = None) -> Q:
    """Mandates in force on `on` (today): active, and the day within their period (the
    decision's SQL says the same: `_held_sql`)."""
    on = on or timezone.localdate()
    return (Q(state=MandateState.ACTIVE, valid_from__lte=on)
            & (Q(valid_until__isnull=True) | Q(valid_until__gte=on)))


def grantor_filter(client: Person | Company) -> Q:
    """The mandates `client` granted."""
    if isinstance(client, Company):
        return Q(grantor_company=client)
    return Q(grantor_person=client)


def grantee_filter(client: Person | Company) -> Q:
    """The mandates `client` received (as the grantee itself)."""
    if isinstance(client, Company):
        return Q(grantee_company=client)
    return Q(grantee_person=client)


RIGHT_FIELDS = tuple(f"may_{value}" for value in Right.values)


def _held_sql(alias: str, person: Person, day: datetime.date, via: str = "either") -> Sql:
    """The SQL condition (with its parameters) that the mandate `alias` is in force on `day`
    (as `active_filter`) and that `person` may act on it: as its grantee (`via` "person"),
    through a company they represent (enterprise register; "company"), or either."""
    companies, company_params = representations_sql(person)
    chosen = {"person": [(f"{alias}.grantee_person_id = %s", [person.pk])],
              "company": [(f"{alias}.grantee_company_id IN ({companies})", company_params)]}
    held = chosen["person"] + chosen["company"] if via == "either" else chosen[via]
    return (f"{alias}.state = %s AND {alias}.valid_from <= %s AND ({alias}.valid_until IS NULL"
            f" OR {alias}.valid_until >= %s) AND ({' OR '.join(sql for sql, _p in held)})",
            [MandateState.ACTIVE, day, day, *(p for _sql, params in held for p in params)])


def grants(person: Person, client: Any,
           asks: Mapping[str, Sql]) -> tuple[dict[str, Any], list[Grant]]:
    """The relation provider's answer (`identity.rules.RELATIONS`): one `Grant` per mandate in
    force from `client` to `person` (or a company they represent), oldest first, with its
    rights; and the values of `asks` (identity's base-register questions), evaluated in the
    same query.

    One query: the client's row, joined to the mandates it granted that are in force and held
    by the person (index `mandate_grantor_*`), joined to their chosen services; a second only
    when a mandate's scope is categories (the services in them now). Written in SQL because
    this is every page's decision (issue 15's benchmark: under 1 ms): the ORM's building of
    the same query cost many times its running."""
    if not isinstance(client, Person | Company):
        return {}, []
    held, held_params = _held_sql("m", person, timezone.localdate())
    columns, ask_params = asked(asks)
    grantor = "grantor_company_id" if isinstance(client, Company) else "grantor_person_id"
    rights = ", ".join(f"m.{field}" for field in RIGHT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns + ', ' if columns else ''}m.id, m.scope, m.basis, {rights}, s.service_id"  # noqa: S608 - fixed SQL, values are parameters
            f" FROM {client._meta.db_table} client"
            f" LEFT JOIN {Mandate._meta.db_table} m ON m.{grantor} = client.id AND {held}"
            f" LEFT JOIN {Mandate.services.through._meta.db_table} s"
            "  ON s.mandate_id = m.id AND m.scope = %s"
            " WHERE client.id = %s",
            [*ask_params, *held_params, MandateScope.SERVICES, client.pk])
        rows = cursor.fetchall()
    answers = dict(zip(asks, rows[0][:len(asks)], strict=True)) if rows else {}
    found: dict[int, tuple[str, frozenset[str], str]] = {}
    services: dict[int, set[int]] = {}
    for row in rows:
        pk, scope, basis, *flags, service_id = row[len(asks):]
        if pk is None:
            continue
        found[pk] = (scope, frozenset(r for r, flag in zip(Right.values, flags, strict=True)
                                      if flag), basis)
        # A scope of chosen services reads only the services (the join's condition), one of
        # categories only the categories (whatever else a row may hold).
        chosen = services.setdefault(pk, set())
        if service_id is not None:
            chosen.add(service_id)
    by_categories = [pk for pk, (scope, _rights, _basis) in found.items()
                     if scope == MandateScope.CATEGORIES]
    if by_categories:
        for pk, in_categories in _services_in_categories(by_categories).items():
            services[pk] |= in_categories
    return answers, [Grant(scope == MandateScope.ALL, frozenset(services[pk]), f"mandate:{pk}",
                           rights, basis) for pk, (scope, rights, basis) in sorted(found.items())]


def _services_in_categories(mandate_ids: list[int]) -> dict[int, set[int]]:
    """For each of these mandates (of a categories scope): the services in its categories now
    (one query)."""
    chosen: Any = Mandate.categories.through
    found: dict[int, set[int]] = {}
    for mandate_id, service_id in (chosen.objects.filter(mandate_id__in=mandate_ids,
                                                         category__services__isnull=False)
                                   .values_list("mandate_id", "category__services__id")):
        found.setdefault(mandate_id, set()).add(service_id)
    return found


def institution_grants(institution_id: int | None, client: Any) -> list[Grant]:
    """The mandates in force today that `client` (a Person or Company) granted to the
    institution `institution_id` (assisted service: the institution's agents act on them, issue
    15 A3), as `Grant`s (the decision path's shape: rights, and the services the scope reaches
    now, read as `grants` reads them), oldest first. Empty for anything else. Two queries (one
    more when a scope is categories); a mandate revoked or past its period is not among them
    from that moment (`active_filter`)."""
    if institution_id is None or not isinstance(client, Person | Company):
        return []
    found = list(Mandate.objects.filter(active_filter(), grantor_filter(client),
                                        grantee_institution_id=institution_id)
                 .prefetch_related("services").order_by("pk"))
    in_categories = _services_in_categories(
        [m.pk for m in found if m.scope == MandateScope.CATEGORIES])
    return [Grant(m.scope == MandateScope.ALL,
                  frozenset(in_categories.get(m.pk, set()) if m.scope == MandateScope.CATEGORIES
                            else {s.pk for s in m.services.all()}
                            if m.scope == MandateScope.SERVICES else set()),
                  m.reference(), m.rights, m.basis) for m in found]


def held_by_institution(institution_id: int | None, client: Any, right: str,
                        service_id: int | None) -> Mandate | None:
    """The mandate the institution `institution_id` holds from `client` that gives `right` (a
    value of `identity.rules.ClientRight`) and reaches the service `service_id`
    (`Grant.covers`): the oldest in force today (`institution_grants`); None when there is
    none. What an agent's assisted submission rests on without the client's signed paper (A3;
    the decision is `rules.MandateAction.ASSIST_UNDER`). Raises nothing."""
    for grant in institution_grants(institution_id, client):
        if right in grant.rights and grant.covers(service_id):
            return Mandate.objects.select_related(
                "grantor_person", "grantor_company", "grantee_institution").filter(
                pk=int(grant.reference.partition(":")[2])).first()
    return None


def client_ids(person: Person, model: type[Person] | type[Company]) -> list[Sql]:
    """The ids of the persons (`model` Person) or companies whose mandates `person` holds now
    with any right (the role switch), as SQL to be asked in one query with the base
    registers' (`identity.rules.clients_of`): those held by the person themself and those
    held by a company they represent, apart (so that each uses its index
    `mandate_grantee_*`)."""
    column = "grantor_company_id" if model is Company else "grantor_person_id"
    any_right = " OR ".join(f"m.{field}" for field in RIGHT_FIELDS)
    found: list[Sql] = []
    for via in ("person", "company"):
        held, params = _held_sql("m", person, timezone.localdate(), via)
        found.append((f"SELECT m.{column} FROM {Mandate._meta.db_table} m"  # noqa: S608 - fixed SQL, values are parameters
                      f" WHERE m.{column} IS NOT NULL AND ({any_right}) AND {held}", params))
    return found


def relied_on(actor: Actor, client: Any, right: str, service_id: int | None) -> Mandate | None:
    """The mandate the actor relies on to do `right` (a value of `identity.rules.ClientRight`)
    for `client` (a Person or Company) about a record of the service `service_id` (None: a
    record of no service, which only an all-services mandate reaches): what a case
    (`mandate:<id>`), a document, a payment or a message done for someone else records, so
    that the grantor sees it (issue 15, C1, A2).

    None when the actor acts as themself, or by the base registers (a parent for a minor
    child, a company's representative: `identity.rules.has_base_relation`, which answers
    first even when the person also holds a mandate: the record then rests on the register,
    which the acting person's capacity already says), or holds no mandate in force that gives
    the right and reaches the service (the caller's policy check refuses that case anyway).
    Otherwise the oldest such mandate (the order of `grants`). A mandate whose basis is a
    register (guardian, trustee, board member) is a mandate like any other and is recorded.

    Costs no query for oneself; otherwise what the decision costs (`identity.rules.standing`,
    none again within a request) and one for the mandate's row. Raises nothing."""
    me = actor.person
    if me is None or not isinstance(client, Person | Company) or has_base_relation(actor, client):
        return None
    for grant in delegated_grants(me, client, right):
        kind, _sep, pk = grant.reference.partition(":")
        if kind == "mandate" and grant.covers(service_id):
            return Mandate.objects.filter(pk=int(pk)).first()
    return None


def openable(actor: Actor, client: Person | Company, mandate_ids: Collection[int | None]
             ) -> set[int]:
    """Of these mandate ids (None ignored), those the actor may open in `client`'s role
    (`MandateAction.VIEW`, as `mandate_of`): the records a list shows link only these (one
    query, then a decision each)."""
    from durvis.mandates.rules import MandateAction

    wanted = {pk for pk in mandate_ids if pk is not None}
    if not wanted:
        return set()
    found = (Mandate.objects.filter(grantor_filter(client) | grantee_filter(client))
             .filter(pk__in=wanted).select_related(
                 "grantor_person", "grantor_company", "grantee_person", "grantee_company",
                 "grantee_institution"))
    return {m.pk for m in found if allowed(actor, MandateAction.VIEW, m, client)}


def _visible_period(now: datetime.datetime | None = None) -> Q:
    """Current mandates and those ended within `ENDED_VISIBLE_DAYS`."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=ENDED_VISIBLE_DAYS)
    return (Q(state__in=[MandateState.REQUESTED, MandateState.ACTIVE],
              valid_until__isnull=True)
            | Q(state__in=[MandateState.REQUESTED, MandateState.ACTIVE],
                valid_until__gte=since.date())
            | Q(state__in=[MandateState.REVOKED, MandateState.REFUSED], ended_at__gte=since))


def _listed(mandates: QuerySet[Mandate]) -> list[Mandate]:
    return list(mandates.filter(_visible_period())
                .select_related("grantor_person", "grantor_company", "grantee_person",
                                "grantee_company", "grantee_institution", "ended_by",
                                "granted_by", "requested_by", "parent")
                .prefetch_related("services", "categories").order_by("-created_at", "-pk"))


def given(actor: Actor, client: Person | Company) -> list[Mandate]:
    """The mandates `client` granted (and requests made to it), current and ended within 15
    months, newest first. Raises PermissionDenied unless the actor may see the client's
    mandates (`MandateAction.MANAGE`)."""
    from durvis.mandates.rules import MandateAction

    require(actor, MandateAction.MANAGE, None, client)
    return _listed(Mandate.objects.filter(grantor_filter(client)))


def received(actor: Actor, client: Person | Company) -> list[Mandate]:
    """The mandates `client` received (and its requests), current and ended within 15 months.
    Raises PermissionDenied as `given`."""
    from durvis.mandates.rules import MandateAction

    require(actor, MandateAction.MANAGE, None, client)
    return _listed(Mandate.objects.filter(grantee_filter(client)))


def _represented_ids(person: Person) -> list[int]:
    return [r.company.pk for r in enterprise_register().representations(person)]


def holds(person: Person, mandate: Mandate) -> bool:
    """Whether `person` is the mandate's grantee or represents the company that is."""
    if mandate.grantee_person_id is not None:
        return bool(mandate.grantee_person_id == person.pk)
    if mandate.grantee_company_id is not None:
        return mandate.grantee_company_id in _represented_ids(person)
    return False


def mandate_of(actor: Actor, mandate_id: int, client: Person | Company) -> Mandate | None:
    """One mandate `client` granted or received, if the actor may see it in the client's role
    (`MandateAction.VIEW`: they manage the client's mandates, or hold this one); None
    otherwise (never another's)."""
    from durvis.mandates.rules import MandateAction

    mandate = (Mandate.objects.filter(grantor_filter(client) | grantee_filter(client))
               .filter(pk=mandate_id).select_related(
                   "grantor_person", "grantor_company", "grantee_person", "grantee_company",
                   "grantee_institution").first())
    if mandate is None or not allowed(actor, MandateAction.VIEW, mandate, client):
        return None
    return mandate
