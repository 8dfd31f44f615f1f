"""Appointments' fixtures: the service points of `tests/servicepoints`, a calendar of the
childbirth benefit at the Valmiera centre (VDAA's: delegated every stage of VSAA's services),
agents, and a real CalDAV server (Radicale, from PyPI) on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from durvis.calendars import queries
from durvis.calendars.models import Calendar
from durvis.core.actor import Actor
from durvis.identity import services as identity
from tests.servicepoints.conftest import admins, make_points  # noqa: F401


@pytest.fixture
def points(catalogue, institutions):
    return make_points(institutions)


@pytest.fixture
def calendar(points, catalogue):
    return Calendar.objects.create(point=points["Valmieras VPVKAC"], service=catalogue["childbirth"],
                                   slot_minutes=30, desks=1, lead_minutes=0, horizon_days=30)


def first_slot(calendar_, index=0):
    """The `index`-th free slot from the first bookable day on (the first day alone may have
    fewer left: today's, late in the afternoon)."""
    for day in queries.bookable_days(calendar_):
        slots = queries.free_slots(calendar_, day)
        if index < len(slots):
            return slots[index].starts_at
        index -= len(slots)
    raise AssertionError("the calendar has fewer free slots than asked for")


@pytest.fixture
def agents(staff, institutions):
    riga = identity.record_staff(username="agent.riga", password="pw-agent.riga-long-enough",
                                 institution=institutions["RIGA"], roles=["agent"])
    return {"centre": Actor(kind="staff", staff=staff["agent"]),
            "riga": Actor(kind="staff", staff=riga)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def radicale(tmp_path):
    """A Radicale CalDAV server on loopback (any user name and password accepted, each user
    owning their collections); yields its base URL. Stopped after the test."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(tmp_path / "radicale"), "--auth-type", "none",
         "--rights-type", "owner_only", "--logging-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError as error:
                if getattr(error, "code", None):
                    break  # it answers (an HTTP error is an answer)
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def make_caldav_calendar(base_url: str, user: str = "vdaa", name: str = "appointments") -> str:
    """Create a calendar collection for `user` on the server; returns its URL."""
    from caldav.davclient import DAVClient

    with DAVClient(url=base_url, username=user, password="secret") as client:
        client.principal().make_calendar(name=name, cal_id=name)
    return f"{base_url}{user}/{name}/"
