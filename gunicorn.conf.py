"""gunicorn's settings for Durvis's web processes (issue 21; B1, B9): `.venv/bin/gunicorn` run
from the repository root reads this file (its command line overrides any of them).

A national API is called by a few dozen back-office systems, each from many threads over
keep-alive connections, and by browsers. So:

- **gthread workers**: a worker's threads serve requests while an event loop holds the idle
  keep-alive connections (sync workers close every connection after its request, so every call
  paid a new TCP, and behind HTTPS a new TLS, handshake).
- **workers = 2 × CPUs + 1** (`DURVIS_WEB_WORKERS`): a request's work is Python, which one
  process runs on one CPU at a time (the GIL); with more processes than CPUs, a CPU whose
  process waits for PostgreSQL has another to run. **threads = 4** (`DURVIS_WEB_THREADS`) per
  worker cover the waits on the database inside a process without the memory of more processes;
  each thread keeps its database connection (`CONN_MAX_AGE`), so a machine holds workers ×
  threads connections (20 on 2 CPUs): size PostgreSQL's `max_connections`, or a PgBouncer, for
  every machine.
- **keepalive = 75 s** (`DURVIS_WEB_KEEPALIVE`): longer than a load balancer's idle time-out
  (60 s on most), so the balancer, not gunicorn, closes an idle connection and never sends on
  one gunicorn has just closed.
- **timeout** (`DURVIS_WEB_TIMEOUT`): a worker silent this long is restarted; it must be longer
  than any wait a request may make, so by default `DURVIS_SQLITE_TIMEOUT` (60 s) + 30 s.
"""

import multiprocessing
import os


def _number(name: str, default: float) -> float:
    """The environment's `name` as a positive number, else `default` when unset or blank. Raises
    SystemExit naming the setting for anything else (gunicorn then stops with that message)."""
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise SystemExit(f"{name}: {value!r} is not a positive number")
    return number


chdir = "src"
wsgi_app = "durvis.wsgi:application"
bind = [os.environ.get("DURVIS_WEB_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")]
worker_class = "gthread"
workers = int(_number("DURVIS_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(_number("DURVIS_WEB_THREADS", 4))
keepalive = int(_number("DURVIS_WEB_KEEPALIVE", 75))
timeout = int(_number("DURVIS_WEB_TIMEOUT", _number("DURVIS_SQLITE_TIMEOUT", 60.0) + 30))
graceful_timeout = 30
# The platform logs every request itself (`durvis.core.middleware.RequestLogMiddleware`, JSON,
# personal codes redacted): gunicorn's own access log stays off.
accesslog = None
