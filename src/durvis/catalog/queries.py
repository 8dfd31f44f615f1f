"""Catalogue reads (A1, C4): `visible_services` filters by the "acting as" context (through the
policy's `VIEW_SERVICE` list filter); `find_services` adds search and the filters of the pages
and the API.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from durvis.access.policy import decide, visible
from durvis.catalog.models import (
    ApplicationMode,
    Audience,
    Category,
    Delegation,
    EmbedOrigin,
    EService,
    LifeSituation,
    Service,
    ServiceStatus,
    Stage,
    TreeNode,
)
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import ANONYMOUS, Actor
from durvis.core.registry import Registry
from durvis.identity.models import Company, Institution, Person, StaffMember
from durvis.identity.rules import IdentityAction, services_in_reach
from durvis.identity.sessions import acting_client, actor_from_request
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


def context_of_request(request: HttpRequest) -> CatalogContext:
    """The catalogue as the request's active role sees it (A1): a signed-in person acting for
    a company sees the company's services, an employee with a mandate for chosen services just
    those, acting for a grantor what the mandate reaches; staff, systems (the API's bearer
    tokens: no role) and visitors as `context_for(actor)`. A role that ended between the role
    switch's check and this one falls back to the person's own context."""
    actor = actor_from_request(request)
    client = acting_client(request) if actor.person is not None and actor.staff is None \
        else None
    try:
        return context_for(actor, client)
    except PermissionDenied:
        return context_for(actor)


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
    """The search matches among `services` (narrowed in the database), best match first (an
    exact code, then every word matched, then by rank: `search.match`; equal ranks in the
    order the services were added); `partial` when they match only some of the query's
    words."""
    found = search.match(SEARCH_KIND, query, within=services)
    return RankedServices([pk for pk, _rank in found], partial=found.partial,
                          near_code=found.near_code, too_short=found.too_short,
                          ignored=found.ignored)


def services_per_word(phrases: Iterable[str], *, limit: int = 5) -> list[WordPreview]:
    """What each word or phrase of a synonym group finds by itself (its synonyms left out):
    the published services an anonymous visitor sees, best first, at most `limit`, and how
    many in all; for the central editor to see what a group joins (issue 19)."""
    visible = visible_services(ANONYMOUS_CONTEXT)
    previews = []
    for phrase in phrases:
        found = search.match(SEARCH_KIND, phrase, within=visible, synonyms=False)
        best = [pk for pk, _rank in found[:limit]]
        loaded = Service.objects.in_bulk(best)
        previews.append(WordPreview(phrase, [loaded[pk] for pk in best if pk in loaded],
                                    len(found), found.partial))
    return previews


@dataclass(frozen=True)
class WordPreview:
    """A synonym's phrase, the first services it finds by itself, how many it finds, and
    whether they match only part of it."""

    phrase: str
    services: list[Service]
    count: int
    partial: bool


class RankedServices:
    """Search results in rank order that count and slice like a QuerySet (for the Paginator and
    the API): only the slice asked for is loaded."""

    def __init__(self, ids: list[int], *, partial: bool = False, near_code: bool = False,
                 too_short: bool = False, ignored: Sequence[str] = ()) -> None:
        self.ids = ids
        self.partial = partial  # the services match only some of the query's words
        self.near_code = near_code  # no service has the code asked for: these have near ones
        self.too_short = too_short  # the query asks for nothing: say what to type
        self.ignored = list(ignored)  # a long query's words left out, as typed

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
    holder, municipality, categories and life situations loaded (its providers:
    `providers_by_stage`); None for an
    unknown, unpublished or out-of-role service alike. Raises nothing."""
    return (
        visible_services(context)
        .select_related("holder", "municipality")
        .prefetch_related("categories", "life_situations")
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


def services_served_by(institution_id: int, stage: str | None = None) -> QuerySet[Service]:
    """The services an institution holds or provides today (`serving`; any state but draft), by
    code: what its specialists may serve clients about (the workplace's purposes, B3, B4);
    `stage` narrows to the services whose `Stage` it serves."""
    return (Service.objects.filter(serving(institution_id, stage))
            .exclude(status=ServiceStatus.DRAFT).order_by("code"))


# --- Holders and providers, per stage (A1, B3; issue 16) ---------------------------------------
#
# The one answer to "may this institution do this stage of this service": the holder does every
# stage of its services; another institution only the stages a `Delegation` in force on the day
# hands it. `delegated` and `serves` answer for one service, `serving` is the same question as a
# filter of a list of services, so a list never shows what a single decision refuses
# (tests/access/test_list_filters.py holds them to each other).

def day_of(at: datetime.date | datetime.datetime | None = None) -> datetime.date:
    """The local calendar day (Europe/Riga) of `at`; today's for None. Delegations hold for
    whole days."""
    if at is None:
        return timezone.localdate()
    if isinstance(at, datetime.datetime):
        return timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    return at


def in_force(at: datetime.date | datetime.datetime | None = None, *, prefix: str = "") -> Q:
    """A filter of `Delegation` rows (or of rows reaching them through `prefix`, such as
    `delegations__`) in force on the day of `at` (`day_of`): begun, not past `valid_until`
    (included), and not an empty period left by an ending before it began."""
    day = day_of(at)
    return (Q(**{f"{prefix}valid_from__lte": day})
            & (Q(**{f"{prefix}valid_until__isnull": True})
               | Q(**{f"{prefix}valid_until__gte": day})))


def _in_force_rows(institution_id: int | None, stage: str | None,
                   at: datetime.date | datetime.datetime | None) -> QuerySet[Delegation]:
    rows = Delegation.objects.filter(in_force(at), provider_id=institution_id)
    return rows.filter(stage=stage) if stage is not None else rows


def delegated(service: Service, institution_id: int | None, stage: str | None = None,
              at: datetime.date | datetime.datetime | None = None) -> bool:
    """Whether the holder of `service` has delegated `stage` (a `Stage` value; None: any stage)
    of it to the institution `institution_id`, in force on the day of `at` (today for None).
    The holder itself is not a delegate: ask `serves`. Raises nothing (an unknown stage or an
    institution of None is simply False)."""
    if institution_id is None:
        return False
    return _in_force_rows(institution_id, stage, at).filter(service_id=service.pk).exists()


def serves(service: Service, institution_id: int | None, stage: str | None = None,
           at: datetime.date | datetime.datetime | None = None) -> bool:
    """Whether the institution may do `stage` (None: some stage) of `service` on the day of
    `at`: it is the holder, or `delegated`. The predicate of the access rules that depend on
    providers (register, e-forms, workflows, integrations)."""
    if institution_id is None:
        return False
    return service.holder_id == institution_id or delegated(service, institution_id, stage, at)


def serving(institution_id: int | None, stage: str | None = None,
            at: datetime.date | datetime.datetime | None = None, *, prefix: str = "") -> Q:
    """`serves` as a filter of services (or of rows reaching a service through `prefix`, such
    as `service__`): the services the institution holds, and those with a delegation of `stage`
    (None: any) to it in force on the day of `at`. A subquery, so the list needs no
    `distinct()`. Matches nothing for an institution of None."""
    if institution_id is None:
        return Q(pk__in=[])
    return (Q(**{f"{prefix}holder_id": institution_id})
            | Q(**{f"{prefix}pk__in": _in_force_rows(institution_id, stage, at)
                   .values("service_id")}))


def providers_by_stage(service: Service, at: datetime.date | datetime.datetime | None = None
                       ) -> dict[str, list[Institution]]:
    """Who does each stage of `service` on the day of `at` besides its holder, by `Stage` value
    in the stages' order (a stage nobody was delegated is absent), providers by name: the
    service page's "where can I apply in person" (A1)."""
    rows = (Delegation.objects.filter(in_force(at), service_id=service.pk)
            .select_related("provider").order_by("provider__name", "provider__code"))
    found: dict[str, list[Institution]] = {}
    for delegation in rows:
        found.setdefault(delegation.stage, []).append(delegation.provider)
    return {stage: found[stage] for stage in Stage.values if stage in found}


def providers_of(service: Service, at: datetime.date | datetime.datetime | None = None
                 ) -> list[Institution]:
    """Who provides `service` on the day of `at`: its holder (every stage) and the institutions
    with a delegation of any stage in force, by code: the catalogue API's derived `providers`
    list (kept for `/api/v1` compatibility)."""
    return list(Institution.objects.filter(
        Q(pk=service.holder_id) | Q(pk__in=Delegation.objects.filter(
            in_force(at), service_id=service.pk).values("provider_id"))).order_by("code"))


def current_delegations(service: Service, at: datetime.date | datetime.datetime | None = None
                        ) -> list[Delegation]:
    """The delegations of `service` in force on the day of `at` (today for None) or to begin
    later, with their providers, by stage, start and provider code: what the catalogue API
    lists (ended and past ones are history, for analytics, not for the public)."""
    day = day_of(at)
    return list(Delegation.objects.filter(service_id=service.pk)
                .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
                .exclude(valid_until__lt=F("valid_from")).select_related("provider")
                .order_by("stage", "valid_from", "provider__code"))


def delegations_given(institution_id: int) -> QuerySet[Delegation]:
    """The delegations of the services the institution holds (the holder's administrator's
    list), by service code, stage and start; not those ended before they began (never in
    force)."""
    return (Delegation.objects.filter(service__holder_id=institution_id)
            .exclude(valid_until__lt=F("valid_from"))
            .select_related("service", "provider", "created_by__user", "ended_by__user"))


def delegations_received(institution_id: int) -> QuerySet[Delegation]:
    """The delegations made to the institution (the provider's view: what it was given), as
    `delegations_given` orders them, without those never in force."""
    return (Delegation.objects.filter(provider_id=institution_id)
            .exclude(valid_until__lt=F("valid_from"))
            .select_related("service", "service__holder"))


@dataclass(frozen=True)
class ServicePageSection:
    """A part another app adds to a service's catalogue page (e.g. the knowledge base's public
    articles, B6): `template` rendered with the page's context and what `context(service,
    language)` gives (an empty dict: the part is left out)."""

    key: str
    template: str
    context: Callable[[Service, str], dict[str, Any]]


SERVICE_PAGE_SECTIONS: Registry[ServicePageSection] = Registry("service page sections")


def service_page_sections(service: Service, language: str) -> list[tuple[str, dict[str, Any]]]:
    """The registered parts of `service`'s page with something to show, as (template,
    context)."""
    parts = [(section.template, section.context(service, language))
             for section in SERVICE_PAGE_SECTIONS]
    return [(template, context) for template, context in parts if context]

