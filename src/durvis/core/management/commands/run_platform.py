"""`make run`: the web server and a background worker side by side; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server and a background worker (the embedded default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, sys.argv[0]]
        # Both read PORT: DURVIS_PUBLIC_URL (the address in notifications) follows it by default.
        env = {**os.environ, "PORT": str(options["port"])}
        processes = [
            subprocess.Popen([*manage, "db_worker"], env=env),  # noqa: S603
            subprocess.Popen([*manage, "runserver", f"{options['host']}:{options['port']}"],  # noqa: S603
                             env=env),
        ]
        self.stdout.write(f"Durvis: http://{options['host']}:{options['port']}/ (Ctrl-C stops)")
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if not stopping:
            raise SystemExit("A platform process stopped unexpectedly.")
