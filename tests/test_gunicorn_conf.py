"""The web server's settings (issue 21): keep-alive gthread workers, sized by the CPUs, whose
time-out outlasts the longest wait a request may make (SQLite's lock), each settable from the
environment."""

import runpy

import pytest
from django.conf import settings

CONF = settings.BASE_DIR / "gunicorn.conf.py"


def test_keep_alive_workers_that_outlast_the_database_wait(monkeypatch):
    for name in ("DURVIS_WEB_WORKERS", "DURVIS_WEB_THREADS", "DURVIS_WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(CONF))
    assert conf["worker_class"] == "gthread" and conf["threads"] > 1
    assert conf["workers"] >= 3 and conf["keepalive"] > 60
    assert conf["timeout"] > settings.DURVIS_SQLITE_TIMEOUT
    assert conf["wsgi_app"] == "durvis.wsgi:application"


def test_each_from_the_environment(monkeypatch):
    monkeypatch.setenv("DURVIS_WEB_WORKERS", "3")
    monkeypatch.setenv("DURVIS_WEB_THREADS", "8")
    monkeypatch.setenv("DURVIS_SQLITE_TIMEOUT", "200")
    monkeypatch.setenv("PORT", "8123")
    conf = runpy.run_path(str(CONF))
    assert (conf["workers"], conf["threads"], conf["timeout"]) == (3, 8, 230)
    assert conf["bind"] == ["0.0.0.0:8123"]


def test_a_setting_that_is_no_number_is_named(monkeypatch):
    # The fresh tester's finding: DURVIS_WEB_WORKERS=abc gave a bare ValueError traceback.
    for value in ("abc", "0", "-2"):
        monkeypatch.setenv("DURVIS_WEB_WORKERS", value)
        with pytest.raises(SystemExit, match=f"DURVIS_WEB_WORKERS: '{value}' is not a positive"):
            runpy.run_path(str(CONF))
