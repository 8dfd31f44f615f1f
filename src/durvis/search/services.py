"""The one search interface (A13): index an object when it changes, find objects by text.

Callers never touch the index tables; they call `index`, `remove` and `match` (and the
catalogue's central editor's page `save_synonyms`/`delete_synonyms`, through the catalogue's
services, which check the policy and audit). Only this module knows how each database matches.

How a query is matched (`docs/search.md`):

1. **Terms.** The query's words are normalised (no case, no diacritics) and stemmed
   (`text.terms`: `dzīvokļa` and `dzivoklis` are both `dzivokl`), the little words left out;
   of a long question only the first `text.MAX_QUERY_TERMS` (8) terms are matched, and the
   answer names the words left out (`Matches.ignored`). A query of fewer than two letters and
   digits asks for nothing and says so (`Matches.too_short`).
2. **Synonyms.** A run of terms that is one of a `Synonyms` group's phrases becomes a *slot* that
   any phrase of the group fills (*income tax return*: `incom` and the slot *tax return* =
   *income declaration*); every other term is a slot of its own. Groups that share a phrase
   chain (*kapsēta / bēres* and *bēres / apbedīšana*: *kapsēta* finds *apbedīšana*).
3. **Dictionary.** Each term is looked up among the indexed terms (`SearchWord`): a term the
   index knows matches itself (score 1) and, when it has five letters or more, the longer terms
   that contain it (a compound: `atlauj` in `buvatlauj`, 0.8); a term the index does not know
   matches the terms of a trigram word similarity of `WORD_SIMILARITY_THRESHOLD` or more (a
   typo, a missing ending: 0.8 × the similarity). So `pase` finds passports, not `pasakums`.
   A synonym group's other phrases are never matched by similarity, nor a short term typed
   (`_similar_allowed`): the group names its words exactly, and *bēres* (`ber`) must not reach
   *bērns* (`bern`). PostgreSQL uses pg_trgm's `word_similarity` with a GIN trigram index;
   SQLite the same function ported to Python.
4. **Rank.** A term's score is weighed by how rare it is among the index's objects (an IDF:
   ln(1 + objects / objects with it, both counts kept as the index is written:
   `SearchIndexSize`, `SearchTermCount`); a term the index knows weighs its own rarity also where
   it matched a compound, `child` in `childbirth`; an unknown one the rarity of the word it
   matched), so *piedzimšana* counts more than *pieteikums*. A term found in an object's name
   counts its score, in its other text half of it (`Weight`); a slot counts its best phrase
   (the mean of its terms, times the words typed: a phrase of two words weighs two), a
   synonym's phrase `SYNONYM_SHARE` of that; an object's rank is the sum over slots. An object
   whose code the query is (`text.code_keys`: `P.06`, `1011`, `1006 1011`) goes first; then
   the objects that match every slot — those matching more slots through the words typed (not
   a synonym; the typed words written as one, *childcare* for *child care*, count as typed:
   `_typed`) first — by rank. So for *īre* the rent-related services come before the fishing
   rights' *noma*.
5. **No dead ends.** When no object matches every slot, the objects that match some of them
   are answered by rank (rare words outweigh common ones) and the answer says so
   (`Matches.partial`). A query of codes only that names no code answers the codes one edit
   away (`10111` → 1011, 1111: `Matches.near_code`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from durvis.search.models import SearchEntry, SearchEntryWord, SearchWord, Synonyms, Weight
from durvis.search.text import (
    WORD_SIMILARITY_THRESHOLD,
    code_key,
    code_keys,
    ignored_words,
    is_code_query,
    little_words_only,
    near_code_keys,
    normalize,
    query_words,
    terms,
    too_short,
)

__all__ = [
    "Matches",
    "delete_synonyms",
    "index",
    "match",
    "normalize",
    "register_reindexer",
    "reindex_all",
    "remove",
    "save_synonyms",
]

MAX_WORD_LENGTH = 100
CODE_PREFIX = "#"  # a code's row in SearchEntryWord; never in the dictionary
COMPOUND_MIN_LENGTH = 5  # a known term this long also matches the longer terms containing it
NEAR_SCORE = 0.8  # a compound's or a similar word's score against an exact term's 1
TEXT_SHARE = 0.5  # a term in the object's other text counts this share of one in its name
SYNONYM_SHARE = 0.9  # a slot filled by a synonym's phrase counts this share of the words typed
CODE_RANK = 100.0

# Each index's function that indexes all its objects again (`manage.py search_reindex`), by kind.
REINDEXERS: dict[str, Callable[[], int]] = {}


class Matches(list[tuple[int, float]]):
    """The answer of `match`: (object id, rank) best first, and why it may not be what was
    asked: `partial` (no object matched every word of the query and these match only some of
    them), `near_code` (the query is a code no object has; these have codes one edit away,
    also `partial`), `too_short` (the query has fewer than two letters and digits: nothing is
    asked, a page says what to type), `ignored` (the words of a long query that were not
    matched, as typed: `text.ignored_words`)."""

    partial: bool = False
    near_code: bool = False
    too_short: bool = False

    def __init__(self, rows: Iterable[tuple[int, float]] = (), *, partial: bool = False,
                 near_code: bool = False, too_short: bool = False,
                 ignored: Sequence[str] = ()) -> None:
        super().__init__(rows)
        self.partial = partial or near_code
        self.near_code = near_code
        self.too_short = too_short
        self.ignored = list(ignored)


@transaction.atomic
def index(kind: str, object_id: int, texts: Iterable[str], *, names: Iterable[str] = (),
          codes: Iterable[str] = ()) -> bool:
    """(Re)index one object, in the transaction that changes it: `names` (its titles, in every
    language: a match there outranks one in `texts`), `texts` (everything else worth finding it
    by), `codes` (identifiers a query matches whole: `text.code_key`). Returns False when
    nothing changed (nothing is written then)."""
    names, texts, codes = list(names), list(texts), [c for c in codes if c]
    name_text = normalize(" ".join(t for t in names if t))
    other_text = normalize(" ".join(t for t in texts if t))
    keys = sorted({code_key(c) for c in codes} - {""})
    text = "\n".join([name_text, other_text, " ".join(keys)]).strip()
    entry = SearchEntry.objects.filter(kind=kind, object_id=object_id).first()
    if entry is not None and entry.text == text:
        return False
    before: set[str] = set()
    if entry is None:
        entry = SearchEntry.objects.create(kind=kind, object_id=object_id, text=text)
    else:
        entry.text = text
        entry.save(update_fields=["text", "updated_at"])
        before = _terms_of(entry)
        entry.words.all().delete()
    weights: dict[str, int] = {}
    for word in terms(other_text):
        weights.setdefault(word[:MAX_WORD_LENGTH], Weight.TEXT)
    for word in terms(name_text):
        weights[word[:MAX_WORD_LENGTH]] = Weight.NAME
    weights.pop("", None)
    SearchWord.objects.bulk_create([SearchWord(word=w) for w in sorted(weights)],
                                   ignore_conflicts=True)
    rows = [SearchEntryWord(entry=entry, kind=kind, object_id=object_id, word=w, weight=weight)
            for w, weight in sorted(weights.items())]
    rows += [SearchEntryWord(entry=entry, kind=kind, object_id=object_id,
                             word=(CODE_PREFIX + key)[:MAX_WORD_LENGTH], weight=Weight.CODE)
             for key in keys]
    SearchEntryWord.objects.bulk_create(rows)
    _count(kind, {**{w: -1 for w in before - set(weights)},
                  **{w: 1 for w in set(weights) - before}}, objects=0 if before else 1)
    return True


def _terms_of(entry: SearchEntry) -> set[str]:
    """The dictionary terms an indexed object has (its codes left out)."""
    return set(entry.words.exclude(weight=Weight.CODE).values_list("word", flat=True))


def _count(kind: str, changes: dict[str, int], *, objects: int) -> None:
    """Add `changes` ({term: +1 or -1}) to the index's document frequencies (`SearchTermCount`)
    and `objects` to its size (`SearchIndexSize`), each in one statement over the terms in
    sorted order, so that two objects indexed at once lock the rows in the same order."""
    with connection.cursor() as cursor:
        if changes:
            words = sorted(changes)
            cursor.execute(
                "INSERT INTO search_searchtermcount (kind, word, objects_with) VALUES "  # noqa: S608 - fixed SQL, values are parameters
                + ", ".join(["(%s, %s, %s)"] * len(words))
                + " ON CONFLICT (kind, word) DO UPDATE SET objects_with = "
                "search_searchtermcount.objects_with + excluded.objects_with",
                [v for w in words for v in (kind, w, changes[w])])
        if objects:
            cursor.execute(
                "INSERT INTO search_searchindexsize (kind, objects_in) VALUES (%s, %s) "
                "ON CONFLICT (kind) DO UPDATE SET objects_in = "
                "search_searchindexsize.objects_in + excluded.objects_in", [kind, objects])


@transaction.atomic
def remove(kind: str, object_id: int) -> None:
    """Forget an object (its dictionary words stay: other objects may share them; their counts
    go down)."""
    entry = SearchEntry.objects.filter(kind=kind, object_id=object_id).first()
    if entry is None:
        return
    before = _terms_of(entry)
    entry.delete()
    _count(kind, dict.fromkeys(before, -1), objects=-1)


def register_reindexer(kind: str, reindex: Callable[[], int]) -> None:
    """Declare how an index's objects are all indexed again (`reindex` returns how many); the
    app that indexes `kind` calls this when it loads."""
    REINDEXERS[kind] = reindex


def reindex_all(kinds: Sequence[str] = ()) -> dict[str, int]:
    """Index every object of `kinds` (all declared ones when empty) again, e.g. after the
    stemmer changed: {kind: objects indexed}. Raises KeyError for an undeclared kind."""
    return {kind: REINDEXERS[kind]() for kind in (kinds or sorted(REINDEXERS))}


# The synonym groups as the queries use them, kept in this process: {phrase: the phrases of its
# groups} and the generation of the table they were read at (`GENERATION`). Every query reads
# the table's generation in its own statement; when it moved on (another process saved a
# group), the groups are read again and the query asked again, so an edit counts in the next
# search of every process without a read of the groups per query.
GENERATION = ("SELECT CAST(count(*) AS text) || '-' || CAST(coalesce(max(id), 0) AS text) || '-' "
              "|| CAST(coalesce(sum(version), 0) AS text) || '-' || "
              "coalesce(CAST(max(updated_at) AS text), '') FROM search_synonyms")
_synonyms: tuple[str, dict[tuple[str, ...], set[tuple[str, ...]]]] | None = None


def _read_synonyms() -> tuple[str, dict[tuple[str, ...], set[tuple[str, ...]]]]:
    """The groups' phrases and their generation, read now (and kept: `_synonyms`)."""
    global _synonyms
    with connection.cursor() as cursor:
        cursor.execute(GENERATION)
        generation = str(cursor.fetchone()[0])
    _synonyms = (generation, chained(Synonyms.objects.values_list("stems", flat=True)))
    return _synonyms


