"""Bulk writes of many rows in one statement, for the platform's hot paths (the register's batch
ingest: 1,000 history rows, 1,000 audit rows, 1,000 status updates per request).

Django's `bulk_create` prepares every field of every row in Python and binds each value as its
own parameter; at 1,000 rows that is most of a request. On PostgreSQL these functions send the
rows as one JSON document, which the server unpacks with `jsonb_to_recordset` into the columns'
own types. On other databases (SQLite, the embedded default) they use the ORM.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

ORDER = "_n"


class JsonEncoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it cuts them to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _columns(model: type[models.Model], names: Sequence[str] | None = None
             ) -> list[models.Field[Any, Any]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return [f for f in fields if names is None or f.attname in names or f.name in names]


def _document(objs: Sequence[models.Model], fields: Sequence[models.Field[Any, Any]],
              extra: Sequence[str] = ()) -> str:
    rows = [{ORDER: n, **{name: getattr(obj, name) for name in extra},
             **{str(f.column): getattr(obj, f.attname) for f in fields}}
            for n, obj in enumerate(objs)]
    return json.dumps(rows, cls=JsonEncoder)


def _record_type(fields: Sequence[models.Field[Any, Any]], leading: str = "") -> str:
    quote = connection.ops.quote_name
    return ", ".join([f"{ORDER} bigint", *([leading] if leading else []),
                      *(f"{quote(str(f.column))} {f.db_type(connection)}" for f in fields)])


def insert(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert unsaved instances of one model, in order; their primary keys are set (unless
    conflicts are ignored: then some rows may not exist). Raises the database's IntegrityError
    on a conflict that is not ignored."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    fields = _columns(model)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    returning = "" if ignore_conflicts else f" RETURNING {quote(str(model._meta.pk.column))}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({_record_type(fields)}) "
            f"ORDER BY {ORDER}{conflict}{returning}", [_document(objs, fields)])
        if not ignore_conflicts:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk


def update(objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write the fields `names` of saved instances of one model, one row each."""
    if not objs:
        return
    model = type(objs[0])
    fields = _columns(model, names)
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), model._meta.pk
    if connection.vendor != "postgresql":
        # One parameterised UPDATE per row, sent as a batch (Django's bulk_update builds a CASE
        # expression per column, which costs seconds at 1,000 rows).
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET "  # noqa: S608
                f"{', '.join(f'{quote(str(f.column))} = %s' for f in fields)} "
                f"WHERE {quote(str(pk.column))} = %s",
                [[*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields),
                  obj.pk] for obj in objs])
        return
    assignments = ", ".join(f"{quote(str(f.column))} = r.{quote(str(f.column))}" for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} "  # noqa: S608
            f"FROM jsonb_to_recordset(%s::jsonb) AS r("
            f"{_record_type(fields, f'pk {pk.db_type(connection)}')}) "
            f"WHERE {table}.{quote(str(pk.column))} = r.pk", [_document(objs, fields, ["pk"])])


class AnyOf(models.lookups.In):
    """`field__any_of=[...]`: on PostgreSQL `field = ANY(%s)` with the values as one array
    parameter, instead of `IN (%s, %s, ...)` with one parameter each (at 1,000 values, building
    and binding that list costs more than the query); elsewhere the usual `IN`."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.db_type(connection)
        return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, list(self.rhs)]


models.Field.register_lookup(AnyOf)
