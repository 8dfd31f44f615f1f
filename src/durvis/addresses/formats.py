"""Reading the State Address Register's open-data files (VZD, `aw_*.csv`), one row at a time.

Two formats are read, told apart by the header (`docs/addresses.md`):

- the current one: UTF-8 with a byte order mark, `,` between fields, every field in `"` quotes
  (a quote inside doubled), CRLF line ends, dates `YYYY.MM.DD`, booleans `Y`/`N`;
- the older zipped release: `;` between fields and `#` as the quote character (header
  `#KODS#;...`), dates `YYYY.MM.DD` or `DD.MM.YYYY`.

`read` yields each row as a `Row` (the fields the platform keeps, typed) or a `Malformed` (the
file, the line and why), never raising for one bad row; it holds one row in memory at a time.
Columns are found by their header names, so their order does not matter.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from durvis.addresses.models import Kind, Status

# The tables the platform imports, parents before children, with the type their rows are.
TABLES = (("aw_pilseta", Kind.CITY), ("aw_novads", Kind.MUNICIPALITY),
          ("aw_pagasts", Kind.PARISH), ("aw_ciems", Kind.VILLAGE), ("aw_iela", Kind.STREET),
          ("aw_eka", Kind.BUILDING), ("aw_dziv", Kind.PREMISES))
REQUIRED = ("KODS", "TIPS_CD", "NOSAUKUMS", "VKUR_CD", "VKUR_TIPS", "STATUSS", "STD")
PARENT_KINDS = frozenset(int(k) for k in Kind)
MAX_TEXT = {"NOSAUKUMS": 200, "SORT_NOS": 200, "ATRIB": 20, "STD": 400}


@dataclass(frozen=True)
class Row:
    """One register object as a file gives it (see `models.AddressObject`)."""

    code: int
    kind: int
    name: str
    sort_name: str
    parent_code: int | None
    parent_kind: int | None
    status: str
    approved: bool
    approval: int | None
    atrib: str
    std: str
    valid_from: datetime.date | None
    modified: datetime.date | None
    valid_to: datetime.date | None
    for_build: bool | None
    planned: bool | None
    lks_x: float | None
    lks_y: float | None
    lat: float | None
    lon: float | None
    fingerprint: str


@dataclass(frozen=True)
class Malformed:
    """A row that was not read: `file` (its name), `line` (1 is the header) and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class BadValue(ValueError):
    pass


def table_of(name: str) -> tuple[str, int] | None:
    """The table (`aw_eka`) and its rows' type for a file name (`aw_eka.csv`, `AW_EKA.CSV`,
    `aw_eka.txt`), or None for a file the platform does not import (history tables, districts)."""
    stem = Path(name).name.lower().split(".")[0]
    return next(((t, int(k)) for t, k in TABLES if stem == t), None)


def open_text(path: Path) -> Iterator[tuple[str, IO[str]]]:
    """The register files in `path`, parents first: a folder of `aw_*.csv` files, one such file,
    or a zip archive of them (the release as downloaded). Yields (file name, text stream)."""
    if path.is_dir():
        files = {p.name: p for p in path.iterdir() if table_of(p.name)}
        for name in sorted(files, key=_order):
            with files[name].open("r", encoding="utf-8-sig", newline="") as stream:
                yield name, stream
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if table_of(m)]
            for member in sorted(members, key=_order):
                with archive.open(member) as raw:
                    yield Path(member).name, io.TextIOWrapper(raw, encoding="utf-8-sig",
                                                              newline="")
    else:
        with path.open("r", encoding="utf-8-sig", newline="") as stream:
            yield path.name, stream


def _order(name: str) -> int:
    table = table_of(name)
    return [t for t, _k in TABLES].index(table[0]) if table else len(TABLES)


