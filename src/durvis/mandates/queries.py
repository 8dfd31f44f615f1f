"""Reading mandates (C1, A2): the decision path's grants, the role switch's list, and the
e-account's lists of given and received mandates.

The decision path asks one indexed question per (person, client): the active mandates in
their period whose grantee is the person or a company the person represents (enterprise
register), granted by the client (`active_filter`, index `mandate_grantee_*`).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from durvis.access.policy import allowed, require
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.identity.models import Company, Person
from durvis.identity.registers import enterprise_register
from durvis.identity.rules import Grant
from durvis.mandates.models import Mandate, MandateScope, MandateState, Right

# Ended mandates stay visible to both sides this long (issue 15).
ENDED_VISIBLE_DAYS = 457  # 15 months


def active_filter(on: datetime.date | None = None) -> Q:
    """Mandates in force on `on` (today): active, and the day within their period."""
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


def _represented_ids(person: Person) -> list[int]:
    return [r.company.pk for r in enterprise_register().representations(person)]


def held_by(person: Person, on: datetime.date | None = None) -> QuerySet[Mandate]:
    """The mandates `person` may act on now: their own, and those of the companies they
    represent (whose representatives act for the company that is the grantee)."""
    companies = _represented_ids(person)
    grantee = Q(grantee_person=person)
    if companies:
        grantee |= Q(grantee_company_id__in=companies)
    return Mandate.objects.filter(active_filter(on), grantee)


def grants(person: Person, client: Any, right: str | None) -> list[Grant]:
    """The relation provider's answer (`identity.rules.RELATIONS`): one `Grant` per mandate in
    force from `client` to `person` (or a company they represent) that gives `right` (None:
    any right). A categories scope is the services in those categories now."""
    if not isinstance(client, Person | Company):
        return []
    mandates = held_by(person).filter(grantor_filter(client))
    if right is not None:
        mandates = mandates.filter(**{f"may_{right}": True})
    else:  # any right at all: a mandate that gives none gives nothing
        any_right = Q()
        for value in Right.values:
            any_right |= Q(**{f"may_{value}": True})
        mandates = mandates.filter(any_right)
    found = list(mandates.values_list("pk", "scope", "basis"))
    rows = [(pk, scope) for pk, scope, _basis in found]
    bases = {pk: basis for pk, _scope, basis in found}
    if not rows:
        return []
    # A scope of chosen services reads only the services, one of categories only the
    # categories (whatever else a row may hold).
    by_services = [pk for pk, scope in rows if scope == MandateScope.SERVICES]
    by_categories = [pk for pk, scope in rows if scope == MandateScope.CATEGORIES]
    services: dict[int, set[int]] = {pk: set() for pk in by_services + by_categories}
    if by_services:
        through: Any = Mandate.services.through
        for mandate_id, service_id in through.objects.filter(
                mandate_id__in=by_services).values_list("mandate_id", "service_id"):
            services[mandate_id].add(service_id)
    if by_categories:
        categories: Any = Mandate.categories.through
        pairs = list(categories.objects.filter(mandate_id__in=by_categories)
                     .values_list("mandate_id", "category_id"))
        if pairs:
            in_category: Any = Service.categories.through
            by_category: dict[int, set[int]] = {}
            for service_id, category_id in in_category.objects.filter(
                    category_id__in={c for _m, c in pairs}).values_list("service_id",
                                                                         "category_id"):
                by_category.setdefault(category_id, set()).add(service_id)
            for mandate_id, category_id in pairs:
                services[mandate_id] |= by_category.get(category_id, set())
    return [Grant(scope == MandateScope.ALL, frozenset(services.get(pk, ())), f"mandate:{pk}",
                  bases[pk]) for pk, scope in rows]


def grantors(person: Person) -> list[Person | Company]:
    """The clients whose mandates `person` holds now (the role switch): persons first, then
    companies, each once, by name."""
    rows = held_by(person).values_list("grantor_person_id", "grantor_company_id").distinct()
    person_ids = {p for p, _c in rows if p is not None}
    company_ids = {c for _p, c in rows if c is not None}
    found: list[Person | Company] = list(
        Person.objects.filter(pk__in=person_ids).order_by("family_name", "given_name", "pk"))
    found += list(Company.objects.filter(pk__in=company_ids).order_by("name", "pk"))
    return found


def mandate_relied_on(person: Person, client: Any, right: str,
                      service_id: int | None) -> Mandate | None:
    """The mandate in force that lets `person` do `right` for `client` about the service (the
    one a case records, `mandate:<id>`): the oldest that reaches it; None."""
    for grant in grants(person, client, right):
        if grant.covers(service_id):
            return Mandate.objects.get(pk=int(grant.reference.partition(":")[2]))
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
