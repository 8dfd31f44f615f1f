"""The one search interface (A13): index an object when it changes, find objects by text.

Callers never touch the index tables; they call `index`, `remove` and `match`. Only this module
knows how each database matches words: PostgreSQL with pg_trgm's `word_similarity` and a GIN
trigram index over the dictionary of known words; SQLite with the same similarity function
registered from Python, over the same dictionary. A query word matches an indexed word when
their similarity reaches `WORD_SIMILARITY_THRESHOLD` (a typo, a missing ending, no diacritics);
an object matches when every query word matches one of its words.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from durvis.search.models import SearchEntry, SearchEntryWord, SearchWord
from durvis.search.text import WORD_SIMILARITY_THRESHOLD, normalize, query_words

MAX_WORD_LENGTH = 100


@transaction.atomic
def index(kind: str, object_id: int, texts: Iterable[str]) -> bool:
    """(Re)index one object, in the transaction that changes it; returns False when its text did
    not change (nothing is written then)."""
    text = normalize(" ".join(t for t in texts if t))
    entry = SearchEntry.objects.filter(kind=kind, object_id=object_id).first()
    if entry is not None and entry.text == text:
        return False
    if entry is None:
        entry = SearchEntry.objects.create(kind=kind, object_id=object_id, text=text)
    else:
        entry.text = text
        entry.save(update_fields=["text", "updated_at"])
        entry.words.all().delete()
    words = sorted({word[:MAX_WORD_LENGTH] for word in text.split()})
    SearchWord.objects.bulk_create([SearchWord(word=w) for w in words], ignore_conflicts=True)
    SearchEntryWord.objects.bulk_create(
        [SearchEntryWord(entry=entry, kind=kind, object_id=object_id, word=w) for w in words])
    return True


def remove(kind: str, object_id: int) -> None:
    """Forget an object (its dictionary words stay: other objects may share them)."""
    SearchEntry.objects.filter(kind=kind, object_id=object_id).delete()


def match(kind: str, query: str, *, within: QuerySet[Any] | None = None,
          limit: int | None = None) -> list[tuple[int, float]]:
    """Objects of `kind` in which every word of `query` is found, as (object id, rank), best
    first (then by id); the rank sums each query word's best similarity. `within` (a queryset
    of the objects' rows, e.g. those the reader may see) narrows the matches in the database,
    and `limit` keeps only the best ones: a reader's page of results costs neither a list of
    every match nor their identifiers sent back as parameters."""
    words = query_words(query)
    if not words:
        return []
    query_rows = ", ".join(["(CAST(%s AS integer), CAST(%s AS text))"] * len(words))
    if connection.vendor == "postgresql":
        # `sw.word %> q.w` is word_similarity(q.w, sw.word) >= the threshold, indexed.
        similar = ("SELECT q.i, sw.word, word_similarity(q.w, sw.word) AS s FROM q "
                   "JOIN search_searchword sw ON sw.word %%> q.w")
        params: list[Any] = []
    else:
        similar = ("SELECT q.i, sw.word, durvis_word_similarity(q.w, sw.word) AS s FROM q "
                   "JOIN search_searchword sw ON durvis_word_similarity(q.w, sw.word) >= %s")
        params = [WORD_SIMILARITY_THRESHOLD]
    sql = (
        f"WITH q(i, w) AS (VALUES {query_rows}), m AS ({similar}), "  # noqa: S608 - fixed SQL, words are parameters
        "hits AS (SELECT ew.object_id, m.i, max(m.s) AS s FROM m "
        "JOIN search_searchentryword ew ON ew.word = m.word AND ew.kind = %s "
        "GROUP BY ew.object_id, m.i), "
        "ranked AS (SELECT object_id, sum(s) AS rank FROM hits GROUP BY object_id "
        "HAVING count(*) = %s) "
        "SELECT object_id, rank FROM ranked"
    )
    tail: list[Any] = []
    if within is not None:
        inner, inner_params = within.values("pk").query.sql_with_params()
        sql += f" WHERE object_id IN ({inner})"
        tail += inner_params
    sql += " ORDER BY rank DESC, object_id"
    if limit is not None:
        sql += " LIMIT %s"
        tail.append(limit)
    values = [v for n, word in enumerate(words) for v in (n, word)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params, kind, len(words), *tail])
        return [(int(object_id), float(rank)) for object_id, rank in cursor.fetchall()]
