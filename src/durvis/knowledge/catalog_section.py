"""The knowledge base's part of a service's catalogue page (B6: a public article is "also shown
on the service page"): the public articles' published text, registered into
`catalog.queries.SERVICE_PAGE_SECTIONS`."""

from __future__ import annotations

from typing import Any

from durvis.catalog.models import Service
from durvis.catalog.queries import SERVICE_PAGE_SECTIONS, ServicePageSection
from durvis.knowledge.models import Section
from durvis.knowledge.queries import public_articles


def _context(service: Service, language: str) -> dict[str, Any]:
    articles = []
    for article in public_articles(service):
        version = article.published
        assert version is not None
        articles.append({
            "title": version.title(language), "legal_acts": version.legal_acts,
            "sections": [(s.label, version.section(s.value, language)) for s in Section
                         if s != Section.BACK_OFFICE and version.section(s.value, language)]})
    return {"articles": articles} if articles else {}


SERVICE_PAGE_SECTIONS.register(ServicePageSection(
    "knowledge.public_articles", "knowledge/service_articles.html", _context))
