"""Public pages of service points (A1, G08): the points that handle a service, nearest first
to a place the client types (one of the points' towns, or coordinates the browser's location
fills in), on a list that is complete by itself and, where a deployment configures tiles, a
map; and one point's page (address, hours of the week ahead, accessibility, services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from durvis.catalog import queries as catalog_queries
from durvis.core.forms import Form
from durvis.servicepoints import queries


class NearForm(Form):
    near = forms.CharField(label=gettext_lazy("Address, town or coordinates"), max_length=100,
                           required=False,
                           help_text=gettext_lazy(
                               "For example Saules iela 5, Daugavpils; Valmiera; or 56.95, 24.11"),
                           widget=forms.TextInput(attrs={"list": "point-towns",
                                                         "autocomplete": "address-level2"}))


def _map(rows: list[tuple[Any, ...]], language: str) -> dict[str, Any] | None:
    if not settings.DURVIS_MAP_TILES_URL:
        return None
    return {"tiles": settings.DURVIS_MAP_TILES_URL, "attribution": settings.DURVIS_MAP_ATTRIBUTION,
            "points": [{"name": p.label(language), "lat": float(p.latitude),
                        "lon": float(p.longitude), "address": p.address,
                        "id": f"point-{p.pk}"} for p, *_rest in rows]}


@require_safe
def nearest(request: HttpRequest, code: int) -> HttpResponse:
    """GET `near` (an address, a town or "lat, lon": `queries.place_of`): the service's
    points nearest first, with their distance; without it all by town. An unknown place
    answers 422 with the error summary, the "not in the address register" note and the whole
    list; a refused input (`NearForm`'s text checks) 422 with its refusal only."""
    service = catalog_queries.service_by_code(code, catalog_queries.context_of_request(request))
    if service is None:
        raise Http404
    language = get_language() or "lv"
    form = NearForm(request.GET or None)
    points = list(queries.points_for_service(service))
    rows: list[tuple[Any, float | None]] = [(p, None) for p in points]
    place = None
    not_found = False  # a refused input (e.g. a control character) only shows its refusal
    if form.is_valid() and form.cleaned_data["near"]:
        place = queries.place_of(form.cleaned_data["near"])
        if place is None:
            not_found = True
            form.add_error("near", _(
                "“%(place)s” was not found in the address register. Check the spelling, type "
                "only the town, use your location, or choose from the full list of places "
                "below.") % {"place": form.cleaned_data["near"]})
        else:
            rows = [(p, d) for p, d in queries.nearest(points, place)]
    links = queries.point_links(service, [p.pk for p in points])
    return render(request, "servicepoints/nearest.html", {
        "service": service, "form": form, "place": place,
        "rows": [(p, d, links.get(p.pk, [])) for p, d in rows],
        "towns": queries.towns(), "map": _map(rows, language), "language": language,
        "not_found": not_found,
    }, status=422 if form.errors else 200)


@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One point: its address, the week ahead's hours by its business calendar (holidays and
    its own closures), accessibility notes and the services it handles."""
    point = queries.point(pk)
    if point is None:
        raise Http404
    language = get_language() or "lv"
    visible = catalog_queries.visible_services(catalog_queries.context_of_request(request))
    return render(request, "servicepoints/detail.html", {
        "point": point, "name": point.label(language), "days": queries.days_ahead(point),
        "accessibility": point.accessibility_in(language),
        "services": queries.services_handled(point).filter(pk__in=visible.values("pk")),
        "map": _map([(point, None)], language)})
