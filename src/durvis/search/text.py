"""Text normalisation, a light Latvian stemmer and trigram word similarity, the same rules on
every database.

`normalize` lower-cases and strips diacritics, so a query typed without them (`dzivoklis`)
reads as the text (`dzīvoklis`). `stem` then removes the inflectional ending of a normalised
word, so that the forms of one noun or adjective meet: `dzivoklis`, `dzivokla`, `dzivoklim`,
`dzivokli`, `dzivoklu`, `dzivokliem` are all `dzivokl`. `terms` is what the index stores and a
query asks for: the stems of a text's words, without the little words (`un`, `par`, `the`).

The stemmer is written from the published rules of Latvian inflection as K. Krēsliņš's light
stemmer states them (*A stemming algorithm for Latvian*, PhD thesis, Loughborough University,
1996; Lucene's `LatvianStemmer` implements the same light version): only the case, number,
gender and definiteness endings of nouns and adjectives are removed, longest first, and only
when the word keeps enough vowels for a stem (`ENDINGS`: the ending, the vowels the whole word
must have more than). No well-kept Latvian stemmer or lemmatiser is published on PyPI (the one
port of Lucene's, `LatvianStemmer` 1.0.2, is unmaintained since 2020), hence this one; it is
tested on a list of word forms (`tests/search/test_text.py`).

Consonant alternation (*līdzskaņu mija*): the genitive singular and the plural of the second
declension and some genitive plurals of the fifth and sixth soften the stem's last consonant
(dzīvoklis / dzīvokļa, brālis / brāļa, lācis / lāča, zivs / zivju). Stripping the diacritics
first undoes most of them (ļ→l, ņ→n, ķ→k, ģ→g, č→c, š→s, ž→z); `_unsoften` undoes the rest that
are regular: the epenthetic *j* after a labial (zivju → ziv, govju → gov). The alternations
t/š and d/ž (zutis / zuša, briedis / brieža) are not undone: they are rare in service names,
and guessing them would merge unrelated stems; the trigram similarity still finds such a word
when its stem is long enough.

English words go through the same stemmer: it is a consistent conflation, not a grammar, and
it happens to join the English plural and singular (`benefits`, `benefit`).

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
_VOWELS = frozenset("aeiouy")

# Endings of Latvian nouns and adjectives after `normalize` (ā→a, ī→i, ē→e: `ām` and `am`
# are one ending here), longest first: (ending, vowels the whole word must have more than,
# whether the ending may follow a softened consonant). The definite adjective endings (-ajiem,
# -ajai, -ajam, -ajos, -ajas, -aja, -ais), the case endings of the six noun declensions
# (-iem, -am, -em, -im, -um, -us, -as, -es, -os, -is, -ie, -ij, -ai, -ei, -u, -a, -i, -e,
# -o) and the nominative's -s.
ENDINGS: tuple[tuple[str, int, bool], ...] = (
    ("ajiem", 3, False), ("ajai", 3, False), ("ajam", 2, False), ("ajos", 2, False),
    ("ajas", 2, False), ("iem", 2, True), ("aja", 2, False), ("ais", 2, False),
    ("ai", 2, False), ("ei", 2, False), ("am", 1, False), ("em", 1, False), ("im", 1, False),
    ("um", 1, False), ("us", 1, True), ("as", 1, False), ("es", 1, False), ("os", 1, True),
    ("ij", 1, False), ("is", 1, False), ("ie", 1, False), ("u", 1, True), ("a", 1, True),
    ("i", 1, True), ("e", 1, False), ("o", 1, False), ("s", 0, False),
)
_LABIALS = frozenset("pbmv")

# Words that say nothing about a service, in both languages: left out of the index and of a
# query (a query of nothing else keeps them).
STOPWORDS = frozenset([
    "un", "vai", "ar", "par", "uz", "no", "pie", "pec", "lidz", "ir", "ka", "kur", "kas", "ko",
    "es", "man", "mans", "mana", "manu", "mani", "ta", "tas", "to", "tie", "ti", "bet", "ari",
    "ja", "ne", "lai", "kad", "jo", "gan", "vien", "sev", "savu", "savs", "sava",
    "kurs", "kura", "kuri", "kuras", "the", "a", "an", "of", "for", "to", "in", "on", "at",
    "and", "or", "my", "me", "i", "is", "are", "am", "be", "how", "do", "does", "what", "which",
    "with", "by", "from", "can", "where", "when", "who", "need", "want", "get", "this", "that",
    "it", "its", "as", "your", "you", "our",
])


def normalize(text: str) -> str:
    """Lower-case, strip diacritics (ā→a, š→s), keep letters and digits separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped).strip()


def _vowels(word: str) -> int:
    return sum(1 for c in word if c in _VOWELS)


def _unsoften(stem: str) -> str:
    """Undo the alternation that survives `normalize`: pj, bj, mj, vj → p, b, m, v."""
    if len(stem) > 2 and stem.endswith("j") and stem[-2] in _LABIALS:
        return stem[:-1]
    return stem


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one normalised word (`normalize`): its inflectional ending removed when the
    word has more vowels than the ending needs and at least two letters stay; words with digits
    are kept whole (codes, years). Pure and cached."""
    if not word.isalpha():
        return word
    vowels = _vowels(word)
    for ending, needs, softens in ENDINGS:
        if word.endswith(ending) and vowels > needs and len(word) - len(ending) >= 2:
            found = word[: -len(ending)]
            return _unsoften(found) if softens else found
    return word


def terms(text: str) -> list[str]:
    """The distinct stems of a text's words, in order, the little words (`STOPWORDS`) left out
    unless nothing else is there; one-letter words are left out."""
    words = [w for w in normalize(text).split() if len(w) >= 2]
    kept = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(stem(w) for w in kept))


def query_words(query: str) -> list[str]:
    """The terms of a search query worth matching (`terms`), at most eight."""
    return terms(query)[:MAX_QUERY_WORDS]


def code_key(text: str) -> str:
    """A code as people type it, compared whole: `P.06`, `p06`, `P 6` and `p6` are one key
    (`p6`); `1011` is `1011`. Empty when the text has no digit (not a code)."""
    compact = normalize(text).replace(" ", "")
    if not any(c.isdigit() for c in compact):
        return ""
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", compact)


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
