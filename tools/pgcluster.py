"""A throwaway PostgreSQL cluster from the machine's own binaries, for tests and benchmarks.

    python tools/pgcluster.py -- pytest          # runs the command with DATABASE_URL set
    python tools/pgcluster.py --durable -- cmd   # fsync and synchronous commit on

The cluster lives in a temporary folder, listens on a free loopback port, runs with fsync off
(it is thrown away) and is stopped and removed when the command ends. `--durable` (or
`durable=True`) keeps PostgreSQL's durable defaults (fsync, synchronous_commit and
full_page_writes on): for benchmarks whose figures must include the commit's flush, such as the
integration API's (bench/api.py, issue 21). PostgreSQL refuses to run
as root, so under root the server runs as the `postgres` user (which Debian's package creates);
that is why this is not pytest-postgresql, whose executor runs the server as the caller.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

SERVER_OPTIONS = "-c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB"
NOT_DURABLE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def bin_dir() -> Path:
    """Where pg_ctl and initdb are: $PG_BINDIR, else the newest /usr/lib/postgresql/N/bin."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if found:
        return Path(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).resolve().parent
    raise SystemExit("PostgreSQL server binaries not found: install Debian's 'postgresql'.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_cluster(durable: bool = False) -> Iterator[str]:
    """Start a cluster (without flushing to disk unless `durable`); yield its DATABASE_URL
    (database `durvis`, superuser `durvis`)."""
    binaries = bin_dir()
    root = Path(tempfile.mkdtemp(prefix="durvis-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "server.log"
    port = _free_port()
    run = lambda *args: subprocess.run(  # noqa: E731
        _as_server_user([str(a) for a in args]), check=True, capture_output=True, cwd=root
    )
    try:
        run(binaries / "initdb", "-D", data, "-U", "durvis", "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync")
        run(binaries / "pg_ctl", "-D", data, "-l", log, "-w", "-o",
            f"-p {port} -k {root} {SERVER_OPTIONS}{'' if durable else ' ' + NOT_DURABLE}", "start")
        run(binaries / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "durvis", "durvis")
        yield f"postgres://durvis@127.0.0.1:{port}/durvis"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            run(binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    options = argv[: argv.index("--")] if "--" in argv else []
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    if not command or set(options) - {"--durable"}:
        print(__doc__)
        return 2
    durable = "--durable" in options
    with throwaway_cluster(durable) as url:
        print(f"pgcluster: throwaway {'durable ' if durable else ''}PostgreSQL at {url}",
              file=sys.stderr)
        return subprocess.call(command, env={**os.environ, "DATABASE_URL": url})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
