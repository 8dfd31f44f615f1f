"""Writes of the address register (A9): the import of the State Address Register's open data.

`import_register` reads the release (`formats.open_text`: a folder, a file or the zip) and applies
it: a new object is added, a changed one rewritten, an unchanged one left alone (its row's hash,
`fingerprint`), a retired one (status `DEL`/`ERR` or an end date) kept with its end date and
taken out of search; nothing is ever deleted, also not an object a later file leaves out. The
first import and every later one are the same operation. It streams: rows are read, compared
and written in batches of `BATCH` (one query for what the database has of a batch, COPY for the
new rows on PostgreSQL: `core.bulk.copy_rows`), so memory stays flat whatever the file's size
(the dictionary of search words, about 100,000 words, is the one thing that grows with the
data). Everything runs in one transaction: a failure half-way (a database error, an unreadable
archive) writes nothing; a malformed row is reported with its file and line and skipped.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.db import connection, transaction
from django.utils import timezone

from durvis.addresses import formats
from durvis.addresses.formats import Malformed, Row
from durvis.addresses.models import (
    ADDRESS_KINDS,
    AddressObject,
    AddressPosting,
    AddressWord,
    Kind,
    Status,
)
from durvis.addresses.words import words_of
from durvis.core import bulk

BATCH = 5000
PROGRESS_LINES = 2000
MAX_REPORTED = 1000  # malformed rows kept for the summary (all are counted)
FIELDS = ("code", "kind", "name", "sort_name", "parent_code", "parent_kind", "status", "approved",
          "approval", "atrib", "std", "valid_from", "modified", "valid_to", "for_build",
          "planned", "lks_x", "lks_y", "lat", "lon", "fingerprint")
# Progress: (file name, characters read since the last call, the file's size in bytes or None).
Progress = Callable[[str, int, int | None], None]


@dataclass
class FileSummary:
    rows: int = 0
    new: int = 0
    changed: int = 0
    retired: int = 0
    unchanged: int = 0
    malformed: int = 0


@dataclass
class Summary:
    """What an import did, per file (`files`, by file name) and in all; `malformed` holds the
    first `MAX_REPORTED` malformed rows (each with its file and line)."""

    files: dict[str, FileSummary] = field(default_factory=dict)
    malformed: list[Malformed] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files.values())


def import_register(path: Path, *, progress: Progress | None = None) -> Summary:
    """Apply the register release at `path` (a folder of `aw_*.csv`, one such file, or their
    zip archive; either format, `formats`), in one transaction; returns the summary. Raises
    FileNotFoundError for a missing path and OSError, zipfile.BadZipFile or a database error
    for a failure that stops it (nothing is written then). A malformed row does not stop it."""
    if not path.exists():
        raise FileNotFoundError(path)
    summary = Summary()
    with transaction.atomic():
        words = _Words()
        for name, stream in formats.open_text(path):
            counts = summary.files.setdefault(name, FileSummary())
            size = _size(path, name)
            rows = formats.read(name, _counted(name, stream, size, progress))
            for batch in _batches(rows, BATCH):
                _apply(batch, counts, summary, words)
        _count_words()
    return summary


def _size(path: Path, name: str) -> int | None:
    member = path / name if path.is_dir() else path
    return member.stat().st_size if member.is_file() and member.name == name else None


def _counted(name: str, stream: IO[str], size: int | None,
             progress: Progress | None) -> IO[str]:
    if progress is None:
        return stream

    class Counted:
        """The stream, telling `progress` every `PROGRESS_LINES` lines how far it is."""

        def __init__(self) -> None:
            self.pending = 0

        def __iter__(self) -> Iterator[str]:
            for n, line in enumerate(stream, 1):
                self.pending += len(line)
                if n % PROGRESS_LINES == 0:
                    self.flush()
                yield line
            self.flush()

        def readline(self) -> str:
            line = stream.readline()
            self.pending += len(line)
            return line

        def flush(self) -> None:
            assert progress is not None
            progress(name, self.pending, size)
            self.pending = 0

    return Counted()  # type: ignore[return-value]


def _batches(rows: Iterable[Row | Malformed], size: int) -> Iterator[list[Row | Malformed]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _apply(batch: Sequence[Row | Malformed], counts: FileSummary, summary: Summary,
           words: _Words) -> None:
    rows: dict[int, Row] = {}
    for item in batch:
        counts.rows += 1
        if isinstance(item, Malformed):
            counts.malformed += 1
            if len(summary.malformed) < MAX_REPORTED:
                summary.malformed.append(item)
        else:
            rows[item.code] = item  # a code twice in one file: the later row holds
    known = dict(AddressObject.objects.filter(code__any_of=list(rows))
                 .values_list("code", "fingerprint"))
    fresh = [r for code, r in rows.items() if code not in known]
    changed = [r for code, r in rows.items() if code in known and known[code] != r.fingerprint]
    counts.new += len(fresh)
    counts.changed += len(changed)
    counts.unchanged += len(rows) - len(fresh) - len(changed)
    counts.retired += sum(1 for r in (*fresh, *changed) if not _active(r))
    bulk.copy_rows(AddressObject, FIELDS, [_values(r) for r in fresh])
    bulk.update_rows(AddressObject, [*FIELDS[1:], "imported_at"],
                     [(r.code, *_values(r)[1:], _now()) for r in changed])
    addresses = [r for r in (*fresh, *changed) if r.kind in ADDRESS_KINDS]
    if not addresses:
        return
    rewritten = [r.code for r in changed if r.kind in ADDRESS_KINDS]
    if rewritten:
        AddressPosting.objects.filter(address_code__any_of=rewritten).delete()
    texts = {r.code: words_of(r.std or r.name) for r in addresses if _active(r)}
    ids = words.ids({w for found in texts.values() for w in found})
    bulk.copy_rows(AddressPosting, ("word_id", "level", "address_code"), [
        (ids[w], 0 if rows[code].kind == Kind.BUILDING else 1, code)
        for code, found in texts.items() for w in found])


def _active(row: Row) -> bool:
    return row.status == Status.EXISTING and row.valid_to is None


def _values(row: Row) -> tuple[object, ...]:
    return tuple(getattr(row, name) for name in FIELDS)


def _now() -> datetime.datetime:
    return timezone.now()


class _Words:
    """The dictionary's ids of words, read once, new words added as batches need them."""

    def __init__(self) -> None:
        self.known = dict(AddressWord.objects.values_list("word", "id"))

    def ids(self, wanted: set[str]) -> dict[str, int]:
        missing = sorted(wanted - self.known.keys())
        if missing:
            new_ids = bulk.copy_rows(AddressWord, ("word", "frequency"),
                                     [(w, 0) for w in missing], with_ids=True)
            self.known.update(zip(missing, new_ids, strict=True))
        return {w: self.known[w] for w in wanted}


def _count_words() -> None:
    """Each word's number of addresses, for the query's choice of its rarest word."""
    word, posting = AddressWord._meta.db_table, AddressPosting._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {word} SET frequency = 0 WHERE frequency <> 0 AND NOT EXISTS "  # noqa: S608 - fixed SQL
            f"(SELECT 1 FROM {posting} p WHERE p.word_id = {word}.id)")
        cursor.execute(
            f"UPDATE {word} SET frequency = c.n FROM (SELECT word_id, count(*) AS n "  # noqa: S608 - fixed SQL
            f"FROM {posting} GROUP BY word_id) AS c WHERE {word}.id = c.word_id "
            f"AND {word}.frequency <> c.n")
