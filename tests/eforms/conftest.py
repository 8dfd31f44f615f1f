import pytest

from durvis.core.actor import Actor
from durvis.identity import services as identity
from tests.eforms.submitted import (  # noqa: F401 (the delivery tests' fixtures)
    delivery_client,
    delivery_files,
    submit_application,
)
from tests.integrations.test_outbox import receiver  # noqa: F401


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
