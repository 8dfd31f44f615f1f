"""The service points' part of a service's catalogue page (A1, G08): "where can I do this in
person", the points that handle the service and a search for the nearest, registered into
`catalog.queries.SERVICE_PAGE_SECTIONS`."""

from __future__ import annotations

from typing import Any

from durvis.catalog.models import Service
from durvis.catalog.queries import SERVICE_PAGE_SECTIONS, ServicePageSection
from durvis.servicepoints import queries

# How many points the service page names itself; the search page lists them all.
SHOWN = 5


def _context(service: Service, language: str) -> dict[str, Any]:
    points = list(queries.points_for_service(service))
    if not points:
        return {}
    return {"code": service.code, "count": len(points),
            "points": [(p, p.label(language)) for p in points[:SHOWN]],
            "towns": queries.towns()}


SERVICE_PAGE_SECTIONS.register(ServicePageSection(
    "servicepoints.in_person", "servicepoints/service_section.html", _context))
