"""What every benchmark module needs: a throwaway database, a real server, percentiles, output.

Benchmarks run against a server the developer may also use for work, so they never write to the
database that DATABASE_URL names: they create their own database next to it and drop it after.
They measure a real WSGI server (gunicorn) over HTTP, because that is what users wait for.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
MAINTENANCE_DB = "postgres"


def emit(name: str, value: float) -> None:
    """One figure, in the `BENCH <name>=<number>` form that tools and people both read."""
    print(f"BENCH {name}={value:.2f}" if isinstance(value, float) else f"BENCH {name}={value}",
          flush=True)


def report(prefix: str, size: int, figures: dict[str, float], headline: bool) -> None:
    """Print a benchmark's figures at one data size (`<prefix>.<name>_at_<size>`), and again
    without the size for the headline size."""
    for name, value in figures.items():
        emit(f"{prefix}.{name}_at_{size}", value)
        if headline:
            emit(f"{prefix}.{name}", value)


def note(message: str) -> None:
    """Progress and detail for the reader: on stderr, so that stdout holds only figures."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def stop_cleanly_on_signals() -> None:
    """Turn SIGTERM into SystemExit (Ctrl-C stays KeyboardInterrupt) so that `finally` blocks
    (stop the server, drop the database) run; a second signal during that clean-up is ignored
    rather than cutting it short and leaving the database behind."""

    def stop(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, stop)


def percentile(samples: list[float], share: float) -> float:
    """The `share` quantile (0.5, 0.95) with linear interpolation between samples."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(share * 100) - 1]


def _with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database (scheme normalised for libpq)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, f"/{name}", parts.query, ""))


def _admin_connection(url: str) -> psycopg.Connection:
    """A connection for CREATE/DROP DATABASE: the maintenance database, like Django's test
    runner; only if that is refused, the named database (nothing is ever written in it)."""
    try:
        return psycopg.connect(_with_database(url, MAINTENANCE_DB), autocommit=True)
    except psycopg.OperationalError:
        return psycopg.connect(_with_database(url, urlsplit(url).path.lstrip("/")),
                               autocommit=True)


@contextlib.contextmanager
def bench_database(prefix: str = "durvis_bench") -> Iterator[str]:
    """A fresh, migrated database on the DATABASE_URL server; yields its URL and drops it at
    the end, on failure too (FORCE ends connections a crashed server may have left)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://", "psql://")):
        raise SystemExit("bench: DATABASE_URL must name a PostgreSQL server (`make bench`).")
    name = f"{prefix}_{os.getpid()}"
    with _admin_connection(url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    note(f"created database {name}")
    bench_url = urlunsplit((*urlsplit(url)[:2], f"/{name}", *urlsplit(url)[3:]))
    try:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT, env=child_env(bench_url), check=True,
        )
        note(f"migrated in {time.perf_counter() - started:.1f} s")
        yield bench_url
    finally:
        with _admin_connection(url) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        note(f"dropped database {name}")


def reserve_ids(cursor: Any, table: str, count: int) -> int:
    """The first of `count` consecutive ids for rows a fill COPYs into `table` with explicit ids;
    the table's own id sequence is moved past them (and past any row already there), so that the
    next row the application inserts gets a fresh id. Without it the sequence stays where the
    platform's own inserts left it and the first API write after a fill fails with a duplicate
    key. A bulk fill is the only writer while it runs (nothing else takes ids meanwhile)."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    if sequence is None:
        raise RuntimeError(f"{table}.id takes no ids from a sequence")
    cursor.execute(
        sql.SQL("SELECT setval(%(seq)s::regclass, greatest((SELECT coalesce(max(id), 0) FROM {}), "
                "coalesce(pg_sequence_last_value(%(seq)s::regclass), 0)) + %(count)s)").format(
            sql.Identifier(table)),
        {"seq": sequence, "count": count})
    return int(cursor.fetchone()[0]) - count + 1


def child_env(database_url: str) -> dict[str, str]:
    """The environment of the processes under test: production-like (no DEBUG query log, no
    per-request INFO log line), on the bench database."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "durvis.settings",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(database_url: str, workers: int = 1, ready_path: str = "/readyz",
             timeout: float = 60.0, request_log: Path | None = None) -> Iterator[int]:
    """The app under gunicorn (`workers` sync workers) on a free loopback port, ready
    (`ready_path` answers 200); yields the port and stops the server at the end. With
    `request_log` the app logs at INFO to that file (its stdout and stderr): one JSON line per
    request with its server-side `duration_ms`."""
    with server(database_url, ["--workers", str(workers)], ready_path, timeout,
                request_log) as (port, _process):
        yield port


DEPLOYED_CONFIG = ROOT / "gunicorn.conf.py"
# The deployment's server when the repository has no gunicorn.conf.py: threads behind keep-alive
# connections (issue 21).
DEPLOYED_FALLBACK = ["--worker-class", "gthread", "--workers", "2", "--threads", "4",
                     "--keep-alive", "30"]


def deployed_options() -> list[str]:
    """gunicorn's options as the README's deployment section runs it: the repository's
    gunicorn.conf.py when there is one, else DEPLOYED_FALLBACK."""
    return ["--config", str(DEPLOYED_CONFIG)] if DEPLOYED_CONFIG.exists() else DEPLOYED_FALLBACK


@contextlib.contextmanager
def server(database_url: str, options: list[str], ready_path: str = "/readyz",
           timeout: float = 60.0, request_log: Path | None = None,
           app: str = "durvis.wsgi:application", env: dict[str, str] | None = None,
           ) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`app` under gunicorn with `options` (its own bind and log level) on a free loopback port,
    ready; yields the port and the master's process, and stops it at the end (SIGTERM: workers
    finish their requests and exit cleanly). `env` adds to the app's environment."""
    port = _free_port()
    child = {**child_env(database_url), **(env or {})}
    if request_log is not None:
        child.update(LOG_LEVEL="INFO", LOG_FORMAT="json")
    output = request_log.open("w") if request_log is not None else None
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--chdir", str(SRC), *options,
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=child, stdout=output, stderr=output,
    )
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port, ready_path):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode} before ready")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s")
            time.sleep(0.1)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if output is not None:
            output.close()


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants now (from /proc/<pid>/task/*/children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                queue += [int(c) for c in (task / "children").read_text().split()]
    return found


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time (s) of `pid` and its descendants, from /proc/<pid>/stat (clock
    ticks: 10 ms resolution): each living one's utime and stime, and the cutime and cstime of
    its children that exited and were waited for (a PostgreSQL backend that ended, a gunicorn
    worker that was replaced). Only the difference of two readings means anything."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime (14–17)
    return total / CLOCK_TICKS


def _answers(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()
