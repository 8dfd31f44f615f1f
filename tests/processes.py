"""Real platform processes for tests: a web server and workers on the test's own database.

A test that uses them runs with `django_db(transaction=True)`, so that what it writes is
committed and the other processes see it (on SQLite the test database is a file for this).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database, as another process must see it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def child_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a platform process on the test database: its own var directory (its
    mailbox, its media), warnings only, and `extra` (e.g. the SMTP server of a test)."""
    return {**os.environ, "DATABASE_URL": database_url(), "DURVIS_VAR_DIR": str(var_dir),
            "LOG_LEVEL": "WARNING", "LOG_FORMAT": "plain", "PYTHONUNBUFFERED": "1",
            "DEBUG": "false", **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int, path: str = "/readyz") -> bool:
    """Whether the server on `port` answers `path` with 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def wait_for(condition, timeout: float, step: float = 0.05, what: str = "the condition"):
    """Poll `condition` until it returns something true (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(step)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, threads: int = 10) -> Iterator[int]:
    """The app under gunicorn (`workers` processes of `threads` threads) on a free port, ready;
    yields the port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "durvis.wsgi:application", "--chdir", str(ROOT / "src"),
         "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env=env)
    try:
        wait_for(lambda: process.poll() is not None or answers(port), 60, what="gunicorn ready")
        assert process.poll() is None, f"gunicorn exited with {process.returncode}"
        yield port
    finally:
        stop(process)


def manage(env: dict[str, str], *args: str, **popen: object) -> subprocess.Popen:
    """`manage.py <args>` as a process of its own."""
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            **popen)  # type: ignore[call-overload]