def chained(groups: Iterable[Sequence[Sequence[str]]]) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """{phrase: every phrase it means} from groups of phrases (lists of terms), groups that share
    a phrase joined (*kapsēta / bēres* and *bēres / apbedīšana* are one group)."""
    parent: dict[tuple[str, ...], tuple[str, ...]] = {}

    def root(phrase: tuple[str, ...]) -> tuple[str, ...]:
        while parent.setdefault(phrase, phrase) != phrase:
            parent[phrase] = parent[parent[phrase]]
            phrase = parent[phrase]
        return phrase

    for stems in groups:
        group = [tuple(p) for p in stems if p]
        for phrase in group[1:]:
            parent[root(phrase)] = root(group[0])
        for phrase in group[:1]:
            root(phrase)
    members: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for phrase in list(parent):
        members.setdefault(root(phrase), set()).add(phrase)
    return {phrase: members[root(phrase)] for phrase in parent}


def forget_synonyms() -> None:
    """Drop this process's copy of the synonym groups (after a write here)."""
    global _synonyms
    _synonyms = None


def _slots(words: list[str],
           phrases: dict[tuple[str, ...], set[tuple[str, ...]]]) -> list[list[tuple[str, ...]]]:
    """The query's slots: each a list of phrases (tuples of terms) any of which fills it."""
    longest = max((len(p) for p in phrases), default=0)
    slots: list[list[tuple[str, ...]]] = []
    at = 0
    while at < len(words):
        for size in range(min(longest, len(words) - at), 0, -1):
            found = tuple(words[at : at + size])
            if found in phrases:
                slots.append([found, *sorted(phrases[found] - {found})])
                at += size
                break
        else:
            slots.append([(words[at],)])
            at += 1
    return slots


