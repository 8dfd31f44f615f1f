"""Knowledge base search on PostgreSQL (issue 17, B6, A13): is finding an article among 20,000 as
fast as finding a service in the catalogue?

Target: `knowledge.search_ratio_vs_catalog` ≤ 1.5: the p95 of `knowledge.queries.search_articles`
(every word matched through the one search service, the reader's audience filter, the 20 best
articles loaded with their published text) over the p95 of the catalogue's search
(`catalog.queries.find_services`, the 20 best services loaded) in the same process, the same
run, on the same words, alternating so that noise hits both alike, the catalogue at its own
benchmark's size (5,000 services, `catalog_search`). Articles are generated from
the catalogue benchmark's Latvian and English public-service vocabulary (`catalog_search`):
each about a service, its sections made of several sentences (about 120 words), of every
audience. Measured at 5,000 and at 20,000 articles to show the growth.
Run by `bench/run.py`; needs DATABASE_URL (a PostgreSQL server)."""

from __future__ import annotations

import os
import random
import sys
import time
from typing import Any

import catalog_search
import harness

# `KNOWLEDGE_BENCH_SIZES=1000,2000` (and `KNOWLEDGE_BENCH_SERVICES`) for a quick look.
SIZES = tuple(int(n) for n in os.environ.get("KNOWLEDGE_BENCH_SIZES", "5000,20000").split(","))
SERVICES = int(os.environ.get("KNOWLEDGE_BENCH_SERVICES", "5000"))
ROUNDS = 15  # rounds of the 20 queries: 300 samples per series and size
SEED = 2026
AUDIENCES = ("public", "providers", "holder", "delegated")
AUDIENCE_WEIGHTS = (5, 3, 1, 1)
SECTIONS = ("summary", "eligibility", "documents", "steps", "channels", "faq")


def _articles(rng: random.Random, services: list[Any], editor: Any, count: int) -> float:
    """`count` published articles written directly (the lifecycle's cost is not what is
    measured) and indexed by the knowledge app's own `index_article`; returns the seconds the
    indexing took."""
    from durvis.knowledge.models import Article, ArticleVersion, VersionState
    from durvis.knowledge.services import index_article

    sentences = catalog_search.SENTENCES
    batch = []
    for _ in range(count):
        service = rng.choice(services)
        batch.append(Article(institution_id=service.holder_id, service=service,
                             audience=rng.choices(AUDIENCES, AUDIENCE_WEIGHTS)[0],
                             first_level=rng.random() < 0.3, created_by=editor))
    articles = Article.objects.bulk_create(batch, batch_size=2000)
    versions = []
    for article in articles:
        assert article.service is not None
        content = {}
        for key in SECTIONS:
            chosen = rng.sample(sentences, rng.randint(1, 3))
            content[key] = {"lv": " ".join(lv for lv, _ in chosen),
                            "en": " ".join(en for _, en in chosen)}
        group = rng.choice(catalog_search.GROUPS)
        versions.append(ArticleVersion(
            article=article, number=1, state=VersionState.PUBLISHED, author=editor,
            title_lv=f"{article.service.name} {group[0]}: kā rīkoties".strip(),
            title_en=f"{group[1]} how to proceed".strip(), content=content))
    versions = ArticleVersion.objects.bulk_create(versions, batch_size=2000)
    for article, version in zip(articles, versions, strict=True):
        article.published = version
    Article.objects.bulk_update(articles, ["published"], batch_size=2000)
    started = time.perf_counter()
    for article in Article.objects.filter(pk__in=[a.pk for a in articles]).select_related(
            "published", "service"):
        index_article(article)
    return time.perf_counter() - started


def _measure(reader: Any) -> tuple[list[float], list[float], dict[str, int]]:
    """Alternate both searches over the queries; returns (knowledge ms, catalogue ms, how many
    articles each query found for the reader)."""
    from durvis.catalog.queries import ServiceFilters, find_services
    from durvis.knowledge.queries import search_articles

    def knowledge(query: str) -> int:
        return len(search_articles(reader, query, limit=20))

    def catalogue(query: str) -> int:
        return len(list(find_services(ServiceFilters(query=query))[:20]))

    found = {q: knowledge(q) for q in catalog_search.QUERIES}  # warm-up
    for q in catalog_search.QUERIES:
        catalogue(q)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for query in catalog_search.QUERIES:
            for series, search in zip(times, (knowledge, catalogue), strict=True):
                started = time.perf_counter()
                search(query)
                series.append((time.perf_counter() - started) * 1000)
    return times[0], times[1], found


def main() -> int:
    harness.stop_cleanly_on_signals()
    rng = random.Random(SEED)
    p = harness.percentile
    growth: dict[int, float] = {}
    with harness.bench_database("durvis_bench_knowledge") as url:
        catalog_search._setup_django(url)
        from django.db import connections

        from durvis.catalog.models import Service
        from durvis.core.actor import Actor
        from durvis.identity.services import record_staff

        try:
            institutions = catalog_search._make_institutions()
            catalog_search._generate(rng, institutions, catalog_search.FIRST_CODE, SERVICES)
            services = list(Service.objects.all())
            editor = record_staff(username="editor.bench", password="bench-password-long",
                                  institution=institutions["VSAA"], roles=["knowledge_editor"])
            reader = Actor(kind="staff", staff=record_staff(
                username="agent.bench", password="bench-password-long",
                institution=institutions["RIGA"], roles=["agent"]))
            made = 0
            for size in SIZES:
                seconds = _articles(rng, services, editor, size - made)
                harness.note(f"indexed {size - made} articles in {seconds:.1f} s "
                             f"({seconds / (size - made) * 1000:.1f} ms each)")
                made = size
                catalog_search._analyze()
                knowledge, catalogue, found = _measure(reader)
                figures = {"search_p95_ms": p(knowledge, 0.95),
                           "search_p50_ms": p(knowledge, 0.5),
                           "catalog_search_p95_ms": p(catalogue, 0.95)}
                figures["search_ratio_vs_catalog"] = (figures["search_p95_ms"]
                                                      / figures["catalog_search_p95_ms"])
                harness.report("knowledge", size, figures, headline=size == SIZES[-1])
                growth[size] = figures["search_p95_ms"]
                harness.note(f"  at {size}: articles found per query (max 20): "
                             + ", ".join(f"{q!r} {n}" for q, n in found.items()))
        finally:
            connections.close_all()
    harness.emit(f"knowledge.search_p95_growth_{SIZES[0]}_to_{SIZES[-1]}",
                 growth[SIZES[-1]] / growth[SIZES[0]])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        harness.note("knowledge interrupted (its database was dropped)")
        sys.exit(130)
