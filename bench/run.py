"""`make bench`: run every benchmark module and print their figures (`BENCH <name>=<number>`).

Each module runs in its own process: each sets Django up on its own throwaway database, which
a process can do only once. Add a module by adding its name to BENCHMARKS. `BENCH_ONLY`
(comma-separated module names, e.g. `BENCH_ONLY=eforms`) runs only those.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = [
    "catalog_search",
    "search_relevance",
    "register",
    "eaccount",
    "outbox",
    "eforms",
    "payments",
    "access",
    "workplace",
    "knowledge",
    "events",
    "addresses",
    "calendars",
    "api",
]


def run(name: str) -> int:
    """Run one module; on Ctrl-C let it finish its clean-up (the terminal signalled it too)
    instead of killing it, which would leave its database behind."""
    process = subprocess.Popen([sys.executable, str(BENCH_DIR / f"{name}.py")])
    try:
        return process.wait()
    except KeyboardInterrupt:
        return process.wait()


def main() -> int:
    only = [n for n in os.environ.get("BENCH_ONLY", "").split(",") if n]
    unknown = sorted(set(only) - set(BENCHMARKS))
    if unknown:
        print(f"bench: no such benchmark: {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})",
              file=sys.stderr)
        return 2
    failed = []
    for name in only or BENCHMARKS:
        started = time.perf_counter()
        code = run(name)
        print(f"bench: {name} {'ok' if code == 0 else f'FAILED ({code})'} in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        if code != 0:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