def _sql(vendor: str, rows: int, keys: int, within: str, limit: bool) -> str:
    """The one statement of `match` (see the module docstring), for `rows` query rows and
    `keys` code keys."""
    values = ", ".join(["(CAST(%s AS integer), CAST(%s AS integer), CAST(%s AS integer), "
                        "CAST(%s AS integer), CAST(%s AS integer), CAST(%s AS integer), "
                        "CAST(%s AS double precision), CAST(%s AS text))"] * rows)
    if vendor == "postgresql":
        # `sw.word %> t.w` is word_similarity(t.w, sw.word) >= the threshold, indexed.
        similar = ("SELECT t.w, sw.word, CAST(word_similarity(t.w, sw.word) AS double precision)"
                   " AS s FROM t JOIN search_searchword sw ON sw.word %%> t.w")
        contains, ln = "strpos(m.word, m.w) > 0", "ln"
    else:
        similar = ("SELECT t.w, sw.word, durvis_word_similarity(t.w, sw.word) AS s FROM t "
                   "JOIN search_searchword sw ON durvis_word_similarity(t.w, sw.word) >= %s")
        contains, ln = "instr(m.word, m.w) > 0", "durvis_ln"
    compound = f"(length(m.w) >= %s AND {contains})"
    # The objects the reader may see, narrowed before they are ranked.
    within_e = f" AND ew.object_id IN ({within})" if within else ""
    within_codes = f" AND object_id IN ({within})" if within else ""
    codes = ", ".join(["%s"] * keys)
    sql = (
        f"WITH q(r, slot, alt, n, ty, fz, f, w) AS (VALUES {values}), "  # noqa: S608 - fixed SQL, words are parameters
        "t AS (SELECT DISTINCT w FROM q), "
        f"m AS ({similar}), "
        "ex AS (SELECT w FROM m WHERE word = w), "
        "c AS (SELECT m.w, m.word, CASE WHEN m.word = m.w THEN 1.0 ELSE %s * m.s END AS s, "
        f"CASE WHEN m.word = m.w OR {compound} THEN 0 ELSE 1 END AS near "
        f"FROM m WHERE m.word = m.w OR m.w NOT IN (SELECT w FROM ex) OR {compound}), "
        "n AS (SELECT objects_in AS n FROM search_searchindexsize WHERE kind = %s), "
        "e AS MATERIALIZED (SELECT ew.object_id, ew.word, ew.weight FROM search_searchentryword ew "
        f"WHERE ew.kind = %s AND ew.word IN (SELECT word FROM c){within_e}), "
        f"df AS (SELECT tc.word, {ln}(1.0 + CAST(n.n AS double precision) / tc.objects_with) "
        "AS idf FROM search_searchtermcount tc CROSS JOIN n WHERE tc.kind = %s "
        "AND tc.objects_with > 0 AND (tc.word IN (SELECT word FROM c) "
        "OR tc.word IN (SELECT w FROM c))), "
        # Grouped by whole numbers (a query row `r`, an alternative `alt`), the rest carried
        # by max(): what depends on them is the same in every row of a group.
        "hits AS (SELECT e.object_id, q.r, max(q.slot) AS slot, max(q.alt) AS alt, "
        "max(q.n) AS n, max(q.ty) AS ty, max(q.f * c.s * coalesce(dq.idf, df.idf) * "
        "CASE WHEN e.weight = %s THEN %s ELSE 1.0 END) AS s "
        "FROM q JOIN c ON c.w = q.w AND (q.fz = 1 OR c.near = 0) "
        "JOIN e ON e.word = c.word JOIN df ON df.word = c.word "
        "LEFT JOIN df dq ON dq.word = c.w "
        "GROUP BY e.object_id, q.r), "
        "alts AS (SELECT object_id, max(slot) AS slot, max(ty) AS ty, sum(s) AS s, "
        "CASE WHEN count(*) = max(n) THEN 1 ELSE 0 END AS whole FROM hits "
        "GROUP BY object_id, alt), "
        "slots AS (SELECT object_id, slot, max(s) AS s, max(whole) AS whole, "
        "max(CASE WHEN ty = 1 THEN whole ELSE 0 END) AS direct FROM alts "
        "GROUP BY object_id, slot "
        "UNION ALL SELECT object_id, -1, %s, 0, 0 FROM search_searchentryword "
        f"WHERE kind = %s AND word IN ({codes}) AND weight = %s{within_codes}), "
        "ranked AS (SELECT object_id, sum(s) AS rank, sum(whole) AS whole, "
        "sum(direct) AS direct, max(CASE WHEN slot < 0 THEN 1 ELSE 0 END) AS code "
        "FROM slots GROUP BY object_id), "
        "graded AS (SELECT object_id, rank, whole, code, "
        "CASE WHEN whole >= %s THEN 1 ELSE 0 END AS complete, "
        "CASE WHEN whole >= %s THEN direct ELSE 0 END AS typed FROM ranked), "
        # When some object matches every slot, the others are not answered: not sent back.
        "found AS (SELECT * FROM (SELECT graded.*, max(complete) OVER () AS best FROM graded) b "
        "WHERE complete = best OR code = 1"
    )
    order = "code DESC, complete DESC, typed DESC, rank DESC, object_id"
    if limit:
        sql += f" ORDER BY {order} LIMIT %s"
    # One row at least: the synonyms' generation, with the matches if any.
    return (sql + f"), gen(g) AS ({GENERATION}) SELECT f.object_id"  # noqa: S608 - fixed SQL
            ", f.rank, f.whole, f.code, gen.g FROM gen LEFT JOIN found f ON 1 = 1 ORDER BY "
            + ", ".join(f"f.{part}" for part in order.split(", ")))


