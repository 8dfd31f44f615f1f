from typing import Any

from django.core.management.base import BaseCommand, CommandError

from durvis.audit.services import verify


class Command(BaseCommand):
    help = "Verify the hash chains of the activity log; name the first broken row of each chain."

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = verify()
        if not breaks:
            self.stdout.write("Audit log intact.")
            return
        for b in breaks:
            where = f"row id {b.event_id}" if b.event_id is not None else "after the last row"
            self.stderr.write(f"chain {b.chain}: first broken at sequence {b.chain_seq} "
                              f"({where}): {b.problem}")
        raise CommandError(f"{len(breaks)} audit chain(s) broken.")
