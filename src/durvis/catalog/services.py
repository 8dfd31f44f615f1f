"""Catalogue services and queries (A1, C4).

Reads: `visible_services` filters by the "acting as" context; `find_services` adds search and the
filters of the pages and the API. Writes: `create_service` and `update_service` check the access
policy, write the audit log and reindex the service for search, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, overload

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce

from durvis.access.policy import Action, Actor, decide
from durvis.audit.services import record
from durvis.catalog.models import (
    Audience,
    Category,
    LifeSituation,
    Service,
    ServiceStatus,
    TreeNode,
)
from durvis.identity.models import Company, Institution, Person, StaffMember
from durvis.search import services as search

SEARCH_KIND = "catalog.service"
PUBLIC_AUDIENCES = [Audience.RESIDENTS, Audience.COMPANIES, Audience.ALL]
FIRST_SERVICE_CODE = 1000
TRANSLATED_FIELDS = ("name", "summary", "description")


@dataclass(frozen=True)
class CatalogContext:
    """In which role the catalogue is being looked at ("acting as", A1).

    Empty: an anonymous visitor. A person: a resident, who sees state services and their own
    municipality's. A company: its representative. A staff member: also internal services.
    """

    person: Person | None = None
    company: Company | None = None
    staff: StaffMember | None = None


ANONYMOUS_CONTEXT = CatalogContext()


def context_for(actor: Actor, client: Person | Company | None = None) -> CatalogContext:
    """The catalogue context of an actor, acting for a client the access policy allows."""
    if actor.staff is not None:
        return CatalogContext(staff=actor.staff)
    if client is not None:
        if not decide(actor, Action.ACT_FOR, client=client):
            raise PermissionDenied("may not act for this client")
        if isinstance(client, Company):
            return CatalogContext(company=client)
        return CatalogContext(person=client)
    if actor.person is not None:
        return CatalogContext(person=actor.person)
    return ANONYMOUS_CONTEXT


def visible_services(context: CatalogContext = ANONYMOUS_CONTEXT) -> QuerySet[Service]:
    """Published services that fit the context."""
    services = Service.objects.filter(status=ServiceStatus.PUBLISHED)
    if context.staff is not None:
        return services
    if context.company is not None:
        services = services.filter(audience__in=[Audience.COMPANIES, Audience.ALL])
        return services.filter(_in_scope(context.company.municipality_id))
    if context.person is not None:
        services = services.filter(audience__in=[Audience.RESIDENTS, Audience.ALL])
        return services.filter(_in_scope(context.person.declared_municipality_id))
    return services.filter(audience__in=PUBLIC_AUDIENCES)


def _in_scope(municipality_id: int | None) -> Q:
    """State-wide services plus those of the given municipality."""
    return Q(municipality__isnull=True) | Q(municipality_id=municipality_id)


@dataclass(frozen=True)
class ServiceFilters:
    query: str = ""
    category: Category | None = None
    life_situation: LifeSituation | None = None
    holder: Institution | None = None
    audience: str | None = None
    municipality: Institution | None = None


def find_services(
    filters: ServiceFilters, context: CatalogContext = ANONYMOUS_CONTEXT
) -> QuerySet[Service] | RankedServices:
    """The catalogue list: visible services, filtered, best search matches first. Both kinds of
    result count (`count()`) and slice."""
    services = visible_services(context)
    if filters.category is not None:
        services = services.filter(categories__in=subtree_ids(filters.category)).distinct()
    if filters.life_situation is not None:
        services = services.filter(
            life_situations__in=subtree_ids(filters.life_situation)
        ).distinct()
    if filters.holder is not None:
        services = services.filter(holder=filters.holder)
    if filters.audience == Audience.INTERNAL:
        services = services.filter(audience=Audience.INTERNAL)
    elif filters.audience in (Audience.RESIDENTS, Audience.COMPANIES):
        services = services.filter(audience__in=[filters.audience, Audience.ALL])
    if filters.municipality is not None:
        services = services.filter(municipality=filters.municipality)
    if not filters.query.strip():
        return services.select_related("holder", "municipality").order_by("code")
    return _ranked(services, filters.query)


def _ranked(services: QuerySet[Service], query: str) -> RankedServices:
    """The visible services among the search matches, best match first, then by code."""
    rank = dict(search.match(SEARCH_KIND, query))
    if not rank:
        return RankedServices([])
    visible = services.filter(pk__in=list(rank)).values_list("pk", "code")
    ordered = sorted(visible, key=lambda row: (-rank[row[0]], row[1]))
    return RankedServices([pk for pk, _code in ordered])


class RankedServices:
    """Search results in rank order that count and slice like a QuerySet (for the Paginator and
    the API): only the slice asked for is loaded."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Service]:
        return iter(self[:])

    @overload
    def __getitem__(self, index: int) -> Service: ...

    @overload
    def __getitem__(self, index: slice) -> list[Service]: ...

    def __getitem__(self, index: int | slice) -> Service | list[Service]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        ids = self.ids[index]
        found = Service.objects.select_related("holder", "municipality").in_bulk(ids)
        return [found[pk] for pk in ids]


