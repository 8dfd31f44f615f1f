"""Public catalogue pages (A1): home, search and browse, a service page, the embeddable search."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from durvis.catalog import queries as catalog_queries
from durvis.catalog.models import Category, LifeSituation, Service, Stage
from durvis.core.embed import embeddable, frame_script
from durvis.core.forms import PageField, QueryForm
from durvis.identity.models import Institution

PAGE_SIZE = 20
INSTITUTION_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")
MAX_QUERY_LENGTH = 200


def _top_level(model: type[Category] | type[LifeSituation]) -> list[Category | LifeSituation]:
    return list(model.objects.filter(parent__isnull=True))


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/home.html", {
        "categories": _top_level(Category),
        "life_situations": _top_level(LifeSituation),
    })


class CatalogQuery(QueryForm):
    """The query of the search and browse pages: the words searched for, the holder's code and
    the page. A search longer than MAX_QUERY_LENGTH is cut there (a pasted paragraph still
    searches); an unknown holder filters nothing."""

    q = forms.CharField(label=_("Search"), required=False, initial="", strip=True)
    holder = forms.RegexField(label=_("Institution"), regex=INSTITUTION_CODE, required=False,
                              initial="")
    page = PageField()

    # The search's error is shown with the results (`_results.html`: no results then), not in
    # the summary of the address's unusable parts ("the page is shown without it").
    shown = ("q",)

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"])[:MAX_QUERY_LENGTH]

    def refused(self) -> str:
        """Why the search text cannot be used (a control character, ...), or "" when it can."""
        self.is_valid()
        return " ".join(str(m) for m in self.errors.get("q", []))

    def params(self) -> str:
        """The search and holder as given, for the links to other pages; a refused one is left
        out (the next page would refuse it again)."""
        self.is_valid()
        return urlencode([(name, self.data[name]) for name in ("q", "holder")
                          if self.data.get(name) and name not in self.errors])


def _results(request: HttpRequest, filters: catalog_queries.ServiceFilters,
             query: CatalogQuery) -> dict[str, object]:
    """The page of results; none when the search text is refused (listing every service under
    the error read as if they matched it)."""
    refused = query.refused()
    services = (catalog_queries.RankedServices([]) if refused else
                catalog_queries.find_services(filters,
                                              catalog_queries.context_of_request(request)))
    paginator = Paginator(services, PAGE_SIZE)
    page = paginator.get_page(query.value("page"))
    return {"page": page, "query": filters.query, "params": query.params(),
            "query_form": query, "refused": refused,
            "partial": getattr(services, "partial", False),
            "near_code": getattr(services, "near_code", False),
            "too_short": getattr(services, "too_short", False),
            "ignored": getattr(services, "ignored", [])}


def _filters(query: CatalogQuery, **fixed: object) -> catalog_queries.ServiceFilters:
    code = query.value("holder")
    holder = Institution.objects.filter(code=code).first() if code else None
    return catalog_queries.ServiceFilters(query=query.value("q"), holder=holder,
                                          **fixed)  # type: ignore[arg-type]


def _list_page(request: HttpRequest, template: str, extra: dict[str, object],
               **fixed: object) -> HttpResponse:
    query = CatalogQuery(request.GET)
    filters = _filters(query, **fixed)
    context = {**extra, **_results(request, filters, query),
               "holders": Institution.objects.filter(held_services__isnull=False).distinct(),
               "holder": filters.holder}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "catalog/_results.html", context)
    return render(request, template, context)


@require_safe
def service_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, "catalog/service_list.html", {})


@require_safe
def category(request: HttpRequest, slug: str) -> HttpResponse:
    node = get_object_or_404(Category, slug=slug)
    return _list_page(request, "catalog/browse.html",
                      {"node": node, "kind": "category", "children": node.children.all()},
                      category=node)


@require_safe
def life_situation(request: HttpRequest, slug: str) -> HttpResponse:
    node = get_object_or_404(LifeSituation, slug=slug)
    return _list_page(request, "catalog/browse.html",
                      {"node": node, "kind": "life-situation", "children": node.children.all()},
                      life_situation=node)


@require_safe
def service_detail(request: HttpRequest, code: int) -> HttpResponse:
    service = catalog_queries.service_by_code(code, catalog_queries.context_of_request(request))
    if service is None:
        raise Http404
    return render(request, "catalog/service_detail.html", {
        "service": service, "stages": _stages(service),
        "sections": catalog_queries.service_page_sections(service, get_language() or "lv")})


# What the service page calls each stage when it names the institutions doing it (A1: "where
# can I apply in person").
STAGE_HEADINGS = {
    Stage.INFORMATION: _("Advice about the service"),
    Stage.APPLICATION: _("Where to apply in person"),
    Stage.EXECUTION: _("Who processes the application"),
    Stage.RESULT_DELIVERY: _("Where to receive the result"),
}


def _stages(service: Service) -> list[tuple[str, list[Institution]]]:
    """For each stage some provider was delegated today: its heading and who does it (the
    holder first, then the providers by name). Stages nobody was delegated are left out: the
    holder's name stands above."""
    return [(str(STAGE_HEADINGS[Stage(stage)]), [service.holder, *providers])
            for stage, providers in catalog_queries.providers_by_stage(service).items()]


@embeddable
def embed(request: HttpRequest) -> HttpResponse:
    """The catalogue search for another portal's page: framed, links open in the parent."""
    query = CatalogQuery(request.GET)
    return render(request, "catalog/embed.html", _results(request, _filters(query), query))


@require_safe
def embed_script(request: HttpRequest) -> HttpResponse:
    """`<script src=".../embed.js" data-lang="en">`: inserts the framed search where it stands."""
    return frame_script(request, "catalog:embed", title_lv="Meklēt valsts pakalpojumu",
                        title_en="Search for a public service", height="480px")
