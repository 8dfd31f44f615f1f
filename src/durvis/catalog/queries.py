"""Catalogue reads (A1, C4): `visible_services` filters by the "acting as" context (through the
policy's `VIEW_SERVICE` list filter); `find_services` adds search and the filters of the pages
and the API.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import overload

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from durvis.access.policy import decide, visible
from durvis.catalog.models import (
    ApplicationMode,
    Audience,
    Category,
    EmbedOrigin,
    EService,
    LifeSituation,
    Service,
    ServiceStatus,
    TreeNode,
)
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import ANONYMOUS, Actor
from durvis.identity.models import Company, Institution, Person, StaffMember
from durvis.identity.rules import IdentityAction, services_in_reach
from durvis.search import services as search

SEARCH_KIND = "catalog.service"
PUBLIC_AUDIENCES = [Audience.RESIDENTS, Audience.COMPANIES, Audience.ALL]


@dataclass(frozen=True)
class CatalogContext:
    """In which role the catalogue is being looked at ("acting as", A1).

    Empty: an anonymous visitor. A person: a resident, who sees state services and their own
    municipality's. A company: its representative. A staff member: also internal services.
    """

    person: Person | None = None
    company: Company | None = None
    staff: StaffMember | None = None
    # Acting for the client only by a mandate of chosen services (a company's employee, A1,
    # C1): just those services; None: no such narrowing.
    service_ids: frozenset[int] | None = None


ANONYMOUS_CONTEXT = CatalogContext()


def context_for(actor: Actor, client: Person | Company | None = None) -> CatalogContext:
    """The catalogue context ("acting as", A1) of an actor: staff see the catalogue as staff
    (whatever `client`); a person acting for `client` (themself, their minor child, a company
    they represent) sees it as that client; a signed-in person without a client as themself;
    anybody else as an anonymous visitor. Raises PermissionDenied when the actor may not act
    for `client` (`IdentityAction.ACT_FOR`)."""
    if actor.staff is not None:
        return CatalogContext(staff=actor.staff)
    if client is not None:
        if not decide(actor, IdentityAction.ACT_FOR, client=client):
            raise PermissionDenied("may not act for this client")
        reach = services_in_reach(actor, client)
        if isinstance(client, Company):
            return CatalogContext(company=client, service_ids=reach)
        return CatalogContext(person=client, service_ids=reach)
    if actor.person is not None:
        return CatalogContext(person=actor.person)
    return ANONYMOUS_CONTEXT


def visible_services(context: CatalogContext = ANONYMOUS_CONTEXT) -> QuerySet[Service]:
    """Published services that the policy lets the context's actor see (`VIEW_SERVICE`'s list
    filter), narrowed to those that fit the role: a resident's state and municipal services, a
    company's services (A1)."""
    viewer = Actor(kind="staff", staff=context.staff) if context.staff is not None else ANONYMOUS
    services = visible(viewer, CatalogAction.VIEW_SERVICE,
                       Service.objects.filter(status=ServiceStatus.PUBLISHED))
    if context.staff is not None:
        return services
    if context.service_ids is not None:
        services = services.filter(pk__in=sorted(context.service_ids))
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
    """The catalogue list's filters (A1, C4); empty fields do not filter. `query` is free
    text; `category` and `life_situation` take in their subtrees; `audience` is an `Audience`
    value; `holder` is the holder (pakalpojuma turētājs)."""

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
        """How many results (as `QuerySet.count`, for the Paginator)."""
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
    """The service with this code if the context may see it (`visible_services`), with its
    holder, municipality, providers, categories and life situations loaded; None for an
    unknown, unpublished or out-of-role service alike. Raises nothing."""
    return (
        visible_services(context)
        .select_related("holder", "municipality")
        .prefetch_related("providers", "categories", "life_situations")
        .filter(code=code)
        .first()
    )


def categories() -> QuerySet[Category]:
    """All service categories (every level of the tree), by position and slug."""
    return Category.objects.all()


def life_situations() -> QuerySet[LifeSituation]:
    """All life situations (dzīves situācijas; every level of the tree), by position and
    slug."""
    return LifeSituation.objects.all()


def institutions() -> QuerySet[Institution]:
    """All institutions (iestādes: holders and providers alike), by code."""
    return Institution.objects.all()


def services_by_code(codes: Collection[int]) -> dict[int, Service]:
    """Services by their codes, whatever their state (a notification names the case's service)."""
    return {service.code: service for service in Service.objects.filter(code__in=set(codes))}


# --- Holders' e-services and embedding (A12, A10, issue 13) ------------------------------------

def eservice_for(service: Service) -> EService | None:
    """The registration that a hand-off to a holder-hosted `service` uses: an active e-service
    of the service's holder (never another institution's) with the service's e-service address
    among its return addresses; None when the service is not holder-hosted or none matches."""
    if service.application_mode != ApplicationMode.HOLDER or not service.eservice_url:
        return None
    return next((eservice for eservice in EService.objects.filter(
        institution_id=service.holder_id, is_active=True).order_by("pk")
        if service.eservice_url in (eservice.return_urls or [])), None)


def eservices_of(institution: Institution) -> list[EService]:
    """The institution's registered e-services, active and not, by name."""
    return list(EService.objects.filter(institution=institution))


def embed_origins_of(institution: Institution) -> list[EmbedOrigin]:
    """The web sites that may frame the institution's e-forms, by origin."""
    return list(EmbedOrigin.objects.filter(institution=institution))


def frame_origins(service: Service) -> list[str]:
    """The origins (`https://host[:port]`) that may frame `service`'s e-form pages: those its
    holder's administrator registered (A10). Empty: nobody."""
    return list(EmbedOrigin.objects.filter(institution_id=service.holder_id)
                .values_list("origin", flat=True))


def services_served_by(institution_id: int) -> QuerySet[Service]:
    """The services an institution holds or provides (any state but draft), by code: what its
    specialists may serve clients about (the workplace's purposes, B3, B4)."""
    return (Service.objects.filter(Q(holder_id=institution_id) | Q(providers=institution_id))
            .exclude(status=ServiceStatus.DRAFT).distinct().order_by("code"))
