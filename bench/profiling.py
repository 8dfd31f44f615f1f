"""`make profile`: where the integration API's requests spend their CPU (issue 21).

The API benchmark's set-up (bench/api.py: durable PostgreSQL, the register filled with
`BENCH_API_CASES` cases, gunicorn as deployed) and its load, 4 keep-alive client threads, for
the scenarios create_case, add_status, get_case and whoami (`BENCH_PROFILE_SCENARIOS`), each
`BENCH_PROFILE_REQUESTS` requests (default 500) after a warm-up, twice:

1. under cProfile (bench/profiled_app.py, the serving threads' CPU time): the merged profile of
   all workers, sorted by own time (tottime, top 40) and by cumulative time (top 80), in
   `var/profile/<scenario>.txt` (and `<scenario>.prof` for pstats or snakeviz;
   `bench/profiling.py --texts` writes the texts again from the last run);
2. on the plain server, sampled by py-spy (all gunicorn processes, idle threads left out, 200
   samples a second): the flame graph `var/profile/<scenario>.svg`. py-spy reads the workers'
   memory through ptrace; where that is refused, it says so and only the text profiles are
   written.
"""

from __future__ import annotations

import contextlib
import io
import os
import pstats
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api
import harness

OUTPUT = harness.ROOT / "var" / "profile"
SCENARIOS = tuple(os.environ.get("BENCH_PROFILE_SCENARIOS",
                                 "create_case,add_status,get_case,whoami").split(","))
REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "500"))
TOP = 40


def _profiled(url: str, token: str, plans: dict[str, list[api.Call]]) -> None:
    """Run the scenarios on the cProfile-wrapped server; write the sorted profiles."""
    raw = OUTPUT / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    env = {"DURVIS_PROFILE_DIR": str(raw),
           "PYTHONPATH": os.pathsep.join([str(harness.SRC), str(harness.ROOT / "bench")])}
    with harness.server(url, harness.deployed_options(), app="profiled_app:application",
                        env=env) as (port, _process):
        for name in SCENARIOS:
            calls = plans[name]
            api.Load(port, token).run(calls[:api.WARMUP], api.CLIENT_THREADS)
            elapsed = api.Load(port, token, {"X-Durvis-Profile": name}).run(
                calls[api.WARMUP:], api.CLIENT_THREADS)
            harness.note(f"cProfile {name}: {len(calls) - api.WARMUP} requests in "
                         f"{elapsed:.1f} s")
    for name in SCENARIOS:
        (raw / name / "requests").write_text(str(len(plans[name]) - api.WARMUP))
    write_texts(raw)


def _short(text: str) -> str:
    """Paths in a profile without the folders every one of them shares."""
    prefixes = [*site.getsitepackages(), sysconfig.get_paths()["stdlib"], str(harness.SRC)]
    for prefix in sorted(prefixes, key=len, reverse=True):
        text = text.replace(prefix.rstrip("/") + "/", "")
    return text


def write_texts(raw: Path) -> None:
    """Merge each scenario's thread profiles (`raw/<scenario>/*.prof`) into
    `<scenario>.prof` and the sorted text `<scenario>.txt`: top TOP by own time, top 2 * TOP
    by cumulative time (the outer frames, the middleware chain, take the first places)."""
    for name in SCENARIOS:
        files = sorted(str(f) for f in (raw / name).glob("*.prof"))
        if not files:
            raise RuntimeError(f"no profile of {name} was written (did the workers exit?)")
        requests = int((raw / name / "requests").read_text())
        buffer = io.StringIO()
        stats = pstats.Stats(*files, stream=buffer)
        stats.dump_stats(OUTPUT / f"{name}.prof")
        stats.files = []  # not the list of the threads' files before each table
        stats.sort_stats("tottime").print_stats(TOP)
        stats.sort_stats("cumulative").print_stats(2 * TOP)
        text = OUTPUT / f"{name}.txt"
        text.write_text(
            f"{name}: {requests} requests, {len(files)} thread profiles; CPU time of the "
            f"serving threads (time.thread_time), {stats.total_tt * 1000 / requests:.2f} ms a "
            "request in all (profiler overhead included)\n" + _short(buffer.getvalue()))
        harness.note(f"wrote {text.relative_to(harness.ROOT)}")


def _sampled(url: str, token: str, plans: dict[str, list[api.Call]]) -> None:
    """Run the scenarios on the plain server under py-spy; write the flame graphs."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        harness.note("py-spy is not installed (`make install`): no flame graphs")
        return
    with harness.server(url, harness.deployed_options()) as (port, process):
        for name in SCENARIOS:
            calls = plans[name]
            api.Load(port, token).run(calls[:api.WARMUP], api.CLIENT_THREADS)
            svg = OUTPUT / f"{name}.svg"
            sampler = subprocess.Popen(
                [str(spy), "record", "--pid", str(process.pid), "--subprocesses", "--rate",
                 "200", "--nonblocking", "--format", "flamegraph", "--output", str(svg)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                api.Load(port, token).run(calls[api.WARMUP:], api.CLIENT_THREADS)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    sampler.send_signal(signal.SIGINT)
                output = sampler.communicate(timeout=60)[0].decode(errors="replace")
            if sampler.returncode != 0 or not svg.exists():
                harness.note(f"py-spy failed ({sampler.returncode}): {output.strip()[-500:]}; "
                             "no flame graphs (is ptrace refused here?)")
                return
            harness.note(f"wrote {svg.relative_to(harness.ROOT)}")


def main(argv: list[str]) -> int:
    harness.stop_cleanly_on_signals()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    unknown = set(SCENARIOS) - set(api.SCENARIOS)
    if unknown:
        raise SystemExit(f"profile: no such scenario: {', '.join(sorted(unknown))}")
    if argv == ["--texts"]:  # only the texts again, from the last run's thread profiles
        write_texts(OUTPUT / "raw")
        return 0
    count = api.WARMUP + REQUESTS
    with api.durable_database_server(), harness.bench_database("durvis_bench_profile") as url:
        world, plans = api.setup(url, 2 * count)
        first = {name: calls[:count] for name, calls in plans.items()}
        second = {name: calls[count:] for name, calls in plans.items()}
        _profiled(url, world.full_token, first)
        _sampled(url, world.full_token, second)
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
