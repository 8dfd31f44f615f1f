"""The second factor of staff sign-in (A12): TOTP devices behind the identity services."""

import pytest
from django.core.exceptions import ValidationError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.identity.services import CodeCheck


@pytest.fixture
def member(staff):
    return staff["vsaa_admin"]


@pytest.fixture
def actor(member):
    return Actor(kind="staff", staff=member, source_address="127.0.0.1")


def test_record_totp_device_is_idempotent_and_replaces_another_key(member):
    key = random_hex(20)
    device = identity.record_totp_device(member, key)
    assert device.confirmed and device.key == key
    assert identity.record_totp_device(member, key.upper()).pk == device.pk
    other = random_hex(20)
    replaced = identity.record_totp_device(member, other)
    assert TOTPDevice.objects.filter(user=member.user).get().key == other
    assert identity.totp_device(member.user) == replaced


@pytest.mark.parametrize("key", ["not hex at all", "abcd", random_hex(10)])
def test_record_totp_device_refuses_a_bad_key(member, key):
    with pytest.raises(ValidationError):
        identity.record_totp_device(member, key)
    assert not TOTPDevice.objects.exists()


def test_a_code_is_accepted_once(member, actor):
    device = identity.record_totp_device(member, random_hex(20))
    code = identity.current_totp_code(device)
    assert identity.check_totp_code(actor, device, code) is CodeCheck.ACCEPTED
    assert identity.check_totp_code(actor, device, code) is CodeCheck.WRONG
    event = AuditEvent.objects.get(action="identity.staff.second_factor_failed")
    assert event.details == {"reason": "wrong", "enrolment": False}
    assert code not in str(event.details)


def test_the_code_after_a_used_one_is_the_next_steps(member, actor):
    device = identity.record_totp_device(member, random_hex(20))
    first = identity.current_totp_code(device)
    identity.check_totp_code(actor, device, first)
    following = identity.current_totp_code(device)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.drift = device.last_t + 1 - ((int(totp.time) - device.t0) // device.step)
    assert following == f"{totp.token():06d}"
    assert identity.check_totp_code(actor, device, following) is CodeCheck.ACCEPTED


def test_enrolment_keeps_its_secret_until_confirmed(member, actor):
    device = identity.start_totp_enrolment(member.user)
    assert not device.confirmed and identity.totp_device(member.user) is None
    assert identity.start_totp_enrolment(member.user).pk == device.pk
    assert identity.check_totp_code(actor, device, identity.current_totp_code(device)) is (
        CodeCheck.ACCEPTED)
    assert identity.totp_device(member.user).pk == device.pk
    assert AuditEvent.objects.filter(action="identity.staff.second_factor_enrolled").count() == 1


def test_a_wrong_code_does_not_slow_the_device_down(member, actor, wrong_totp_code):
    """A back-off per device would let whoever has the password lock the real user out of their
    codes (issue 11, ASVS 2.2.1): wrong codes are limited per user name and address instead."""
    device = identity.record_totp_device(member, random_hex(20))
    assert identity.check_totp_code(actor, device, wrong_totp_code(device)) is CodeCheck.WRONG
    right = identity.current_totp_code(device)
    assert identity.check_totp_code(actor, device, right) is CodeCheck.ACCEPTED
