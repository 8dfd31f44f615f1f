"""`manage.py event_dead_letters`: the event deliveries given up on (a subscriber failed
MAX_ATTEMPTS times), and `--replay ID` to run one again once its cause is fixed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from durvis.audit.services import record
from durvis.core import events
from durvis.core.actor import SYSTEM


class Command(BaseCommand):
    help = "List the event deliveries given up on, or replay one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--replay", type=int, metavar="ID",
                            help="run this dead delivery again")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["replay"] is not None:
            if not events.replay(options["replay"]):
                raise CommandError(f"no dead delivery {options['replay']}")
            record(SYSTEM, "core.event_delivery.replay",
                   details={"delivery": options["replay"], "by": "manage.py"})
            self.stdout.write(f"delivery {options['replay']} will be run again")
            return
        dead = events.dead_letters()
        if not dead:
            self.stdout.write("no dead event deliveries")
            return
        for delivery in dead:
            error = delivery.last_error.splitlines()[-1] if delivery.last_error else ""
            self.stdout.write(f"{delivery.pk}\t{delivery.event.name}\t{delivery.event.key}\t"
                              f"{delivery.subscriber}\t{delivery.attempts}\t{error}")