def subtree_ids(node: TreeNode) -> list[int]:
    """The node and all its descendants (the trees are small: a few hundred nodes)."""
    model = type(node)
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in model.objects.values_list("pk", "parent_id"):  # type: ignore[attr-defined]
        children.setdefault(parent_id, []).append(pk)
    found, todo = [], [node.pk]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def service_by_code(code: int, context: CatalogContext = ANONYMOUS_CONTEXT) -> Service | None:
    return (
        visible_services(context)
        .select_related("holder", "municipality")
        .prefetch_related("providers", "categories", "life_situations")
        .filter(code=code)
        .first()
    )


def next_service_code() -> int:
    """Codes are never reused: the next code follows the highest ever given (services are never
    deleted, so the highest is still in the table)."""
    highest = Service.objects.aggregate(top=Coalesce(Max("code"), FIRST_SERVICE_CODE - 1))["top"]
    return int(highest) + 1


def reindex(service: Service) -> None:
    """Index the service's names and descriptions in every language, its codes and holder."""
    texts: list[str] = [str(service.code), service.pilot_code, service.holder.code]
    for field in TRANSLATED_FIELDS:
        texts.extend(str(getattr(service, f"{field}_{lang}") or "") for lang in ("lv", "en"))
    texts.extend(str(getattr(service.holder, f"name_{lang}") or "") for lang in ("lv", "en"))
    search.index(SEARCH_KIND, service.pk, texts)


@transaction.atomic
def create_service(
    actor: Actor, holder: Institution, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]]
) -> Service:
    """Add a service to the holder's catalogue under a new code."""
    decision = decide(actor, Action.CREATE_SERVICE, holder)
    if not decision:
        raise PermissionDenied(decision.reason)
    service = Service(holder=holder, code=next_service_code(), **fields)
    service.full_clean()
    service.save()
    _set_relations(service, relations)
    reindex(service)
    record(actor, "catalog.service.create", service, details={"code": service.code})
    return service


@transaction.atomic
def update_service(
    actor: Actor, service: Service, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]]
) -> Service:
    """Change a service; the audit event lists the fields that changed."""
    decision = decide(actor, Action.CHANGE_SERVICE, service)
    if not decision:
        raise PermissionDenied(decision.reason)
    changed = sorted(name for name, value in fields.items() if getattr(service, name) != value)
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean()
    service.save()
    changed += _set_relations(service, relations)
    reindex(service)
    record(actor, "catalog.service.update", service, details={"changed": changed})
    return service


def _set_relations(service: Service, relations: Mapping[str, Iterable[Any]]) -> list[str]:
    changed = []
    for name, values in relations.items():
        manager = getattr(service, name)
        wanted = {v.pk for v in values}
        if wanted != set(manager.values_list("pk", flat=True)):
            manager.set(list(values))
            changed.append(name)
    return changed


@transaction.atomic
def import_service(
    code: int, holder: Institution, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]]
) -> tuple[Service, bool]:
    """Create or update a service under a given code, as a trusted import (demo data, a
    migration from an institution's old catalogue). Returns (service, changed); a service whose
    data is unchanged is not written again."""
    service = Service.objects.filter(code=code).first() or Service(code=code)
    fields = {**fields, "holder": holder}
    changed = service.pk is None or any(getattr(service, k) != v for k, v in fields.items())
    if changed:
        for name, value in fields.items():
            setattr(service, name, value)
        service.full_clean(validate_unique=True)
        service.save()
    changed = bool(_set_relations(service, relations)) or changed
    if changed:
        reindex(service)
    return service, changed


@transaction.atomic
def import_tree_node(
    model: type[Category] | type[LifeSituation], slug: str, fields: dict[str, Any], parent: Any,
) -> TreeNode:
    """Create or update a category or life situation by slug (trusted import)."""
    node, _ = model.objects.update_or_create(slug=slug, defaults={**fields, "parent": parent})
    return node


def categories() -> QuerySet[Category]:
    return Category.objects.all()


def life_situations() -> QuerySet[LifeSituation]:
    return LifeSituation.objects.all()


def institutions() -> QuerySet[Institution]:
    return Institution.objects.all()
