"""Optimistic concurrency for the edit forms of the pages (A2, C1, A5, issue 12): a form left open
in one tab and saved after the same record was changed elsewhere (another tab, another person)
must not silently undo that change.

A record that such a form edits has a version number: every write of what the form edits moves
it on by one. The form carries the version it was opened on (`durvis.core.forms.VersionField`,
a hidden field), and the service that saves it moves the version on from exactly that number in
one statement, `UPDATE … SET version = version + 1 WHERE … AND version = <the form's>`, inside the
transaction of the write. When another writer got there first, no row matches: `StaleVersion`
is raised before anything is written, the transaction rolls back, and the page shows the saved
values and asks the person to review them (`durvis.core.forms.differences` says which fields
differ from what they sent). The conditional update also locks the row until the transaction
ends, so two saves of forms opened on the same version cannot both pass.

Writes that do not come from a form (imports, the API, another page changing part of the same
record) move the version on unconditionally (`expected=None`), so an open form still notices
them.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet


class StaleVersion(Exception):
    """The record changed after the form was opened: its version is no longer the one the form
    carries. Nothing was written."""


def _in_transaction(rows: QuerySet[Any]) -> None:
    if transaction.get_autocommit(using=rows.db):
        raise RuntimeError("a version is checked in the transaction of the write it guards")


def advance_version(rows: QuerySet[Any], expected: int | None, *, field: str = "version") -> int:
    """Move the version of the one row of `rows` on by one and return the new version; the row
    stays locked until the caller's transaction ends (call it first, before the write it
    guards). With `expected` (the version a form was opened on) it is one conditional update,
    and raises StaleVersion when the version is another (or the row is gone); with None it moves
    on whatever it is. Raises RuntimeError outside a transaction (the check would not hold until
    the write)."""
    _in_transaction(rows)
    if expected is None:
        if rows.update(**{field: F(field) + 1}) != 1:
            raise StaleVersion
        return int(rows.values_list(field, flat=True).get())
    if rows.filter(**{field: expected}).update(**{field: F(field) + 1}) != 1:
        raise StaleVersion
    return expected + 1


def check_version(rows: QuerySet[Any], expected: int, *, field: str = "version") -> None:
    """Make sure the one row of `rows` still has version `expected`, and lock it until the
    caller's transaction ends, without moving the version on: for a step that depends on what
    the form showed but changes nothing the form edits (asking for a confirmation code). One
    conditional update (`SET version = version WHERE version = expected`). Raises StaleVersion
    when it is another, RuntimeError outside a transaction."""
    _in_transaction(rows)
    if rows.filter(**{field: expected}).update(**{field: F(field)}) != 1:
        raise StaleVersion
