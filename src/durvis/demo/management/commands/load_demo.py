"""`manage.py load_demo [--reset]`: the demo data, loaded once (`durvis.demo.loader`)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from durvis.demo.loader import load_demo


class Command(BaseCommand):
    help = ("Load the demo data of the pilot scope into a database that does not have it; on one "
            "that has it, change nothing (what users changed stays). --reset restores the demo "
            "records to the demo files.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true",
            help="Restore the demo records (institutions, services, persons, companies, staff "
                 "and their second factor, missing demo cases); deletes nothing users made.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo(reset=options["reset"])
        counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
        if result.outcome == "kept":
            loaded = timezone.localtime(result.loaded_at)
            self.stdout.write(f"Demo data already loaded ({loaded:%Y-%m-%d %H:%M}): left as it "
                              "is. `manage.py load_demo --reset` restores the demo records.")
        elif result.outcome == "reset":
            self.stdout.write(f"Demo records restored: {counts}")
        else:
            self.stdout.write(f"Demo data loaded: {counts}")
