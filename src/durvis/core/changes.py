"""Reading changes in commit order (B9): the cursor a synchronising system keeps, the horizon it
may read up to, and the listing of rows changed after a cursor. Used by every feed that an
institution's system polls: the register's cases (`GET /api/v1/cases?since=`), the submitted
applications (`GET /api/v1/applications?since=`) and the clients' replies
(`GET /api/v1/messages/replies?since=`).

Every change of a listed row stamps it with its position: `change_xid`, the id of the writing
transaction, and `change_seq`, a change number. A reader lists the rows whose position is after
its cursor, in position order, and gets the last one's position as its next cursor. A reader
must never move past a change that has not committed yet: it would never see it.

Change numbers alone cannot order the changes on PostgreSQL. They come from a sequence, which
writers draw from side by side, outside their transactions: a 300-event batch takes its
numbers, and while it commits, a single event takes a higher one and commits first. A reader
listing at that moment got the higher number as its cursor and never saw the batch. (A primary
key is such a number too: a feed by id skips a row that commits late behind a higher id.)

So on PostgreSQL the position leads with the transaction's id (`pg_current_xact_id()`, a 64-bit
id that never wraps around, assigned on the transaction's first write and kept to its end), and
a reader lists only changes of transactions below the oldest one still in flight
(`pg_snapshot_xmin(pg_current_snapshot())`, the *horizon*): every transaction below it has
ended, and any transaction still to write gets a larger id. Every change it does not list yet
sorts after the cursor it hands out, so it is listed later, exactly once. A transaction held
open for a long time delays every reader until it ends (its changes and all later ones wait
behind it), and never loses a change; any writing transaction on the database server counts,
whatever it writes, so one left idle in transaction shows as readers standing still.

On SQLite a writer holds the database's one write lock from its first write to its commit, and
takes its change numbers under it: numbers are in commit order, every `change_xid` is 0, and
there is no horizon.

The positions themselves are handed out by the register (`durvis.register.services.
next_change_positions`, one counter for every feed). Positions written before this scheme
have `change_xid` 0, so they sort before every later one, and a cursor handed out before it (a
bare change number) still means where it meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection
from django.db.models import F, Model, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan

BIGINT = 2**63 - 1
# Exactly what `ChangeCursor.__str__` writes: no leading zeros, no `0.` prefix, no sign.
_NUMBER = r"(?:0|[1-9][0-9]{0,18})"
_CURSOR = re.compile(rf"(?:([1-9][0-9]{{0,18}})\.)?({_NUMBER})")

M = TypeVar("M", bound=Model)


@dataclass(frozen=True, order=True)
class ChangeCursor:
    """A position in a feed's changes: (transaction id, change number). Written as
    `<xid>.<seq>`, or `<seq>` when the transaction id is 0 (SQLite, changes from before), so
    `0` is the beginning; clients keep it as an opaque string."""

    xid: int = 0
    seq: int = 0

    @classmethod
    def parse(cls, text: str) -> ChangeCursor:
        """The cursor `text` names. Strict: only what `str` writes is a cursor, so `05`,
        `0.5`, `+5`, ` 5` and `1.05` are refused rather than read as another position. Raises
        ValueError (its message says what a cursor is) for anything else, or a part beyond
        what a bigint holds."""
        match = _CURSOR.fullmatch(text)
        if match is None:
            raise ValueError("Not a cursor: use 0 or the cursor the page before gave "
                             "(next_cursor, next_after), as given.")
        xid, seq = int(match[1] or 0), int(match[2])
        if xid > BIGINT or seq > BIGINT:
            raise ValueError("Not a cursor: out of range.")
        return cls(xid, seq)

    def __str__(self) -> str:
        return f"{self.xid}.{self.seq}" if self.xid else str(self.seq)

    def check_given(self) -> None:
        """Refuse a cursor no feed can have given: a transaction part on a database that
        stamps none (SQLite: every change is in transaction 0, so `1.5` would hide every
        change for ever), or a transaction that has not ended yet on PostgreSQL (from the xmax
        of the current snapshot on, the reader's own excepted: it would hide every change
        until the ids caught up). Raises
        ValueError saying so; costs one query only for a cursor with a transaction part."""
        if not self.xid:
            return
        if connection.vendor != "postgresql":
            raise ValueError("Not a cursor this platform gave: it has no transaction part "
                             "here. Use 0 or the cursor the page before gave, as given.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
                           "pg_current_xact_id_if_assigned()::text::bigint")
            xmax, own = cursor.fetchone()
        if self.xid >= xmax and self.xid != own:
            raise ValueError("Not a cursor this platform gave: its transaction has not begun. "
                             "Use 0 or the cursor the page before gave, as given.")


@dataclass(frozen=True)
class Horizon:
    """What a reader may list now: changes of transactions below `below` (None: no bound, on
    SQLite), and those of its own transaction `own` (None: it has written nothing)."""

    below: int | None = None
    own: int | None = None


def horizon() -> Horizon:
    """The horizon as of now. Take it once, before the reader writes anything (the listing's
    audit rows), and list every part of a page below the same one.

    A transaction's own changes are visible to it, so they are listed too when the reader's
    transaction has written rows (a test's transaction): such a listing may pass changes of
    transactions younger than the horizon that are still in flight. The API lists outside any
    transaction, where only ended transactions count."""
    if connection.vendor != "postgresql":
        return Horizon()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
                       "pg_current_xact_id_if_assigned()::text::bigint")
        below, own = cursor.fetchone()
    return Horizon(below, own)


def changed_after(rows: QuerySet[M], cursor: ChangeCursor, seen: Horizon, *,
                  seq: str = "change_seq") -> QuerySet[M]:
    """`rows` (of any model with the integer fields `change_xid` and `change_seq`) changed
    after `cursor` and below the horizon `seen`, in position order: one range of an index that
    leads with the columns `rows` is filtered by and ends with (`change_xid`, `change_seq`),
    bounded on both sides. A feed whose rows are written once, never changed, may use its
    primary key as the change number (`seq="id"`: ids are drawn like change numbers, and the
    transaction id leads)."""
    position = Tuple(F("change_xid"), F(seq))
    rows = rows.filter(TupleGreaterThan(position, (cursor.xid, cursor.seq)))
    if seen.below is not None:
        if seen.own is None or seen.own < seen.below:
            rows = rows.filter(change_xid__lt=seen.below)
        else:
            rows = rows.filter(Q(change_xid__lt=seen.below) | Q(change_xid=seen.own),
                               change_xid__lte=seen.own)
    return rows.order_by("change_xid", seq)


def position_of(row: Model, *, seq: str = "change_seq") -> ChangeCursor:
    """The position of a listed row (its `change_xid`, `change_seq` or the field `seq`), as the
    next cursor."""
    return ChangeCursor(getattr(row, "change_xid"), getattr(row, seq))  # noqa: B009


def current_xid() -> int:
    """The id of the caller's transaction, for the `change_xid` of rows it writes (0 outside
    PostgreSQL: SQLite's writers are serialised, so ids alone are in commit order). Raises
    RuntimeError outside a transaction (autocommit would stamp the id of this query's own)."""
    if not connection.in_atomic_block:
        raise RuntimeError("change positions are taken inside the writing transaction")
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        row = cursor.fetchone()
    return int(row[0])
