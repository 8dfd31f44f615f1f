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

`word_similarity` is pg_trgm's `word_similarity` (contrib/pg_trgm/trgm_op.c,
`calc_word_similarity` and `iterate_word_similarity`), ported step by step: the greatest
similarity between the query's set of trigrams and any continuous extent of the text's ordered
trigrams, a similarity being shared / (query's + extent's − shared) distinct trigrams. PostgreSQL
computes it natively; on SQLite this function is registered as `durvis_word_similarity`, so
both databases forgive the same typos (`tests/search/test_text.py` compares them on PostgreSQL).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD_SIMILARITY_THRESHOLD = 0.6
MIN_QUERY_LENGTH = 2  # letters or digits: a shorter query asks for nothing (`too_short`)
# The terms of a query that are matched (`query_words`): a question's first eight words that
# say something (the little words and one-letter words not counted), as the search of before
# issue 19 read; the others are named to the person (`ignored_words`).
MAX_QUERY_TERMS = 8
_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
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
    # the forms of the pronoun "pats" that are not also forms of a noun ("pašas" read as "pase";
    # "paši" and "pašu" are left: they are "pasi" and "pasu", the passport's forms)
    "pats", "pati", "pasa", "pasam", "pasai", "pasas", "pasiem", "pasus", "pasos",
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
    """The terms of a search query worth matching (`terms`): the first `MAX_QUERY_TERMS` of
    them; the words of the rest are `ignored_words` (a long question found a third of a
    catalogue as partial matches of one word or another, and cost as much)."""
    return terms(query)[:MAX_QUERY_TERMS]


def ignored_words(query: str) -> list[str]:
    """The words of a query, as typed, that `query_words` leaves out because the query has more
    than `MAX_QUERY_TERMS` terms (little words and one-letter words are not counted, nor
    named); empty when none is. A page names them to the person."""
    if len(terms(query)) <= MAX_QUERY_TERMS:
        return []
    kept = set(query_words(query))
    left: list[str] = []
    for token in query.split():
        words = [w for w in normalize(token).split() if len(w) >= 2 and w not in STOPWORDS]
        if words and not any(stem(w) in kept for w in words):
            left.append(_EDGES.sub("", token))
    return list(dict.fromkeys(left))


def little_words_only(phrase: str) -> bool:
    """Whether a phrase has only little words (`STOPWORDS`) or one-letter ones (`un`, `par`,
    `the`): it says nothing about a service, and as a synonym it would join unrelated ones."""
    words = normalize(phrase).split()
    return bool(words) and all(w in STOPWORDS or len(w) < 2 for w in words)


def too_short(query: str) -> bool:
    """Whether a query is too short to ask for anything: fewer than `MIN_QUERY_LENGTH` letters
    and digits in all (`1`, `a`, `-`). A page says what to type instead of "0 found"."""
    return len(normalize(query).replace(" ", "")) < MIN_QUERY_LENGTH


def code_keys(query: str) -> list[str]:
    """The codes a query asks for (`code_key`): the whole query's, and when it is only codes
    (every word has a digit: `1006 1011`), each word's too. Empty when it names no code."""
    words = normalize(query).split()
    keys = [code_key(query)]
    if len(words) > 1 and all(any(c.isdigit() for c in w) for w in words):
        keys += [code_key(w) for w in words]
    return [k for k in dict.fromkeys(keys) if k]


def is_code_query(query: str) -> bool:
    """Whether every word of the query has a digit (`1011`, `P.06`, `1006 1011`)."""
    words = normalize(query).split()
    return bool(words) and all(any(c.isdigit() for c in w) for w in words)


def near_code_keys(key: str) -> list[str]:
    """The code keys one edit away from `key` (a digit or letter left out, added, changed, or two
    neighbours swapped: `10111` → `1011`, `1111`, …), for a mistyped code. Sorted, without
    `key` itself."""
    alphabet = "0123456789" + "".join(sorted({c for c in key if c.isalpha()}))
    near = {key[:i] + key[i + 1 :] for i in range(len(key))}
    near |= {key[:i] + c + key[i + 1 :] for i in range(len(key)) for c in alphabet}
    near |= {key[:i] + c + key[i:] for i in range(len(key) + 1) for c in alphabet}
    near |= {key[:i] + key[i + 1] + key[i] + key[i + 2 :] for i in range(len(key) - 1)}
    return sorted({code_key(k) for k in near} - {key, ""})


def code_key(text: str) -> str:
    """A code as people type it, compared whole: `P.06`, `p06`, `P 6` and `p6` are one key
    (`p6`); `1011` is `1011`. Empty when the text has no digit (not a code)."""
    compact = normalize(text).replace(" ", "")
    if not any(c.isdigit() for c in compact):
        return ""
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", compact)


@lru_cache(maxsize=4096)
def trigrams(word: str) -> frozenset[str]:
    """A word's distinct trigrams, padded as pg_trgm pads it (two spaces before, one after)."""
    return frozenset(_word_trigrams(word))


def _word_trigrams(word: str) -> list[str]:
    padded = f"  {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def word_similarity(word: str, text: str) -> float:
    """pg_trgm's `word_similarity(word, text)` (0..1), computed as trgm_op.c computes it: the
    text's trigrams in order (each of its words padded), and for every extent of them that ends
    on a trigram of `word`, shared / (distinct trigrams of `word` + of the extent − shared),
    the extent's start moved on while that grows; the greatest such value. Both arguments are
    normalised text (`normalize`)."""
    wanted = {t for w in word.split() for t in _word_trigrams(w)}
    sequence = [t for w in text.split() for t in _word_trigrams(w)]
    if not wanted or not sequence:
        return 0.0
    ulen1 = len(wanted)
    last: dict[str, int] = {}
    ulen2 = count = 0
    lower = -1
    best = 0.0
    for i, trigram in enumerate(sequence):
        found = trigram in wanted
        if lower >= 0 or found:
            if trigram not in last:
                ulen2 += 1
                count += found
            last[trigram] = i
        if not found:
            continue
        if lower == -1:
            lower, ulen2 = i, 1
        current = count / (ulen1 + ulen2 - count)
        # try to move the lower bound on for a greater similarity
        tmp_count, tmp_ulen2, previous = count, ulen2, lower
        for tmp_lower in range(lower, i + 1):
            candidate = tmp_count / (ulen1 + tmp_ulen2 - tmp_count)
            if candidate > current:
                current, ulen2, lower, count = candidate, tmp_ulen2, tmp_lower, tmp_count
            if last.get(sequence[tmp_lower]) == tmp_lower:
                tmp_ulen2 -= 1
                tmp_count -= sequence[tmp_lower] in wanted
        best = max(best, current)
        for tmp_lower in range(previous, lower):
            if last.get(sequence[tmp_lower]) == tmp_lower:
                del last[sequence[tmp_lower]]
    return best
