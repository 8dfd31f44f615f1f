"""The order in which a synchronising system sees the register's changes (the cursor of
`GET /api/v1/cases?since=`, `durvis.register.queries.changed_cases`).

Every change of a case stamps it with its position: `change_xid`, the id of the writing
transaction, and `change_seq`, the case's change number. A reader lists the cases whose position
is after its cursor, in position order, and gets the last one's position as its next cursor. A
reader must never move past a change that has not committed yet: it would never see it.

Change numbers alone cannot order the changes on PostgreSQL. They come from a sequence
(`register_change_seq`), which writers draw from side by side, outside their transactions: a
300-event batch takes its numbers, and while it commits, a single event takes a higher one and
commits first. A reader listing at that moment got the higher number as its cursor and never saw
the batch.

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
takes its change numbers under it (`register_changecounter`): numbers are in commit order, every
`change_xid` is 0, and there is no horizon.

Positions written before this scheme have `change_xid` 0, so they sort before every later one,
and a cursor handed out before it (a bare change number) still means where it meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan

from durvis.register.models import ChangeCounter, ServiceCase

BIGINT = 2**63 - 1
_CURSOR = re.compile(r"(?:([0-9]{1,19})\.)?([0-9]{1,19})")


@dataclass(frozen=True, order=True)
class ChangeCursor:
    """A position in the register's changes: (transaction id, change number). Written as
    `<xid>.<seq>`, or `<seq>` when the transaction id is 0 (SQLite, changes from before), so
    `0` is the beginning; clients keep it as an opaque string."""

    xid: int = 0
    seq: int = 0

    @classmethod
    def parse(cls, text: str) -> ChangeCursor:
        """The cursor `text` names. Raises ValueError for anything `str` does not write, or a
        part beyond what a bigint holds."""
        match = _CURSOR.fullmatch(text)
        if match is None:
            raise ValueError("Not a cursor: use 0 or a next_cursor the API gave.")
        xid, seq = int(match[1] or 0), int(match[2])
        if xid > BIGINT or seq > BIGINT:
            raise ValueError("Not a cursor: out of range.")
        return cls(xid, seq)

    def __str__(self) -> str:
        return f"{self.xid}.{self.seq}" if self.xid else str(self.seq)


# --- Writers -----------------------------------------------------------------------------------

def next_changes(count: int) -> tuple[int, list[int]]:
    """The caller's transaction id (0 outside PostgreSQL) and `count` new change numbers, for
    the positions of the changes it writes (`change_xid`, `change_seq`). The id is that of the
    transaction, whichever of its statements asks; so the changes must be written in the same
    transaction (and on SQLite the numbers are taken under its write lock). Raises
    RuntimeError outside a transaction (autocommit would stamp the id of this query's own)."""
    if not connection.in_atomic_block:
        raise RuntimeError("change positions are taken inside the writing transaction")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_current_xact_id()::text::bigint, "
                           "nextval('register_change_seq') FROM generate_series(1, %s)", [count])
            rows = cursor.fetchall()
            return rows[0][0], [row[1] for row in rows]
        cursor.execute("UPDATE register_changecounter SET last = last + %s WHERE id = 1 "
                       "RETURNING last", [count])
        row = cursor.fetchone()
        if row is None:  # the row of the migration is gone (a test flushed the tables)
            ChangeCounter.objects.get_or_create(pk=1)
            return next_changes(count)
        return 0, list(range(row[0] - count + 1, row[0] + 1))


# --- Readers -----------------------------------------------------------------------------------

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
    transaction has written cases (a test's transaction): such a listing may pass changes of
    transactions younger than the horizon that are still in flight. The API lists outside any
    transaction, where only ended transactions count."""
    if connection.vendor != "postgresql":
        return Horizon()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
                       "pg_current_xact_id_if_assigned()::text::bigint")
        below, own = cursor.fetchone()
    return Horizon(below, own)


def changed_after(cases: QuerySet[ServiceCase], cursor: ChangeCursor, seen: Horizon
                  ) -> QuerySet[ServiceCase]:
    """`cases` changed after `cursor` and below the horizon `seen`, in position order: one
    range of an index that leads with the columns `cases` is filtered by and ends with
    (`change_xid`, `change_seq`), bounded on both sides."""
    position = Tuple(F("change_xid"), F("change_seq"))
    cases = cases.filter(TupleGreaterThan(position, (cursor.xid, cursor.seq)))
    if seen.below is not None:
        if seen.own is None or seen.own < seen.below:
            cases = cases.filter(change_xid__lt=seen.below)
        else:
            cases = cases.filter(Q(change_xid__lt=seen.below) | Q(change_xid=seen.own),
                                 change_xid__lte=seen.own)
    return cases.order_by("change_xid", "change_seq")
