"""The judged search queries (`search_judged.tsv`) and their figures: the mean reciprocal rank
(MRR: for each query 1/the rank of the first expected service, 0 when none is found, averaged)
and how many queries found nothing. Used by `bench/search_relevance.py` (PostgreSQL, `make
bench`) and `tests/search/test_relevance.py` (SQLite), so both measure the same thing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

JUDGED = Path(__file__).resolve().parent / "search_judged.tsv"


@dataclass(frozen=True)
class Judged:
    query: str
    expected: frozenset[int]
    kind: str


@dataclass
class Figures:
    mrr: float
    empty: int
    count: int
    by_kind: dict[str, float] = field(default_factory=dict)
    misses: list[tuple[str, list[int], frozenset[int]]] = field(default_factory=list)


def load(path: Path = JUDGED) -> list[Judged]:
    """The queries of the file: tab-separated query, expected codes (comma-separated), kind;
    `#` lines are comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, codes, kind = line.split("\t")
        rows.append(Judged(query, frozenset(int(c) for c in codes.split(",")), kind))
    return rows


def evaluate(search: Callable[[str], list[int]], judged: list[Judged] | None = None) -> Figures:
    """Run every judged query through `search` (query → service codes, best first)."""
    judged = load() if judged is None else judged
    ranks: dict[str, list[float]] = {}
    total, empty, misses = 0.0, 0, []
    for item in judged:
        found = search(item.query)
        rank = next((n for n, code in enumerate(found, 1) if code in item.expected), None)
        reciprocal = 1 / rank if rank else 0.0
        total += reciprocal
        empty += not found
        ranks.setdefault(item.kind, []).append(reciprocal)
        if reciprocal < 1:
            misses.append((item.query, found[:5], item.expected))
    return Figures(total / len(judged), empty, len(judged),
                   {k: sum(v) / len(v) for k, v in sorted(ranks.items())}, misses)
