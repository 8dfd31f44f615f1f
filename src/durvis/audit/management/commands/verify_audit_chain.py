from typing import Any

from django.core.management.base import BaseCommand, CommandError

from durvis.audit.services import verify


class Command(BaseCommand):
    help = ("Verify the activity log: every chain's rows, keyed hashes and head; name each broken "
            "chain and why.")

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = verify()
        if not breaks:
            self.stdout.write("Audit log intact.")
            return
        for b in breaks:
            row = f" (row id {b.event_id})" if b.event_id is not None else ""
            self.stderr.write(f"chain {b.chain}: {b.kind} at sequence {b.chain_seq}{row}: "
                              f"{b.problem}")
        chains = sorted({b.chain for b in breaks})
        raise CommandError(f"Audit log broken: chain(s) {', '.join(map(str, chains))}.")
