"""`manage.py run_paysim [--port N]`: the payment simulator (`durvis.demo.paysim`), demo only."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from durvis.demo import paysim


class Command(BaseCommand):
    help = "Run the payment simulator that answers the payment gateway protocol (demo mode only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.DURVIS_PAYSIM_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("The payment simulator runs in demo mode only (DURVIS_DEMO).")
        server = paysim.Server((options["host"], options["port"]))
        self.stdout.write(f"Payment simulator: {server.simulator.base_url}/ (Ctrl-C stops)")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
