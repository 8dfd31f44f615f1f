from typing import Any

from django.core.management.base import BaseCommand

from durvis.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo data of the pilot scope (idempotent: loading twice changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = load_demo()
        self.stdout.write(", ".join(f"{n} {k}" for k, n in counts.items()))
