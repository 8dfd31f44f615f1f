"""How an address's text becomes the words search matches, the same for the import (the
postings) and the query: folded by the search app's `normalize` (lower case, no diacritics,
letters and digits), without the postcode (`LV-1050`: the text's tail, not what people type)
and without the words every address has ("iela", "nov.", "pag."), which would only slow a query
down. Numbers stay whatever their length (a house "1", a flat "5"); a lone letter goes ("k-1", a
building's part, keeps its number).
"""

from __future__ import annotations

import re
from functools import lru_cache

from durvis.search.services import normalize

# pg_trgm's `similarity` of two words at least this: one typo in a word of eight letters or more
# (a letter left out or doubled: also in a word of six), none in a short one.
SIMILARITY_THRESHOLD = 0.4
POSTCODE = re.compile(r"\bLV\s*-\s*\d{4}\b", re.IGNORECASE)
MAX_WORD = 100
MAX_QUERY_WORDS = 8
# Type words of Latvian addresses (street kinds, units' abbreviations), folded.
STOP_WORDS = frozenset({
    "iela", "iel", "gatve", "bulvaris", "bulv", "prospekts", "pr", "laukums", "lauk", "cels",
    "soseja", "krastmala", "aleja", "skvers", "skersiela",
    "nov", "novads", "pag", "pagasts", "lv", "pils", "pilseta", "ciems", "dz", "dziv",
    "street", "st",
})


# Latin letters with diacritics folded as `normalize` folds them, one table lookup each (an
# import folds 1.4 million texts); a text with any other letter goes through `normalize`.
_FOLD = {code: normalize(chr(code)) or " " for code in range(0xC0, 0x250)}
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """`search.text.normalize(text)`, faster for Latin text."""
    folded = text.casefold().translate(_FOLD)
    if not folded.isascii():
        return normalize(text)
    return _NON_WORD.sub(" ", folded).strip()


def words_of(text: str) -> list[str]:
    """The distinct search words of an address text, in order of appearance."""
    found = []
    for word in fold(POSTCODE.sub(" ", text)).split():
        if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        found.append(word[:MAX_WORD])
    return list(dict.fromkeys(found))


def is_number(word: str) -> bool:
    """A house or flat number ("12", "12a"): it starts with a digit."""
    return word[:1].isdigit()


def query_words(query: str) -> list[str]:
    """The words of a typed query worth matching (`words_of`), at most eight."""
    return words_of(query)[:MAX_QUERY_WORDS]


def searchable(query: str) -> bool:
    """Whether a typed query asks for anything (A9): a word worth matching (`query_words`) or a
    postcode alone ("LV-1050", which finds that postcode's buildings). The page, the API and the
    e-form's question refuse the rest alike ("nothing to search for")."""
    return bool(query_words(query)) or POSTCODE.fullmatch(query.strip()) is not None


@lru_cache(maxsize=8192)
def trigrams(word: str) -> frozenset[str]:
    """A word's trigrams with pg_trgm's padding (two spaces before, one after)."""
    padded = f"  {word} "
    return frozenset(padded[i:i + 3] for i in range(len(padded) - 2))


def similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity` of two words (shared trigrams over all trigrams of both, with
    pg_trgm's padding): PostgreSQL computes it natively; on SQLite this is registered as
    `durvis_address_similarity`, so both databases match the same words."""
    first, second = trigrams(a), trigrams(b)
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared) if first or second else 0.0
