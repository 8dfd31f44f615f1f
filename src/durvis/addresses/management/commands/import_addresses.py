"""`manage.py import_addresses PATH`: apply a State Address Register release (A9).

PATH is a folder of the register's `aw_*.csv` files, one such file, or the zip archive as
downloaded from the open-data portal, in the current or the older format
(`durvis.addresses.formats`). The first run loads everything, later runs apply what changed
(`durvis.addresses.services.import_register`). A progress bar per file (rich; `--quiet` for
none), then a summary; each malformed row is listed with its file and line. Exit status 0 when
it was applied (also with malformed rows), 1 when nothing was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from durvis.addresses.services import Summary, import_register


class Command(BaseCommand):
    help = ("Import the State Address Register's open data (aw_*.csv: a folder, a file or the "
            "zip archive; current or older format): new, changed and retired addresses; "
            "nothing is deleted. One transaction: a failure writes nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="Folder, aw_*.csv file or zip archive")
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        console = Console(file=self.stderr._out, stderr=True)  # type: ignore[attr-defined,arg-type]
        try:
            summary = (import_register(path) if options["quiet"]
                       else self._with_progress(path, console))
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file or folder") from None
        except Exception as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        self._report(summary)

    def _with_progress(self, path: Path, console: Console) -> Summary:
        tasks: dict[str, TaskID] = {}
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            def advance(name: str, characters: int, size: int | None) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=size)
                bar.advance(tasks[name], characters)

            summary = import_register(path, progress=advance)
            for task in tasks.values():
                bar.update(task, completed=bar.tasks[task].total or 0)
        return summary

    def _report(self, summary: Summary) -> None:
        table = Table(title="State Address Register import")
        for column in ("file", "rows", "new", "changed", "retired", "unchanged", "malformed"):
            table.add_column(column, justify="left" if column == "file" else "right")
        for name, counts in summary.files.items():
            table.add_row(name, *(str(getattr(counts, c)) for c in
                                  ("rows", "new", "changed", "retired", "unchanged", "malformed")))
        table.add_row("all", *(str(summary.total(c)) for c in
                               ("rows", "new", "changed", "retired", "unchanged", "malformed")))
        Console(file=self.stdout._out, width=100).print(table)  # type: ignore[attr-defined,arg-type]
        for row in summary.malformed:
            self.stderr.write(f"malformed: {row}")
        hidden = summary.total("malformed") - len(summary.malformed)
        if hidden > 0:
            self.stderr.write(f"... and {hidden} more malformed rows")
