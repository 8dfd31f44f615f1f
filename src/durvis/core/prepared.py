"""Hot queries compiled once per process (issue 21, B9: the integration API's CPU per request).

Django compiles a queryset into SQL on every evaluation: for a case read with its service,
client and institutions joined, the compilation (columns, joins, ordering, converters) costs
more CPU than the database's answer. A `PreparedQuery` is a queryset *shape*: built once with
sample values, compiled once per database connection's vendor, and then run with other values
in the samples' places, its rows turned into model instances exactly as the ORM does
(`ModelIterable`: `Model.from_db`, the `select_related` populators, annotations, the
database converters). A `PreparedUpdate` is the same for `UPDATE <table> SET … WHERE pk`, a
`PreparedInsert` for the `INSERT` of one new instance.

What may be prepared (checked when the shape is compiled, ImproperlyConfigured otherwise): a
model queryset without `prefetch_related`, related-manager querysets or `values()`, whose
every varying value is an equality or `__in` value of an int or a str field, given as a sample
that appears once and unchanged among the compiled parameters (an `__in` sample is a tuple:
its length is then fixed). Pick samples that are valid values of their fields (Django answers
"nothing" for an integer out of a field's range, without SQL) and that no constant of the query
equals (e.g. 2_000_000_001, "\\x1fsample").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model, QuerySet
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import AutoFieldMixin
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)

# (place in the parameters, the argument's index, the element's index in a tuple argument)
Slot = tuple[int, int, int | None]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    template: tuple[Any, ...]
    slots: tuple[Slot, ...]
    arity: tuple[int | None, ...]  # per argument: None for a value, n for an n-tuple
    for_update: bool
    model: type[Model]
    init_list: tuple[str, ...]
    model_end: int
    populators: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


class PreparedQuery(Generic[M]):
    """A queryset shape compiled once per (database alias, vendor) and run with new values.

    `build(*samples)` returns the queryset (sliced for a LIMIT); `fetch(*args)` runs it with
    `args` in the samples' places and returns the model instances, as `list(build(*args))`
    would, in one statement and without compiling. Thread-safe: a shape compiled twice at once
    by two threads is compiled alike. Raises ImproperlyConfigured (at the first fetch) for a
    shape outside the module's rules, TypeError for arguments not shaped like the samples
    (ValueError for an element of an `__in` tuple its column cannot hold; a single value that
    it cannot hold finds nothing, as with the ORM),
    and TransactionManagementError for a `select_for_update` outside a transaction (where the
    database locks rows: not SQLite)."""

    def __init__(self, build: Callable[..., QuerySet[M]], *samples: Any) -> None:
        self._build = build
        self._samples = samples
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def fetch(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        connection = connections[using]
        compiled = self._compiled.get((using, connection.vendor)) or self._compile(using)
        try:
            params = _bind(compiled, args)
        except _OutOfRange:
            return []  # as the ORM answers an integer its column cannot hold: nothing, no SQL
        if (compiled.for_update and connection.features.has_select_for_update
                and connection.get_autocommit()):
            raise TransactionManagementError("select_for_update cannot be used outside of a "
                                             "transaction.")
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return [_instance(compiled, row, using, connection) for row in rows]

    def first(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> M | None:
        """The first instance `fetch` finds, or None (the shape itself sets the LIMIT)."""
        found = self.fetch(*args, using=using)
        return found[0] if found else None

    def _compile(self, using: str) -> _Compiled:
        with self._lock:
            connection = connections[using]
            compiled = _compile(self._build(*self._samples), self._samples, using)
            self._compiled[(using, connection.vendor)] = compiled
            return compiled


def _compile(queryset: QuerySet[Any], samples: Sequence[Any], using: str) -> _Compiled:
    private = vars(queryset)  # what the stubs do not declare
    if (queryset._iterable_class is not ModelIterable or private["_prefetch_related_lookups"]
            or private["_known_related_objects"] or queryset.query.combinator):
        raise ImproperlyConfigured("only a plain model queryset can be prepared")
    compiler = queryset.query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        raise ImproperlyConfigured("the samples match nothing without SQL (out of a field's "
                                   "range?)") from None
    slots = _slots(tuple(params), samples)
    select, klass_info = compiler.select, compiler.klass_info
    assert klass_info is not None
    fields = klass_info["select_fields"]
    fields_start, model_end = fields[0], fields[-1] + 1
    if fields_start != 0:
        raise ImproperlyConfigured("the model's own columns must come first")
    converters = compiler.get_converters([column[0] for column in select[:compiler.col_count]])
    return _Compiled(
        sql=sql, template=tuple(params), slots=slots,
        arity=tuple(len(s) if isinstance(s, tuple) else None for s in samples),
        for_update=bool(queryset.query.select_for_update),
        model=klass_info["model"],
        init_list=tuple(column[0].target.attname for column in select[:model_end]),
        model_end=model_end,
        populators=tuple(get_related_populators(klass_info, select, using)),  # type: ignore[call-arg]
        annotations=tuple(compiler.annotation_col_map.items()),
        converters=tuple((place, tuple(convs), expression)
                         for place, (convs, expression) in converters.items()),
    )


def _slots(params: tuple[Any, ...], samples: Sequence[Any]) -> tuple[Slot, ...]:
    """Where each sample (each element of a tuple sample) is among the compiled parameters."""
    slots: list[Slot] = []
    for argument, sample in enumerate(samples):
        values = [(v, i) for i, v in enumerate(sample)] if isinstance(sample, tuple) else [
            (sample, None)]
        for value, element in values:
            if not isinstance(value, int | str) or isinstance(value, bool):
                raise ImproperlyConfigured(f"sample {value!r}: only int and str values")
            kind = int if isinstance(value, int) else str  # PostgreSQL: Int2, Int4… subclasses
            places = [i for i, p in enumerate(params)
                      if isinstance(p, kind) and not isinstance(p, bool) and p == value]
            if len(places) != 1:
                raise ImproperlyConfigured(
                    f"sample {value!r} is {len(places)} times among the compiled parameters "
                    f"{params!r}, not once")
            slots.append((places[0], argument, element))
    return tuple(slots)


def _bind(compiled: _Compiled, args: Sequence[Any]) -> list[Any]:
    if len(args) != len(compiled.arity) or any(
            (n is None) == isinstance(a, tuple) or (n is not None and len(a) != n)
            for a, n in zip(args, compiled.arity, strict=True)):
        raise TypeError(f"arguments {args!r} are not shaped like the samples {compiled.arity}")
    params = list(compiled.template)
    for place, argument, element in compiled.slots:
        value = args[argument] if element is None else args[argument][element]
        kind = type(params[place])  # the value typed as the compiled one was (e.g. Int2)
        limit = _LIMITS.get(kind.__name__)
        if limit is not None and not -limit <= value < limit:
            if element is not None:
                raise ValueError(f"{value} is out of the range of its column")
            raise _OutOfRange
        params[place] = value if kind in (int, str) else kind(value)
    return params


class _OutOfRange(Exception):
    """An argument its column's type cannot hold (PostgreSQL refuses to compare with it)."""


