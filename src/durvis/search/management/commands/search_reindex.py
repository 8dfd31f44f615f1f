"""`manage.py search_reindex [KIND ...]`: index every object of the search service's indexes
again (after an upgrade that changed how text is indexed, e.g. the stemmer); the apps declare
how (`search.services.register_reindexer`)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from durvis.search.services import REINDEXERS, reindex_all


class Command(BaseCommand):
    help = "Index every object of the search indexes again (all kinds, or those named)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kinds", nargs="*", help=f"index kinds: {', '.join(sorted(REINDEXERS))}")

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = sorted(set(options["kinds"]) - set(REINDEXERS))
        if unknown:
            raise CommandError(f"no such index: {', '.join(unknown)} "
                               f"(known: {', '.join(sorted(REINDEXERS))})")
        for kind, count in reindex_all(options["kinds"]).items():
            self.stdout.write(f"{kind}: {count} indexed")
