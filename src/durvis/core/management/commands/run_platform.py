"""`make run`: the web server and a background worker side by side, supervised; Ctrl-C stops both.
In demo mode the payment simulator (`manage.py run_paysim`, on `DURVIS_PAYSIM_PORT`) runs beside
them, restarted like the worker.

A worker that stops (it crashed, it was killed) does not take the web server with it: the
supervisor logs why (its exit status and the last line it wrote) and starts another after a
back-off: `DURVIS_WORKER_RESTART_DELAY` seconds, doubling at each death up to
`DURVIS_WORKER_RESTART_MAX_DELAY`, and back to the start once a worker has run that long. The new
worker's scheduler gives back at once what the dead one held. If the web server stops, the
platform stops (exit status 1).

Each process runs in its own session, so that Ctrl-C reaches only the supervisor, which stops
them in order (SIGTERM: the worker finishes its task; SIGKILL after 10 seconds).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand

log = logging.getLogger("durvis.platform")


class Child:
    """One supervised process: its command, and the last lines it wrote to stderr (passed on)."""

    def __init__(self, name: str, command: list[str], restart: bool,
                 env: dict[str, str] | None = None) -> None:
        self.name, self.command, self.restart, self.env = name, command, restart, env
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.delay = settings.DURVIS_WORKER_RESTART_DELAY
        self.restart_at: float | None = None
        self.tail: deque[str] = deque(maxlen=20)
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        self.tail.clear()
        self.process = subprocess.Popen(self.command, stderr=subprocess.PIPE,  # noqa: S603
                                        start_new_session=True, env=self.env)
        self.started, self.restart_at = time.monotonic(), None
        assert self.process.stderr is not None
        self._reader = threading.Thread(target=self._pass_on, args=(self.process.stderr,),
                                        daemon=True)
        self._reader.start()
        log.info("%s started (pid %d)", self.name, self.process.pid)

    def _pass_on(self, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            sys.stderr.buffer.write(line)
            sys.stderr.buffer.flush()
            if text := line.decode(errors="replace").strip():
                self.tail.append(text)

    def exit_status(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def why(self) -> str:
        """How it ended: the signal that killed it, or its exit status and the last line it
        wrote (a traceback's last line says what went wrong)."""
        code = self.exit_status()
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}"
        if self._reader is not None:
            self._reader.join(timeout=2)
        last = f"; its last words: {self.tail[-1]}" if self.tail and code else ""
        return f"exit status {code}{last}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", self.name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Command(BaseCommand):
    help = "Start the web server and a supervised background worker (the embedded default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, sys.argv[0]]
        address = f"{options['host']}:{options['port']}"
        # Both read PORT: DURVIS_PUBLIC_URL (the address in notifications) follows it by default.
        env = {**os.environ, "PORT": str(options["port"])}
        worker = Child("worker", [*manage, "run_worker"], restart=True, env=env)
        web = Child("web server", [*manage, "runserver", address], restart=False, env=env)
        children = [worker, web]
        if settings.DEMO_MODE:
            # The payment simulator (demo only) answers the payment gateway protocol on its port.
            children.insert(0, Child("payment simulator", [
                *manage, "run_paysim", "--port", str(settings.DURVIS_PAYSIM_PORT)],
                restart=True, env=env))
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for child in children:
            child.start()
        self.stdout.write(f"Durvis: http://{address}/ (Ctrl-C stops)")
        self.stdout.flush()
        failed = False
        while not stopping and not failed:
            time.sleep(0.2)
            failed = not web.restart and web.exit_status() is not None
            if failed:
                log.error("the web server stopped (%s); stopping the platform", web.why())
            for child in children:
                if child.restart:
                    _supervise(child)
        for child in children:
            child.stop()
        deadline = time.monotonic() + 10
        for child in children:
            child.wait(deadline)
        if failed:
            raise SystemExit(1)


def _supervise(worker: Child) -> None:
    """Restart a supervised child that stopped (the worker, the demo's payment simulator), after
    its back-off."""
    now = time.monotonic()
    if worker.restart_at is not None:
        if now >= worker.restart_at:
            worker.start()
        return
    if worker.exit_status() is None:
        return
    assert worker.process is not None
    ran = now - worker.started
    if ran >= settings.DURVIS_WORKER_RESTART_MAX_DELAY:
        worker.delay = settings.DURVIS_WORKER_RESTART_DELAY
    log.error("the %s (pid %d) stopped after %.0f s (%s); starting another in %.0f s",
              worker.name, worker.process.pid, ran, worker.why(), worker.delay)
    worker.restart_at = now + worker.delay
    worker.delay = min(worker.delay * 2, settings.DURVIS_WORKER_RESTART_MAX_DELAY)
