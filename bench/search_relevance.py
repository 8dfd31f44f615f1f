"""Search relevance and cost (issue 19): the judged queries against the demo catalogue, and the
search's p95 against today's in the same run.

Figures (`BENCH <name>=<number>`):
- `search.mrr`: the mean reciprocal rank over the judged queries (`search_judged.tsv`: for each
  query 1/the rank of the first service a person would expect, 0 if not found); target ≥ 0.95.
- `search.empty`: the judged queries that found nothing; target 0.
- `search.mrr_<kind>`: the MRR per kind of query (Latvian, without diacritics, inflected,
  English, misspelt, everyday words, codes).
- `search.p95_ms_at_<n>`, `search.legacy_p95_ms_at_<n>`, `search.p95_ratio_at_<n>` (and
  without the size at 5,000): the p95 of a catalogue search (`catalog.queries.find_services`,
  its first page of 20 loaded, in this process on PostgreSQL) with the new matching, against
  the matching of before issue 19 (every word by trigram similarity, ranks summed: `LEGACY`,
  kept here only to measure it) over the same index, at the demo's catalogue and with 1,000
  and 5,000 generated services (`catalog_search.BASES`); target ratio ≤ 1.2.

Run by `bench/run.py`; needs DATABASE_URL (a PostgreSQL server).
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

import catalog_search
import harness
import judged

SIZES = (1_000, 5_000)
ROUNDS = 5
FIRST_CODE = 10_000
PAGE = 20

# The matching of before issue 19 (`search.services.match` at commit 8e7efab): every query
# word must match an indexed word by trigram word similarity; the rank sums the similarities.
LEGACY = (
    "WITH q(i, w) AS (VALUES {rows}), m AS (SELECT q.i, sw.word, word_similarity(q.w, sw.word) "
    "AS s FROM q JOIN search_searchword sw ON sw.word %%> q.w), "
    "hits AS (SELECT ew.object_id, m.i, max(m.s) AS s FROM m "
    "JOIN search_searchentryword ew ON ew.word = m.word AND ew.kind = %s "
    "GROUP BY ew.object_id, m.i), "
    "ranked AS (SELECT object_id, sum(s) AS rank FROM hits GROUP BY object_id "
    "HAVING count(*) = %s) "
    "SELECT object_id, rank FROM ranked ORDER BY rank DESC, object_id"
)


def legacy_search(query: str) -> list[Any]:
    """The catalogue's search of before: the legacy matching, then the visible services among
    the matches by rank and code, the first page loaded."""
    from django.db import connection

    from durvis.catalog.models import Service
    from durvis.catalog.queries import ANONYMOUS_CONTEXT, SEARCH_KIND, visible_services
    from durvis.search.text import normalize

    words = list(dict.fromkeys(w for w in normalize(query).split() if len(w) >= 2))[:8]
    if not words:
        return []
    rows = ", ".join(["(CAST(%s AS integer), CAST(%s AS text))"] * len(words))
    with connection.cursor() as cursor:
        cursor.execute(LEGACY.format(rows=rows),
                       [v for n, w in enumerate(words) for v in (n, w)] + [SEARCH_KIND,
                                                                           len(words)])
        rank = {pk: float(r) for pk, r in cursor.fetchall()}
    if not rank:
        return []
    visible = visible_services(ANONYMOUS_CONTEXT).filter(pk__in=list(rank)).values_list(
        "pk", "code")
    ordered = [pk for pk, _c in sorted(visible, key=lambda row: (-rank[row[0]], row[1]))]
    found = Service.objects.select_related("holder", "municipality").in_bulk(ordered[:PAGE])
    return [found[pk] for pk in ordered[:PAGE]]


def new_search(query: str) -> list[Any]:
    from durvis.catalog.queries import ServiceFilters, find_services

    return list(find_services(ServiceFilters(query=query))[:PAGE])


def codes(query: str) -> list[int]:
    from durvis.catalog.queries import ServiceFilters, find_services

    return [s.code for s in find_services(ServiceFilters(query=query))[:PAGE]]


def measure(queries: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds of each search, new and legacy alternating, whole rounds over `queries`."""
    new, legacy = [], []
    for query in queries:  # warm-up
        new_search(query)
        legacy_search(query)
    for _ in range(ROUNDS):
        for query in queries:
            started = time.perf_counter()
            new_search(query)
            new.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            legacy_search(query)
            legacy.append((time.perf_counter() - started) * 1000)
    return new, legacy


def report(size: int | str, new: list[float], legacy: list[float], headline: bool) -> None:
    p = harness.percentile
    figures = {"p95_ms": p(new, 0.95), "legacy_p95_ms": p(legacy, 0.95),
               "p50_ms": p(new, 0.5), "legacy_p50_ms": p(legacy, 0.5)}
    figures["p95_ratio"] = figures["p95_ms"] / figures["legacy_p95_ms"]
    harness.report("search", size, figures, headline)  # type: ignore[arg-type]


def main() -> int:
    harness.stop_cleanly_on_signals()
    items = judged.load()
    queries = [item.query for item in items]
    with harness.bench_database("durvis_bench_search") as url:
        catalog_search._setup_django(url)
        from django.db import connections

        from durvis.demo.loader import load_catalogue

        try:
            institutions, count = load_catalogue()
            catalog_search._analyze()
            figures = judged.evaluate(codes, items)
            harness.emit("search.mrr", round(figures.mrr, 4))
            harness.emit("search.empty", figures.empty)
            harness.emit("search.judged_queries", figures.count)
            for kind, mrr in figures.by_kind.items():
                harness.emit(f"search.mrr_{kind}", round(mrr, 4))
            for query, found, expected in figures.misses:
                harness.note(f"  below rank 1: {query!r} -> {found} (expected "
                             f"{sorted(expected)})")
            new, legacy = measure(queries)
            report("demo", new, legacy, headline=False)
            harness.note(f"demo catalogue ({count} services): {len(new)} searches each way")
            missing = [code for code, *_ in catalog_search.INSTITUTIONS
                       if code not in institutions]
            from durvis.identity.services import record_institution

            for code, lv, en, kind in catalog_search.INSTITUTIONS:
                if code in missing:
                    institutions[code] = record_institution(code=code,
                                                            names={"lv": lv, "en": en}, kind=kind)
            rng = random.Random(catalog_search.SEED)
            made = 0
            for size in SIZES:
                catalog_search._generate(rng, {c: institutions[c] for c, *_ in
                                               catalog_search.INSTITUTIONS},
                                         FIRST_CODE + made, size - made)
                made = size
                catalog_search._analyze()
                new, legacy = measure(queries)
                report(size, new, legacy, headline=size == SIZES[-1])
                harness.note(f"{size} generated services: {len(new)} searches each way")
        finally:
            connections.close_all()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        harness.note("search_relevance interrupted (its database was dropped)")
        sys.exit(130)
