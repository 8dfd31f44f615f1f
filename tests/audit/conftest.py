import pytest

from durvis.core.actor import Actor


@pytest.fixture
def actor(staff):
    """A staff member of VSAA, whose events go to one chain."""
    return Actor(kind="staff", staff=staff["vsaa_admin"])