def match(kind: str, query: str, *, within: QuerySet[Any] | None = None,
          limit: int | None = None, synonyms: bool = True) -> Matches:
    """Objects of `kind` matching `query` as (object id, rank), best first (then by id): its
    code(s) first, then those matching every word (through their stems, synonyms, a typo; the
    words typed before their synonyms), and when there are none, those matching some of the
    words, flagged `partial`; a code no object has answers the codes one edit away, flagged
    `near_code`; a query too short to ask for anything answers nothing, flagged `too_short`
    (module docstring). `within` (a queryset of the objects' rows, e.g. those the reader may
    see) narrows the matches in the database, and `limit` keeps only the best ones: a reader's
    page of results costs neither a list of every match nor their identifiers sent back as
    parameters. One statement (two for a mistyped code), which also reads the synonym groups'
    generation: when another process changed them, they are read again and the query asked
    again, so an edit counts in the next search (`GENERATION`). `synonyms=False` matches the
    words alone (a synonym group's preview)."""
    if too_short(query):
        return Matches(too_short=True)
    words = query_words(query)
    keys = code_keys(query)
    if not words and not keys:
        return Matches()
    known = _synonyms or _read_synonyms()
    inner, inner_params = ("", ())
    if within is not None:
        # unordered: the database need not sort the objects a query is narrowed to
        inner, inner_params = within.order_by().values("pk").query.sql_with_params()

    def ask(slots_of: dict[tuple[str, ...], set[tuple[str, ...]]],
            keys: list[str]) -> tuple[Matches, str, bool]:
        slots_of = slots_of if synonyms else {}
        return _matches(kind, words, _slots(words, slots_of), keys, inner, inner_params, limit)

    found, generation, coded = ask(known[1], keys)
    if generation != known[0]:  # the groups changed since this process read them
        known = _read_synonyms()
        found, generation, coded = ask(known[1], keys)
    if not coded and keys and is_code_query(query):  # a mistyped code: the nearest ones
        near = sorted({k for key in keys for k in near_code_keys(key)})
        nearest, _generation, coded = ask(known[1], near)
        if coded:
            return Matches(nearest, near_code=True)
    found.ignored = ignored_words(query)
    return found


