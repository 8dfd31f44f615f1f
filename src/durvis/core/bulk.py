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
from django.utils import timezone

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


# The INSERT of each model, written once per process (the activity log's row is inserted on
# every audited request: the columns' types alone cost a millisecond to look up each time).
_INSERTS: dict[tuple[type[models.Model], bool], tuple[list[models.Field[Any, Any]], str]] = {}


def _insert_sql(model: type[models.Model], ignore_conflicts: bool
                ) -> tuple[list[models.Field[Any, Any]], str]:
    known = _INSERTS.get((model, ignore_conflicts))
    if known is not None:
        return known
    fields = _columns(model)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    returning = "" if ignore_conflicts else f" RETURNING {quote(str(model._meta.pk.column))}"
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
           f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({_record_type(fields)}) "
           f"ORDER BY {ORDER}{conflict}{returning}")
    _INSERTS[(model, ignore_conflicts)] = (fields, sql)
    return fields, sql


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
    fields, sql = _insert_sql(model, ignore_conflicts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document(objs, fields)])
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


def copy_rows(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]],
              *, with_ids: bool = False) -> list[int]:
    """Insert plain rows (tuples of the fields `names`, attnames such as `invoice_id`, in
    that order) of `model`, the fastest way the database has: on PostgreSQL by `COPY ... FROM
    STDIN` (no Python model instance, no JSON; about a tenth of `insert`'s cost per row), the
    primary keys drawn beforehand from the table's identity sequence when `with_ids` is set;
    elsewhere by the ORM's `bulk_create`. Returns the new rows' primary keys in order when
    `with_ids` is set, else an empty list. Raises the database's IntegrityError on a
    conflict (nothing of the statement is written)."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objs, batch_size=1000)
        return [int(obj.pk) for obj in objs] if with_ids else []
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, str(model._meta.pk.column)
    columns = [str(_field(model, name).column) for name in names]
    rest = _defaults(model, names)
    if rest:
        columns += [str(f.column) for f, _value in rest]
        tail = tuple(value for _f, value in rest)
        rows = [(*row, *tail) for row in rows]
    ids: list[int] = []
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                           "FROM generate_series(1, %s)", [table, pk, len(rows)])
            ids = [row[0] for row in cursor.fetchall()]
            columns.insert(0, pk)
            rows = [(pk_value, *row) for pk_value, row in zip(ids, rows, strict=True)]
        statement = (f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) "
                     "FROM STDIN")
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    return ids


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _defaults(model: type[models.Model], names: Sequence[str]
              ) -> list[tuple[models.Field[Any, Any], Any]]:
    """The other columns of `model` with the value a new row gets (COPY applies no Django
    default): `auto_now`/`auto_now_add` times are now, others their constant default; a
    nullable column without a default is left out (NULL, one value fewer per row). Raises
    ValueError for a column with a callable default (each row needs its own value: name it)."""
    now = timezone.now()
    rest = []
    for f in _columns(model):
        if f.attname in names or f.name in names:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            rest.append((f, now))
        elif f.null and not f.has_default() and f.db_default is models.NOT_PROVIDED:
            continue  # left out: COPY writes NULL, the column's own default
        elif f.has_default() and callable(f.default):
            raise ValueError(f"{model.__name__}.{f.name} has a callable default: give it")
        else:
            rest.append((f, f.get_default()))
    return rest


def update_rows(model: type[models.Model], names: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Write the fields `names` of existing rows of `model`: `rows` are tuples of the primary
    key followed by the values of `names`, in that order; one statement on PostgreSQL (the
    rows as one JSON document), a batch of parameterised UPDATEs elsewhere."""
    if not rows:
        return
    fields = [_field(model, name) for name in names]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), model._meta.pk
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET "  # noqa: S608
                f"{', '.join(f'{quote(str(f.column))} = %s' for f in fields)} "
                f"WHERE {quote(str(pk.column))} = %s",
                [[*(f.get_db_prep_save(value, connection)
                    for f, value in zip(fields, row[1:], strict=True)), row[0]] for row in rows])
            return
        assignments = ", ".join(f"{quote(str(f.column))} = r.{quote(str(f.column))}"
                                for f in fields)
        document = json.dumps([{ORDER: n, "pk": row[0], **{
            str(f.column): value for f, value in zip(fields, row[1:], strict=True)}}
            for n, row in enumerate(rows)], cls=JsonEncoder)
        cursor.execute(
            f"UPDATE {table} SET {assignments} "  # noqa: S608
            f"FROM jsonb_to_recordset(%s::jsonb) AS r("
            f"{_record_type(fields, f'pk {pk.db_type(connection)}')}) "
            f"WHERE {table}.{quote(str(pk.column))} = r.pk", [document])


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
