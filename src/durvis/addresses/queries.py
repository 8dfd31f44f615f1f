"""Reads of the address register (A9): address search for the autocomplete, the API and the
widget; one address by its code; a typed or declared address resolved to its register code;
the municipality an address lies in.

Search (`search`) tolerates missing diacritics, typos and any word order: "barona 1 riga",
"Krisjana Barona iela 1" and "krišjāņa baronna 1" all find "Krišjāņa Barona iela 1, Rīga,
LV-1050". How (`models` has the tables): each query word (`words.query_words`) is matched
against the dictionary of address words, a word with letters by pg_trgm's trigram
`similarity` (`words.SIMILARITY_THRESHOLD`: the GIN index on PostgreSQL, the same function
registered from Python on SQLite), the last word also as a beginning (one is still typing),
a number exactly or with a letter after it ("12" finds "12a"; the last number as the start of a
longer one only when no such number exists); the query word whose matches
are rarest (the words' `frequency`) gives the candidate addresses from its postings, at most
`CANDIDATES` of them (the two rarest words' intersection when one word is too common), and an
address is an answer when it holds a match of every query word. Answers come best first: the
sum of the words' similarities, buildings before premises, the shorter text. A query with one
number looks among buildings only; with two or more, premises too (the second number is the
flat's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count

from durvis.addresses.models import (
    REPUBLIC_CODE,
    AddressObject,
    AddressPosting,
    AddressWord,
    Kind,
    Status,
)
from durvis.addresses.words import (
    POSTCODE,
    SIMILARITY_THRESHOLD,
    is_number,
    query_words,
    similarity,
)
from durvis.search.services import normalize

CANDIDATES = 3000
MATCHES_PER_WORD = 30
MAX_LIMIT = 50


@dataclass(frozen=True)
class Found:
    """An address as search answers it: its register code, standard text, kind (108 a
    building, 109 premises), postcode and WGS84 coordinates (degrees; None where the register
    has none, as for premises, which share their building's)."""

    code: int
    text: str
    kind: int
    postcode: str
    lat: float | None
    lon: float | None


def search(query: str, *, limit: int = 10) -> list[Found]:
    """Existing addresses matching every word of `query`, best first, at most `limit`
    (1..`MAX_LIMIT`); a postcode alone ("LV-1050") gives that postcode's buildings
    (`with_postcode`). An empty list for a query without a word to match. Raises ValueError
    for a limit out of range."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError("limit")
    words = query_words(query)
    if not words:
        postcode = POSTCODE.fullmatch(query.strip())
        return with_postcode(postcode[0], limit) if postcode else []
    numbers = sum(1 for w in words if is_number(w))
    level = 1 if numbers >= 2 else 0
    matches = [_dictionary_matches(w, last=i == len(words) - 1) for i, w in enumerate(words)]
    if any(not m for m in matches):
        return []
    return _ranked(matches, level, limit)


def with_postcode(postcode: str, limit: int = 10) -> list[Found]:
    """The existing buildings of a postcode, by their standard text, at
    most `limit`: what a search for a postcode alone ("LV-1050", the hyphen required) answers."""
    digits = "".join(c for c in postcode if c.isdigit())
    rows = (AddressObject.objects.filter(kind=Kind.BUILDING, atrib=f"LV-{digits}",
                                         status=Status.EXISTING, valid_to__isnull=True)
            .order_by("std", "code")[:limit])
    return [Found(r.code, r.std, r.kind, r.atrib, r.lat, r.lon) for r in rows]


def _dictionary_matches(word: str, *, last: bool) -> list[tuple[int, float, int]]:
    """The dictionary's words a query word may mean: (id, similarity, frequency), at most
    `MATCHES_PER_WORD`. A number: itself (1.0), or with a letter after it ("12a", 0.9); the
    last word, only when the register has no such number, as the start of a longer number
    (typing on: "barona 1" is number 1, not 10-199, which made a common street's query read
    thousands of postings). Letters: pg_trgm's
    `similarity` at least `SIMILARITY_THRESHOLD` (the GIN index on PostgreSQL); the last word
    also as the start of a longer word ("kris" for "krisjana", 0.9)."""
    table = AddressWord._meta.db_table
    prefix = word.replace("%", "").replace("_", "") + "%"
    with connection.cursor() as cursor:
        if is_number(word):
            cursor.execute(f"SELECT id, word, frequency FROM {table} "  # noqa: S608 - fixed SQL
                           "WHERE word LIKE %s AND frequency > 0 ORDER BY length(word), word "
                           "LIMIT 200", [prefix])
            rows = cursor.fetchall()
            exact = [(i, 1.0 if w == word else 0.9, f) for i, w, f in rows
                     if w == word or (w[len(word):].isalpha() and not word[-1:].isalpha())]
            if exact or not last:
                return exact[:MATCHES_PER_WORD]
            return [(i, 0.9, f) for i, _w, f in rows][:MATCHES_PER_WORD]
        if connection.vendor == "postgresql":
            # `%` (the GIN index) at pg_trgm's default threshold 0.3, the stricter one in the
            # query: no transaction and no set_config, one round trip.
            cursor.execute(f"SELECT id, similarity(word, %s) AS s, frequency "  # noqa: S608 - fixed SQL
                           f"FROM {table} WHERE word %% %s AND frequency > 0 "
                           "AND similarity(word, %s) >= %s "
                           "ORDER BY s DESC, frequency DESC LIMIT %s",
                           [word, word, word, SIMILARITY_THRESHOLD, MATCHES_PER_WORD])
            found = {i: (float(s), f) for i, s, f in cursor.fetchall()}
        else:
            cursor.execute(f"SELECT id, durvis_address_similarity(%s, word) AS s, frequency "  # noqa: S608 - fixed SQL
                           f"FROM {table} WHERE frequency > 0 AND "
                           "durvis_address_similarity(%s, word) >= %s "
                           "ORDER BY s DESC, frequency DESC LIMIT %s",
                           [word, word, SIMILARITY_THRESHOLD, MATCHES_PER_WORD])
            found = {i: (float(s), f) for i, s, f in cursor.fetchall()}
        if last and len(word) >= 2:
            cursor.execute(f"SELECT id, frequency FROM {table} WHERE word LIKE %s "  # noqa: S608 - fixed SQL
                           "AND frequency > 0 ORDER BY frequency DESC LIMIT %s",
                           [prefix, MATCHES_PER_WORD])
            for i, f in cursor.fetchall():
                found[i] = (max(found.get(i, (0.0, f))[0], 0.9), f)
    best = sorted(found.items(), key=lambda item: (-item[1][0], -item[1][1]))
    return [(i, s, f) for i, (s, f) in best[:MATCHES_PER_WORD]]


def _in(values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`= ANY(%s)` with one array parameter on PostgreSQL, `IN (%s, ...)` elsewhere."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(values)]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)


def _candidates(matches: list[list[tuple[int, float, int]]], level: int) -> tuple[str, list[Any]]:
    """The SQL of the candidate addresses: the rarest query word's postings, or the two rarest
    words' intersection when the rarest alone has more than `CANDIDATES`."""
    posting = AddressPosting._meta.db_table
    order = sorted(range(len(matches)), key=lambda i: sum(f for _i, _s, f in matches[i]))

    def postings(i: int) -> tuple[str, list[Any]]:
        clause, params = _in([word_id for word_id, _s, _f in matches[i]])
        return (f"SELECT address_code FROM {posting} WHERE word_id {clause} "  # noqa: S608 - fixed SQL
                "AND level <= %s", [*params, level])

    first, first_params = postings(order[0])
    if len(order) == 1 or sum(f for _i, _s, f in matches[order[0]]) <= CANDIDATES:
        return (f"SELECT DISTINCT address_code FROM ({first}) AS c0 LIMIT %s",  # noqa: S608 - fixed SQL
                [*first_params, CANDIDATES])
    second, second_params = postings(order[1])
    return (f"SELECT address_code FROM ({first} INTERSECT {second}) AS c0 LIMIT %s",  # noqa: S608 - fixed SQL
            [*first_params, *second_params, CANDIDATES])


def _ranked(matches: list[list[tuple[int, float, int]]], level: int, limit: int
            ) -> list[Found]:
    """The candidates (`_candidates`) fetched first, then ranked from their own postings (the
    index by address): in one statement PostgreSQL's planner read every posting of every
    matched word instead ("riga" alone is a tenth of the register), 340 ms at 1.4 million."""
    posting, address = AddressPosting._meta.db_table, AddressObject._meta.db_table
    candidates_sql, candidate_params = _candidates(matches, level)
    with connection.cursor() as cursor:
        cursor.execute(candidates_sql, candidate_params)
        codes = [code for (code,) in cursor.fetchall()]
    if not codes:
        return []
    values = [(i, word_id, sim) for i, found in enumerate(matches) for word_id, sim, _f in found]
    rows = ", ".join(["(CAST(%s AS integer), CAST(%s AS integer), CAST(%s AS double precision))"]
                     * len(values))
    if connection.vendor == "postgresql":  # each candidate's postings by the address index
        held = (f"unnest(%s::bigint[]) AS d(code) CROSS JOIN LATERAL (SELECT q.address_code, "  # noqa: S608 - fixed SQL
                f"q.word_id FROM {posting} q WHERE q.address_code = d.code) AS p")
        held_params: list[Any] = [codes]
    else:
        in_codes, held_params = _in(codes)
        held = f"{posting} p WHERE p.address_code {in_codes}"
    sql = (
        f"WITH m(i, word_id, sim) AS (VALUES {rows}), "  # noqa: S608 - fixed SQL, values are parameters
        f"h AS (SELECT p.address_code, m.i, max(m.sim) AS sim FROM (SELECT p.address_code, "
        f"p.word_id FROM {held}) AS p "
        "JOIN m ON m.word_id = p.word_id "
        "GROUP BY p.address_code, m.i), "
        "r AS (SELECT address_code, sum(sim) AS score FROM h GROUP BY address_code "
        "HAVING count(*) = %s) "
        f"SELECT a.code, a.std, a.kind, a.atrib, a.lat, a.lon FROM r "
        f"JOIN {address} a ON a.code = r.address_code "
        "ORDER BY r.score DESC, a.kind, length(a.std), a.std LIMIT %s")
    params = [v for row in values for v in row] + held_params + [len(matches), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Found(code, text, kind, atrib if atrib.startswith("LV-") else "", lat, lon)
                for code, text, kind, atrib, lat, lon in cursor.fetchall()]


def address(code: int) -> AddressObject | None:
    """The building or premises with this register code (also a retired one), or None."""
    return AddressObject.objects.filter(code=code, kind__in=[Kind.BUILDING, Kind.PREMISES]).first()


def current(code: int) -> AddressObject | None:
    """The building or premises with this register code when the register holds it as an
    address now (status existing, no end date): what an answer may name; None otherwise
    (unknown, retired, an area such as a street, or a code out of range)."""
    if not 0 < code < 2**63:
        return None
    return AddressObject.objects.filter(
        code=code, kind__in=[Kind.BUILDING, Kind.PREMISES], status=Status.EXISTING,
        valid_to__isnull=True).first()


def found(code: int) -> Found | None:
    """The current address with this register code as search answers it (`current`), or
    None."""
    address_ = current(code)
    if address_ is None:
        return None
    atrib = address_.atrib or ""
    return Found(address_.code, address_.std, address_.kind,
                 atrib if atrib.startswith("LV-") else "", address_.lat, address_.lon)


def resolve(text: str) -> AddressObject | None:
    """The existing address a person's address text names, or None: its standard text folded
    (`normalize`: "krisjana barona iela 1, riga" = "Krišjāņa Barona iela 1, Rīga, LV-1050",
    with or without the postcode), else the single best search answer when it matches every
    word exactly. Used for a declared address the population register gives as text."""
    wanted = fold_address(text)
    if not wanted:
        return None
    found = search(text, limit=5)
    for candidate in found:
        if fold_address(candidate.text) == wanted:
            return address(candidate.code)
    exact = [f for f in found if fold_address(f.text).startswith(wanted)]
    return address(exact[0].code) if len(exact) == 1 else None


def fold_address(text: str) -> str:
    """An address text as `resolve` compares them: folded (`search.normalize`), without the
    postcode ("krisjana barona iela 1 riga" for "Krišjāņa Barona iela 1, Rīga, LV-1050")."""
    return normalize(POSTCODE.sub(" ", text))


def place_name(code: int, query: str) -> str:
    """What a search for `query` named, told by its best answer `code` (a building or
    premises): the answer's standard text without the postcode when the query gave a number
    ("brivibas 1 riga": "Brīvības iela 1, Rīga"); else its street when a word of the query is
    the street's ("brivibas riga": "Brīvības iela, Rīga"); else its town or village
    ("valmiera": "Valmiera") — so that "nearest to" names the place searched, not a house
    nobody typed. The answer's text when its parents are not in the register."""
    chain: list[AddressObject] = []
    current_ = AddressObject.objects.filter(code=code).first()
    while current_ is not None and len(chain) < 8:
        chain.append(current_)
        if current_.parent_code in (None, REPUBLIC_CODE):
            break
        current_ = AddressObject.objects.filter(code=current_.parent_code).first()
    if not chain:
        return ""
    text = POSTCODE.sub("", chain[0].std).strip(" ,")
    words = query_words(query)
    if any(is_number(w) for w in words):
        return text
    street = next((o for o in chain if o.kind == Kind.STREET), None)
    if street is not None and any(_same_word(w, s) for w in words
                                  for s in query_words(street.name)):
        return street.std or street.name
    town = next((o for o in chain if o.kind in (Kind.CITY, Kind.VILLAGE)), None)
    return town.name if town is not None else text


def _same_word(typed: str, word: str) -> bool:
    """Whether a typed word is a register word, a typo or a missing letter apart: the same
    first three letters and a trigram similarity of at least the search's threshold."""
    return typed[:3] == word[:3] and similarity(typed, word) >= SIMILARITY_THRESHOLD


def municipality_atvk(code: int) -> str | None:
    """The ATVK code of the municipality (novads) or state city an object lies in, walking up
    its parents: "0001000" for an address in Rīga, "0054000" for one in Valmieras novads; None
    when the chain ends without one (an unknown code, a parent not imported)."""
    seen = 0
    current = AddressObject.objects.filter(code=code).first()
    while current is not None and seen < 8:
        if current.kind == Kind.MUNICIPALITY or (
                current.kind == Kind.CITY and current.parent_code == REPUBLIC_CODE):
            return current.atrib or None
        if current.parent_code in (None, REPUBLIC_CODE):
            return None
        current = AddressObject.objects.filter(code=current.parent_code).first()
        seen += 1
    return None


def counts() -> dict[str, int]:
    """How many objects the register holds, existing ones by kind (`Kind` names, lower case)."""
    rows = (AddressObject.objects.filter(status=Status.EXISTING, valid_to__isnull=True)
            .values_list("kind").order_by())
    return {Kind(kind).name.lower(): n for kind, n in rows.annotate(n=Count("code"))}
