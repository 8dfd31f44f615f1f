"""Delete stored document files that no document names (left by rolled-back transactions)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from durvis.documents.services import ORPHAN_GRACE, sweep_orphan_files


class Command(BaseCommand):
    help = "Delete stored document files that no document row names, older than --minutes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=int,
                            default=int(ORPHAN_GRACE.total_seconds() // 60),
                            help="only files older than this (default: %(default)s)")

    def handle(self, *args: Any, **options: Any) -> None:
        removed = sweep_orphan_files(datetime.timedelta(minutes=options["minutes"]))
        self.stdout.write(f"removed {removed} orphan file(s)")
