import pytest

from durvis.core.actor import Actor
from durvis.identity import services as identity


@pytest.fixture
def builder(institutions):
    """A form builder of VSAA (the holder of the catalogue fixture's service 1011)."""
    member = identity.record_staff(username="forms.vsaa", password="pw-forms.vsaa-long-enough",
                                   institution=institutions["VSAA"], roles=["form_builder"])
    return Actor(kind="staff", staff=member)


@pytest.fixture
def other_builder(institutions):
    member = identity.record_staff(username="forms.vid", password="pw-forms.vid-long-enough",
                                   institution=institutions["VID"], roles=["form_builder"])
    return Actor(kind="staff", staff=member)
