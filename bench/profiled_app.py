"""The platform's WSGI application with cProfile around the requests that ask for it (`make
profile`, bench/profile.py): a request with the header `X-Durvis-Profile: <scenario>` is run
(its body read and closed too) under that scenario's profiler of the serving thread; at the
worker's exit every profiler is written to `$DURVIS_PROFILE_DIR/<scenario>/<pid>-<n>.prof`.

The timer is the thread's CPU time (time.thread_time: what the benchmark's `cpu_ms` counts,
without waits for the database or its flush); its calls add to the cost of functions that are
called very often, so read the sorted profile together with py-spy's flame graph.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from durvis.wsgi import application as django_application

OUTPUT = Path(os.environ.get("DURVIS_PROFILE_DIR", "var/profile/raw"))
_local = threading.local()
_all: list[tuple[str, cProfile.Profile]] = []
_lock = threading.Lock()


def _profiler(scenario: str) -> cProfile.Profile:
    """This thread's profiler of `scenario`."""
    mine = _local.__dict__.setdefault("profilers", {})
    if scenario not in mine:
        mine[scenario] = cProfile.Profile(time.thread_time)
        with _lock:
            _all.append((scenario, mine[scenario]))
    return mine[scenario]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    scenario = environ.get("HTTP_X_DURVIS_PROFILE", "")
    if not scenario.isidentifier():
        return django_application(environ, start_response)
    profiler = _profiler(scenario)
    profiler.enable()
    try:
        result = django_application(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    finally:
        profiler.disable()
    return [body]


@atexit.register
def _write() -> None:
    for n, (scenario, profiler) in enumerate(_all):
        folder = OUTPUT / scenario
        folder.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(folder / f"{os.getpid()}-{n}.prof")