def read(name: str, stream: IO[str]) -> Iterator[Row | Malformed]:
    """Every row of one file (`name` as `table_of` knows it), in order."""
    table = table_of(name)
    assert table is not None
    first = stream.readline()
    if first.startswith("\ufeff"):
        first = first[1:]
    dialect = _dialect(first)
    header = next(csv.reader([first], dialect=dialect), [])
    header = [h.strip().upper() for h in header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        yield Malformed(name, 1, f"the header lacks {', '.join(missing)}")
        return
    position = {column: index for index, column in enumerate(header)}
    reader = csv.reader(stream, dialect=dialect)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as error:
            yield Malformed(name, reader.line_num + 1, f"unreadable: {error}")
            continue
        line = reader.line_num + 1  # the header was read before the reader
        if not fields or fields == [""]:
            continue
        if len(fields) != len(header):
            yield Malformed(name, line, f"{len(fields)} fields where the header has "
                                        f"{len(header)}")
            continue
        try:
            yield _row(table[1], dict(zip(header, fields, strict=True)), position)
        except BadValue as error:
            yield Malformed(name, line, str(error))


def _dialect(header: str) -> type[csv.Dialect]:
    class Current(csv.excel):
        delimiter = ","
        quotechar = '"'

    class Older(csv.excel):
        delimiter = ";"
        quotechar = "#"

    return Older if header.lstrip().startswith("#") or ";" in header.split(",")[0] else Current


def _row(kind: int, values: dict[str, str], position: dict[str, int]) -> Row:
    got = {k: v.strip() for k, v in values.items()}
    if _int(got, "TIPS_CD") != kind:
        raise BadValue(f"TIPS_CD {got['TIPS_CD']!r} is not {kind} in this file")
    status = got.get("STATUSS", "")
    if status not in Status.values:
        raise BadValue(f"STATUSS {status!r} is not EKS, DEL or ERR")
    for column, limit in MAX_TEXT.items():
        if len(got.get(column, "")) > limit:
            raise BadValue(f"{column} is longer than {limit} characters")
    parent_kind = _int(got, "VKUR_TIPS")
    if parent_kind is not None and parent_kind not in PARENT_KINDS:
        raise BadValue(f"VKUR_TIPS {got['VKUR_TIPS']!r} is not a register type")
    if not got.get("NOSAUKUMS"):
        raise BadValue("NOSAUKUMS is empty")
    code = _int(got, "KODS")
    if code is None or not 100_000_000 <= code <= 999_999_999:
        raise BadValue(f"KODS {got.get('KODS')!r} is not a 9-digit register code")
    return Row(
        code=code, kind=kind, name=got["NOSAUKUMS"], sort_name=got.get("SORT_NOS", ""),
        parent_code=_int(got, "VKUR_CD"), parent_kind=parent_kind, status=status,
        approved=_bool(got, "APSTIPR") or False, approval=_int(got, "APST_PAK"),
        atrib=got.get("ATRIB", ""), std=got.get("STD", ""),
        valid_from=_date(got, "DAT_SAK"), modified=_date(got, "DAT_MOD"),
        valid_to=_date(got, "DAT_BEIG"), for_build=_bool(got, "FOR_BUILD"),
        planned=_bool(got, "PLAN_ADR"), lks_x=_float(got, "KOORD_X"),
        lks_y=_float(got, "KOORD_Y"), lat=_float(got, "DD_N", (55.0, 58.5)),
        lon=_float(got, "DD_E", (20.5, 28.5)),
        fingerprint=hashlib.blake2b("\x1f".join(values[c] for c in sorted(position)).encode(),
                                    digest_size=16).hexdigest())


def _int(got: dict[str, str], column: str) -> int | None:
    value = got.get(column, "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 12:
        raise BadValue(f"{column} {value!r} is not a number")
    return int(value)


def _bool(got: dict[str, str], column: str) -> bool | None:
    value = got.get(column, "")
    if not value:
        return None
    if value not in ("Y", "N"):
        raise BadValue(f"{column} {value!r} is not Y or N")
    return value == "Y"


def _date(got: dict[str, str], column: str) -> datetime.date | None:
    """`YYYY.MM.DD` (also `YYYY-MM-DD`) or the older `DD.MM.YYYY`, parsed by hand: strptime
    costs more than the rest of a row."""
    value = got.get(column, "")
    if not value:
        return None
    parts = value.replace("-", ".").split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        year, month, day = parts if len(parts[0]) == 4 else reversed(parts)
        if len(year) == 4 and len(month) <= 2 and len(day) <= 2:
            try:
                return datetime.date(int(year), int(month), int(day))
            except ValueError:
                pass
    raise BadValue(f"{column} {value!r} is not a date (YYYY.MM.DD)")


def _float(got: dict[str, str], column: str,
           bounds: tuple[float, float] | None = None) -> float | None:
    value = got.get(column, "")
    if not value:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise BadValue(f"{column} {value!r} is not a number") from None
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        raise BadValue(f"{column} {value!r} is outside Latvia")
    if number != number or abs(number) > 10_000_000:  # NaN, inf
        raise BadValue(f"{column} {value!r} is not a coordinate")
    return number
