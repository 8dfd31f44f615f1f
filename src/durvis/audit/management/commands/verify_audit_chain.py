from typing import Any

from django.core.management.base import BaseCommand, CommandError

from durvis.audit.services import verify_report


class Command(BaseCommand):
    help = ("Verify the activity log: every chain's rows, keyed hashes and head, against the "
            "newest valid checkpoint; name each broken chain and why.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all-checkpoints", action="store_true",
                            help="check the rows against every checkpoint file, not only the "
                                 "newest valid one (reads the whole checkpoint store)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_report(every_checkpoint=options["all_checkpoints"])
        for note in report.notes:
            self.stdout.write(f"Note: {note}")
        if not report.breaks:
            against = f"checkpoint {report.checkpoint}" if report.checkpoint else "no checkpoint"
            self.stdout.write(f"Audit log intact (checked against {against}).")
            return
        for b in report.breaks:
            if b.chain is None:
                self.stderr.write(f"{b.kind}: {b.problem}")
                continue
            row = f" (row id {b.event_id})" if b.event_id is not None else ""
            self.stderr.write(f"chain {b.chain}: {b.kind} at sequence {b.chain_seq}{row}: "
                              f"{b.problem}")
        chains = sorted({b.chain for b in report.breaks if b.chain is not None})
        files = sum(1 for b in report.breaks if b.chain is None)
        raise CommandError(f"Audit log broken: chain(s) {', '.join(map(str, chains)) or 'none'}"
                           + (f"; {files} checkpoint problem(s)" if files else "") + ".")
