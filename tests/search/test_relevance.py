"""The judged queries (`bench/search_judged.tsv`, issue 19) against the demo catalogue on the
test database: the mean reciprocal rank and the queries that found nothing, as `make bench`
measures them on PostgreSQL."""

import sys
from pathlib import Path

import pytest

from durvis.catalog.queries import ServiceFilters, find_services
from durvis.demo.loader import load_catalogue

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import judged


@pytest.fixture
def demo_catalogue(db):
    load_catalogue()


def codes(query):
    return [service.code for service in find_services(ServiceFilters(query=query))[:20]]


def test_judged_queries_find_what_people_expect(demo_catalogue):
    figures = judged.evaluate(codes)
    report = "\n".join(f"{q!r}: {found} (expected {sorted(want)})"
                       for q, found, want in figures.misses)
    print(f"MRR {figures.mrr:.3f}, empty {figures.empty} of {figures.count}\n{report}")
    assert figures.count >= 100
    assert figures.empty == 0, report
    assert figures.mrr >= 0.95, report
