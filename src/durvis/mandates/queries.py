"""Reading mandates (C1, A2): the decision path's grants, the role switch's list, and the
e-account's lists of given and received mandates.

The decision path asks one indexed question per (person, client), together with the base
registers' own (`identity.rules.standing`): the client's row joined to the active mandates in
their period it granted (index `mandate_grantor_*`) whose grantee is the person or a company
the person represents (enterprise register), with their chosen services.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db.models import FilteredRelation, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from durvis.access.policy import require
from durvis.core.actor import Actor
from durvis.identity.models import Company, Person
from durvis.identity.registers import enterprise_register, in_database_representations
from durvis.identity.rules import Grant, delegated_grants
from durvis.mandates.models import Mandate, MandateScope, MandateState, Right

# Ended mandates stay visible to both sides this long (issue 15).
ENDED_VISIBLE_DAYS = 457  # 15 months


def active_filter(on: datetime.date | None = None, prefix: str = "") -> Q:
    """Mandates in force on `on` (today): active, and the day within their period (`prefix`:
    the lookup's path to the mandate)."""
    on = on or timezone.localdate()
    return (Q(**{f"{prefix}state": MandateState.ACTIVE, f"{prefix}valid_from__lte": on})
            & (Q(**{f"{prefix}valid_until__isnull": True})
               | Q(**{f"{prefix}valid_until__gte": on})))


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


def _represented(person: Person, *, in_join: bool = False) -> Any:
    """The ids of the companies `person` represents now (enterprise register): a subquery when
    the register answers from this database, else its list. `in_join`: for a join's condition
    (`FilteredRelation`), which takes the subquery only as SQL."""
    rows = in_database_representations(person)
    if rows is None:
        return [r.company.pk for r in enterprise_register().representations(person)]
    ids = rows.values("company_id")
    if not in_join:
        return ids
    # Django's own SQL of the queryset, its values passed apart as parameters: nothing typed
    # by anybody is put into the text.
    return RawSQL(*ids.query.sql_with_params())  # noqa: S611


def _held_by(person: Person, prefix: str = "") -> Q:
    """Mandates in force that `person` may act on: their own, and those of the companies they
    represent (whose representatives act for the company that is the grantee). `prefix`: the
    lookup's path to the mandate (in a join's condition)."""
    return (active_filter(prefix=prefix)
            & (Q(**{f"{prefix}grantee_person": person})
               | Q(**{f"{prefix}grantee_company_id__in": _represented(person,
                                                                     in_join=bool(prefix))})))


def grants(person: Person, client: Any,
           asks: Mapping[str, Any]) -> tuple[dict[str, Any], list[Grant]]:
    """The relation provider's answer (`identity.rules.RELATIONS`): one `Grant` per mandate in
    force from `client` to `person` (or a company they represent), oldest first, with its
    rights; and the values of `asks` (name → an expression over the client's row: identity's
    base-register questions), evaluated in the same query. One query (the client's row, its
    mandates held by the person and their chosen services: index `mandate_grantor_*`), and a
    second only when a mandate's scope is categories (the services in them now)."""
    if not isinstance(client, Person | Company):
        return {}, []
    held = FilteredRelation("mandates_given", condition=_held_by(person, "mandates_given__"))
    columns = ["held__pk", "held__scope", *(f"held__{f}" for f in RIGHT_FIELDS),
               "held__services__id"]
    rows = list(type(client).objects.filter(pk=client.pk).annotate(**asks, held=held)
                .values_list(*asks, *columns))
    answers = dict(zip(asks, rows[0][:len(asks)], strict=True)) if rows else {}
    found: dict[int, tuple[str, frozenset[str]]] = {}
    services: dict[int, set[int]] = {}
    for row in rows:
        pk, scope, *flags, service_id = row[len(asks):]
        if pk is None:
            continue
        found[pk] = (scope, frozenset(r for r, flag in zip(Right.values, flags, strict=True)
                                      if flag))
        # A scope of chosen services reads only the services, one of categories only the
        # categories (whatever else a row may hold).
        chosen = services.setdefault(pk, set())
        if scope == MandateScope.SERVICES and service_id is not None:
            chosen.add(service_id)
    by_categories = [pk for pk, (scope, _rights) in found.items()
                     if scope == MandateScope.CATEGORIES]
    if by_categories:
        for pk, in_categories in _services_in_categories(by_categories).items():
            services[pk] |= in_categories
    return answers, [Grant(scope == MandateScope.ALL, frozenset(services[pk]), f"mandate:{pk}",
                           rights) for pk, (scope, rights) in sorted(found.items())]


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


def client_ids(person: Person, model: type[Person] | type[Company]) -> list[QuerySet[Any]]:
    """The ids of the persons (`model` Person) or companies whose mandates `person` holds now
    with any right (the role switch), as querysets of ids to be asked in one query with the
    base registers' (`identity.rules.clients_of`): those held by the person themself and those
    held by a company they represent (indexes `mandate_grantee_*`)."""
    column = "grantor_company_id" if model is Company else "grantor_person_id"
    any_right = Q()
    for field in RIGHT_FIELDS:
        any_right |= Q(**{field: True})
    held = Mandate.objects.filter(active_filter(), any_right, **{f"{column}__isnull": False})
    return [held.filter(grantee_person=person).values_list(column, flat=True),
            held.filter(grantee_company_id__in=_represented(person))
            .values_list(column, flat=True)]


def mandate_relied_on(person: Person, client: Any, right: str,
                      service_id: int | None) -> Mandate | None:
    """The mandate in force that lets `person` do `right` for `client` about the service (the
    one a case records, `mandate:<id>`): the oldest that reaches it; None."""
    for grant in delegated_grants(person, client, right):
        kind, _sep, pk = grant.reference.partition(":")
        if kind == "mandate" and grant.covers(service_id):
            return Mandate.objects.get(pk=int(pk))
    return None


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


def mandate_of(actor: Actor, mandate_id: int, client: Person | Company) -> Mandate | None:
    """One mandate `client` granted or received, if the actor may manage the client's
    mandates; None otherwise (never another's)."""
    from durvis.mandates.rules import MandateAction

    mandate = (Mandate.objects.filter(grantor_filter(client) | grantee_filter(client))
               .filter(pk=mandate_id).select_related(
                   "grantor_person", "grantor_company", "grantee_person", "grantee_company",
                   "grantee_institution").first())
    if mandate is None or not require_ok(actor, MandateAction.MANAGE, client):
        return None
    return mandate


def require_ok(actor: Actor, action: str, client: Any) -> bool:
    from durvis.access.policy import allowed

    return allowed(actor, action, None, client)
