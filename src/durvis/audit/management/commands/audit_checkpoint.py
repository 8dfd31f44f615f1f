from typing import Any

from django.core.management.base import BaseCommand

from durvis.audit import checkpoints


class Command(BaseCommand):
    help = ("Write a checkpoint of the activity log now (every chain's head, signed, to the "
            "audit_checkpoints storage); the worker writes them at the interval.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = checkpoints.write("on demand")
        self.stdout.write(f"Checkpoint written: {name}")
