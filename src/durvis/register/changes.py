"""The register's change positions (B1, B9): the numbers every feed's rows are stamped with
(`next_changes`), and the case listing's use of them (`GET /api/v1/cases?since=`,
`durvis.register.queries.changed_cases`). How a position orders commits, why the transaction id
leads it on PostgreSQL and how a reader is kept behind changes still in flight is explained in
`durvis.core.changes`, where the cursor, the horizon and the listing are (shared with the feeds
of applications and clients' replies); they are re-exported here for the register's callers.

On PostgreSQL the numbers come from the sequence `register_change_seq`; on SQLite from the row
of `register_changecounter`, under the database's write lock, so they are in commit order.
"""

from __future__ import annotations

from django.db import connection

from durvis.core.changes import BIGINT, ChangeCursor, Horizon, changed_after, horizon
from durvis.register.models import ChangeCounter

__all__ = ["BIGINT", "ChangeCursor", "Horizon", "changed_after", "horizon", "next_changes"]


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
