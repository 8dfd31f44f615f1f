"""The one search interface (A13): index an object when it changes, find objects by text.

Callers never touch the index tables; they call `index`, `remove` and `match`. Only this module
knows how each database does the matching.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F, FloatField, Func, QuerySet, Value
from django.db.models.expressions import RawSQL

from durvis.search.models import SearchEntry
from durvis.search.text import WORD_SIMILARITY_THRESHOLD, normalize, query_words, trigrams

FTS_TABLE = "search_entry_fts"


@transaction.atomic
def index(kind: str, object_id: int, texts: Iterable[str]) -> None:
    """(Re)index one object: called by the owning app in the transaction that changes it."""
    text = normalize(" ".join(t for t in texts if t))
    entry, _ = SearchEntry.objects.update_or_create(
        kind=kind, object_id=object_id, defaults={"text": text}
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [entry.pk])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (%s, %s)", [entry.pk, text]  # noqa: S608
            )


@transaction.atomic
def remove(kind: str, object_id: int) -> None:
    entry = SearchEntry.objects.filter(kind=kind, object_id=object_id).first()
    if entry is None:
        return
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [entry.pk])  # noqa: S608
    entry.delete()


class WordSimilarity(Func):
    """word_similarity(word, text): pg_trgm's on PostgreSQL, ours (`text.word_similarity`) on
    SQLite."""

    function = "word_similarity"
    output_field = FloatField()

    def __init__(self, word: str, expression: Any) -> None:
        super().__init__(Value(word), expression)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="durvis_word_similarity", **extra)


class TrigramWordMatch(Func):
    """`text %> word`: word_similarity(word, text) passes pg_trgm's threshold; written this
    way round so that the GIN trigram index answers it (PostgreSQL only)."""

    arg_joiner = " %%> "
    template = "(%(expressions)s)"
    output_field = BooleanField()

    def __init__(self, expression: Any, word: str) -> None:
        super().__init__(expression, Value(word))


def match(kind: str, query: str) -> QuerySet[SearchEntry]:
    """Entries of `kind` in which every word of `query` is found, exactly or nearly (a typo, a
    missing ending, no diacritics), annotated with `rank` (higher is better)."""
    words = query_words(query)
    entries = SearchEntry.objects.filter(kind=kind)
    if not words:
        return entries.none()
    if connection.vendor == "postgresql":
        for word in words:
            entries = entries.filter(TrigramWordMatch(F("text"), word))
    else:
        entries = entries.filter(pk__in=RawSQL(  # noqa: S611 - constant SQL, the query is a parameter
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [_fts_any_trigram(words)]  # noqa: S608
        ))
        for word in words:
            entries = entries.alias(**{f"similarity_{word}": WordSimilarity(word, F("text"))})
            entries = entries.filter(**{f"similarity_{word}__gte": WORD_SIMILARITY_THRESHOLD})
    return entries.annotate(rank=rank_expression(words))


def rank_expression(words: list[str]) -> Any:
    """The sum of the words' similarities to an entry's text (higher is better)."""
    total: Any = WordSimilarity(words[0], F("text"))
    for word in words[1:]:
        total = total + WordSimilarity(word, F("text"))
    return total


def _fts_any_trigram(words: list[str]) -> str:
    """An FTS5 query matching texts that share at least one trigram with the query: the
    candidates, which `word_similarity` then checks."""
    grams = {g.strip() for w in words for g in trigrams(w)}
    return " OR ".join(f'"{g}"' for g in sorted(grams) if len(g) == 3) or '""'
