"""`make run` (`manage.py run_platform`): a worker that dies is restarted, with the reason
logged, and the web server goes on serving; Ctrl-C (SIGTERM) stops everything cleanly."""

import os
import signal
import subprocess
import sys
import threading

import pytest

from durvis.core.models import WorkerProcess
from tests import processes


@pytest.mark.django_db(transaction=True)
def test_a_dead_worker_is_restarted_and_the_web_server_keeps_serving(tmp_path):
    port = processes.free_port()
    env = processes.child_env(tmp_path, DURVIS_WORKER_RESTART_DELAY="0.5")
    supervisor = processes.manage(env, "run_platform", "--port", str(port),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(
        line.decode(errors="replace") for line in supervisor.stderr), daemon=True)
    reader.start()
    try:
        first = processes.wait_for(lambda: WorkerProcess.objects.first(), 120,
                                   what="a worker registered")
        processes.wait_for(lambda: processes.answers(port), 120, what="the web server")
        os.kill(first.pid, signal.SIGKILL)
        second = processes.wait_for(
            lambda: WorkerProcess.objects.exclude(pid=first.pid).first(), 120,
            what="another worker registered")
        assert processes.answers(port)
        assert supervisor.poll() is None
        assert any(f"worker (pid {first.pid}) stopped" in line and "killed by SIGKILL" in line
                   for line in output), output
    finally:
        supervisor.send_signal(signal.SIGTERM)
        code = supervisor.wait(timeout=60)
    assert code == 0
    assert not processes.answers(port)
    assert not WorkerProcess.objects.filter(pk=second.pk).exists()  # stopped cleanly


@pytest.mark.django_db(transaction=True)
def test_a_worker_stopped_while_it_starts_stops_cleanly(tmp_path):
    """SIGTERM right after the worker registered (it is still recovering and has no handlers
    yet): it waits until it can stop, exits 0 and leaves no registration behind."""
    worker = processes.manage(processes.child_env(tmp_path), "run_worker",
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        registered = processes.wait_for(lambda: WorkerProcess.objects.first(), 120, step=0.005,
                                        what="the worker registered")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        processes.stop(worker)
    assert not WorkerProcess.objects.filter(pk=registered.pk).exists()


def test_why_a_worker_stopped_is_its_exit_status_and_last_words(capfd):
    from durvis.core.management.commands.run_platform import Child

    crashing = Child("worker", [sys.executable, "-c", "import sys; sys.exit('no database')"],
                     restart=True)
    crashing.start()
    crashing.process.wait(timeout=60)
    assert crashing.why() == "exit status 1; its last words: no database"
    assert "no database" in capfd.readouterr().err  # passed on to the console
