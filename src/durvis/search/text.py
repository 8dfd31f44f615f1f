"""Text normalisation and trigram word similarity, the same rules on every database.

`word_similarity` follows pg_trgm's definition for a single query word: the share of the word's
trigrams (with pg_trgm's padding) found in the closest word of the text. PostgreSQL computes it
natively; on SQLite this function is registered as `durvis_word_similarity`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD_SIMILARITY_THRESHOLD = 0.6
MAX_QUERY_WORDS = 8
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize(text: str) -> str:
    """Lower-case, strip diacritics (ā→a, š→s), keep letters and digits separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped).strip()


def query_words(query: str) -> list[str]:
    """The words of a search query worth matching (two characters or more), at most eight."""
    words = [w for w in normalize(query).split() if len(w) >= 2]
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


@lru_cache(maxsize=4096)
def trigrams(word: str) -> frozenset[str]:
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def word_similarity(word: str, text: str) -> float:
    """How well `word` matches its closest word in `text` (0..1)."""
    wanted = trigrams(word)
    best = 0
    for candidate in set(text.split()):
        best = max(best, len(wanted & trigrams(candidate)))
        if best == len(wanted):
            break
    return best / len(wanted)