def _typed(alts: list[tuple[str, ...]], alt: int) -> bool:
    """Whether a slot's phrase is the one typed, or the typed words written as one (*child
    care* and *childcare*): it ranks as typed, not as a synonym."""
    return alt == 0 or "".join(alts[alt]) == "".join(alts[0])


def _similar_allowed(alts: list[tuple[str, ...]], alt: int, term: str) -> bool:
    """Whether a term of a slot may match similar words (a typo): always in a slot of its own;
    in a synonym group's slot, only in the phrase typed and when it is long enough
    (`COMPOUND_MIN_LENGTH`): a group names its words exactly, and a short stem's trigram
    neighbours are other words (`ber`, *bēres*, is not `bern`, *bērns*)."""
    return len(alts) == 1 or (alt == 0 and len(term) >= COMPOUND_MIN_LENGTH)


def _matches(kind: str, words: list[str], slots: list[list[tuple[str, ...]]], keys: list[str],
             inner: str, inner_params: Sequence[Any],
             limit: int | None) -> tuple[Matches, str, bool]:
    """Run the statement of `match` for these slots and code keys: the matches, the synonyms'
    generation and whether an object's code matched."""
    # (row, slot, alternative (numbered over the query), its terms, typed, similar allowed,
    # the factor of a term's score: the slot's words typed / the alternative's terms, times
    # SYNONYM_SHARE for a synonym's phrase, term)
    numbered = [(n, alt, phrase) for n, alts in enumerate(slots) for alt, phrase in
                enumerate(alts)]
    terms_ = [(n, a, alt, phrase, term) for a, (n, alt, phrase) in enumerate(numbered)
              for term in phrase]
    rows: list[tuple[int, int, int, int, int, int, float, str]] = [
        (r, n, a, len(phrase), int(_typed(slots[n], alt)),
         int(_similar_allowed(slots[n], alt, term)),
         len(slots[n][0]) / len(phrase) * (1.0 if _typed(slots[n], alt) else SYNONYM_SHARE), term)
        for r, (n, a, alt, phrase, term) in enumerate(terms_)]
    if not rows:  # a code alone (`P.6`): no word to look up, a row that matches nothing
        rows = [(0, 0, 0, 1, 1, 1, 1.0, "")]
    codes = [CODE_PREFIX + key for key in keys] or [""]
    sql = _sql(connection.vendor, len(rows), len(codes), inner, limit is not None)
    params: list[Any] = [v for row in rows for v in row]
    if connection.vendor != "postgresql":
        params.append(WORD_SIMILARITY_THRESHOLD)
    params += [NEAR_SCORE, COMPOUND_MIN_LENGTH, COMPOUND_MIN_LENGTH, kind, kind, *inner_params,
               kind, Weight.TEXT, TEXT_SHARE, CODE_RANK, kind, *codes, Weight.CODE,
               *inner_params, len(slots), len(slots)]
    if limit is not None:
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows_found = cursor.fetchall()
    generation = str(rows_found[0][4])
    found = [row for row in rows_found if row[0] is not None]
    coded = any(code for _pk, _rank, _met, code, _g in found)
    whole = [(int(pk), float(rank)) for pk, rank, slots_met, code, _g in found
             if code or (words and slots_met >= len(slots))]
    if whole or not found:
        return Matches(whole), generation, coded
    return Matches(((int(pk), float(rank)) for pk, rank, _met, _code, _g in found),
                   partial=True), generation, coded


def synonym_stems(terms_: Iterable[str]) -> list[list[str]]:
    """The stems a query matches for each word or phrase of a synonym group."""
    return [stems for stems in (query_words(t) for t in terms_) if stems]


def save_synonyms(group: Synonyms | None, *, language: str, words: Sequence[str]) -> Synonyms:
    """Write a synonym group (a new one when `group` is None) with its stems; the next query
    uses it. The caller checks the policy and audits (`catalog.services.save_synonyms`)."""
    phrases = list(dict.fromkeys(w.strip() for w in words if w.strip()))
    if group is None:
        group = Synonyms(language=language)
    group.language = language
    group.terms = "\n".join(phrases)
    group.stems = synonym_stems(phrases)
    group.save()
    forget_synonyms()
    return group


def delete_synonyms(group: Synonyms) -> None:
    """Forget a synonym group (the caller checks the policy and audits)."""
    group.delete()
    forget_synonyms()


__all__ += ["ignored_words", "little_words_only", "synonym_stems", "too_short"]
