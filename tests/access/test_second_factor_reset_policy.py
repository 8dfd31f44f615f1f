"""Who resets a staff member's second factor (A12): the administrator of the member's own
institution or a platform administrator, never the member themself."""

import pytest

from durvis.access.policy import decide
from durvis.core.actor import ANONYMOUS, Actor
from durvis.identity import services as identity
from durvis.identity.rules import IdentityAction

RESET = IdentityAction.RESET_STAFF_SECOND_FACTOR


@pytest.fixture
def colleagues(staff, institutions):
    """The fixture's staff and a back-office specialist of VSAA whose phone went missing."""
    lost = identity.record_staff(username="specialist.vsaa", password="pw-specialist-long-enough",
                                 institution=institutions["VSAA"], roles=["back_office"])
    return {**staff, "lost_phone": lost}


def _actor(colleagues, name):
    if name == "anonymous":
        return ANONYMOUS
    if name == "person":
        person = identity.record_person(personal_code="161175-19997", given_name="Anna",
                                        family_name="Bērziņa")
        return Actor(kind="person", person=person)
    return Actor(kind="staff", staff=colleagues[name])


@pytest.mark.parametrize(("actor", "target", "expected"), [
    ("vsaa_admin", "lost_phone", True),  # own institution's administrator
    ("vid_admin", "lost_phone", False),  # another institution's administrator
    ("platform", "lost_phone", True),
    ("platform", "vid_admin", True),
    ("vsaa_admin", "vsaa_admin", False),  # oneself
    ("platform", "platform", False),  # oneself, even a platform administrator
    ("agent", "lost_phone", False),
    ("agent", "platform", False),  # the agent's own institution (VDAA), not an administrator
    ("anonymous", "lost_phone", False),
    ("person", "lost_phone", False),
])
def test_who_resets_a_second_factor(colleagues, actor, target, expected):
    assert decide(_actor(colleagues, actor), RESET, colleagues[target]).allowed is expected


@pytest.mark.parametrize(("actor", "expected"), [
    ("vsaa_admin", True), ("platform", True), ("agent", False), ("lost_phone", False),
    ("anonymous", False), ("person", False),
])
def test_who_may_reset_anybodys_at_all(colleagues, actor, expected):
    """Without a member: the team page's question."""
    assert decide(_actor(colleagues, actor), RESET).allowed is expected


def test_reset_of_something_else_is_denied(colleagues, institutions):
    admin = _actor(colleagues, "vsaa_admin")
    assert not decide(admin, RESET, institutions["VSAA"])
    assert not decide(admin, RESET, colleagues["lost_phone"].user)