# psycopg's typed integers (Django's PostgreSQL backend binds integer fields' values as these),
# and a plain int: SQLite's 64-bit INTEGER (sqlite3 raises OverflowError beyond it; the ORM
# answers nothing, `DatabaseOperations.integer_field_range`).
_LIMITS = {"Int2": 2 ** 15, "Int4": 2 ** 31, "Int8": 2 ** 63, "int": 2 ** 63}


def _instance(compiled: _Compiled, row: tuple[Any, ...], using: str, connection: Any) -> Any:
    """The row as the ORM's ModelIterable makes it: converted, the instance and its related
    objects populated, annotations set."""
    values = list(row)
    for place, convs, expression in compiled.converters:
        value = values[place]
        for converter in convs:
            value = converter(value, expression, connection)
        values[place] = value
    obj = compiled.model.from_db(using, list(compiled.init_list), values[:compiled.model_end])
    for populator in compiled.populators:
        populator.populate(values, obj)
    for name, place in compiled.annotations:
        setattr(obj, name, values[place])
    return obj


class PreparedUpdate:
    """`UPDATE <model's table> SET <fields> WHERE <pk> = …` with its SQL written once per
    (alias, vendor): `run(pk, *values)` stores `values` (prepared for the database as `save`
    would, `Field.get_db_prep_save`) in `fields`, in the caller's transaction, and returns the
    number of rows changed. No signals are sent (as `QuerySet.update`). Raises
    ImproperlyConfigured for a name that is not a concrete field of the model."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        self._model = model
        concrete = {f.name: f for f in model._meta.concrete_fields}
        if unknown := [name for name in fields if name not in concrete]:
            raise ImproperlyConfigured(f"{model.__name__} has no concrete fields {unknown}")
        self._fields: list[Field[Any, Any]] = [concrete[name] for name in fields]
        self._sql: dict[tuple[str, str], str] = {}

    def run(self, pk: Any, *values: Any, using: str = DEFAULT_DB_ALIAS) -> int:
        connection = connections[using]
        key = (using, connection.vendor)
        sql = self._sql.get(key) or self._write_sql(key)
        params = [f.get_db_prep_save(v, connection)
                  for f, v in zip(self._fields, values, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, pk])
            return int(cursor.rowcount)

    def _write_sql(self, key: tuple[str, str]) -> str:
        quote = connections[key[0]].ops.quote_name
        meta = self._model._meta
        assert meta.pk is not None
        sets = ", ".join(f"{quote(str(f.column))} = %s" for f in self._fields)
        self._sql[key] = (f"UPDATE {quote(meta.db_table)} SET {sets} "  # noqa: S608 - names
                          f"WHERE {quote(str(meta.pk.column))} = %s")
        return self._sql[key]


class PreparedInsert:
    """`INSERT` of one new instance of `model`, its SQL written once per (alias, vendor):
    `save(obj)` writes every concrete field as `obj.save()` would for a new instance (each
    field's `pre_save`, so `auto_now_add` is set on `obj`, then `get_db_prep_save`), in the
    caller's transaction, sets the primary key it was given and marks `obj` saved. No signals
    are sent. Raises the database's IntegrityError (as Django's) on a conflict, and TypeError
    for a field left to a database default (`db_default` without `default`)."""

    def __init__(self, model: type[Model]) -> None:
        self._model = model
        meta = model._meta
        assert meta.pk is not None
        self._pk = meta.pk
        self._auto = isinstance(meta.pk, AutoFieldMixin)
        self._fields: list[Field[Any, Any]] = [
            f for f in meta.concrete_fields if not (self._auto and f is meta.pk)]
        self._sql: dict[tuple[str, str], tuple[str, bool]] = {}

    def save(self, obj: M, using: str = DEFAULT_DB_ALIAS) -> M:
        connection = connections[using]
        key = (using, connection.vendor)
        sql, returning = self._sql.get(key) or self._write_sql(key)
        params = []
        for field in self._fields:
            value = field.pre_save(obj, True)  # type: ignore[no-untyped-call]
            if isinstance(value, DatabaseDefault):
                raise TypeError(f"{field.name} is left to the database's default")
            params.append(field.get_db_prep_save(value, connection))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if self._auto:
                table, column = self._model._meta.db_table, str(self._pk.column)
                obj.pk = (cursor.fetchone()[0] if returning
                          else connection.ops.last_insert_id(cursor, table, column))
        obj._state.adding, obj._state.db = False, using
        return obj

    def _write_sql(self, key: tuple[str, str]) -> tuple[str, bool]:
        connection = connections[key[0]]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in self._fields)
        marks = ", ".join(["%s"] * len(self._fields))
        returning = self._auto and connection.features.can_return_columns_from_insert
        sql = (f"INSERT INTO {quote(self._model._meta.db_table)} ({columns}) "  # noqa: S608
               f"VALUES ({marks})" + (f" RETURNING {quote(str(self._pk.column))}"
                                      if returning else ""))
        self._sql[key] = (sql, returning)
        return sql, returning
