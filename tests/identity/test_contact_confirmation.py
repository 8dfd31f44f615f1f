"""Contact data confirmed by a one-time code (A2, C1): the e-mail or phone changes only when the
person types back the code sent to the new address; the code is stored hashed, expires, allows
five attempts and works once; bad addresses are refused; everything is audited."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.identity.models import ContactConfirmation
from durvis.integrations.models import OutboxMessage
from durvis.messaging import services as messaging

pytestmark = pytest.mark.django_db
Check = identity.ContactCodeCheck


@pytest.fixture
def person():
    return identity.record_person(personal_code="14038612043", given_name="Jānis",
                                  family_name="Bērziņš", email="janis@example.lv")


@pytest.fixture
def me(person):
    return Actor(kind="person", person=person)


@pytest.fixture
def sms_gateway(settings):
    """A configured gateway (nothing is delivered in these tests: the outbox only queues)."""
    settings.DURVIS_SMS_GATEWAY_URL = "http://127.0.0.1:9"


def sent_code(recipient):
    """The code in the latest message queued for `recipient`."""
    message = OutboxMessage.objects.filter(recipient=recipient).latest("pk")
    return re.search(r"\b(\d{6})\b", message.payload["body"]).group(1)


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_code_goes_to_the_new_address_and_only_its_hash_is_stored(person, me):
    confirmation = messaging.request_contact_change(me, person, "email", "Jauna@Example.LV")
    message = OutboxMessage.objects.get(recipient="Jauna@example.lv")
    assert message.channel == "email" and message.event == messaging.CONTACT_CODE_EVENT
    code = sent_code("Jauna@example.lv")
    assert code not in confirmation.code_hash and len(confirmation.code_hash) == 64
    assert "Jānis" not in message.payload["body"] and "140386" not in message.payload["body"]
    person.refresh_from_db()
    assert person.email == "janis@example.lv"  # nothing changes before the code


def test_the_right_code_changes_the_contact_once(person, me):
    messaging.request_contact_change(me, person, "email", "jauna@example.lv")
    code = sent_code("jauna@example.lv")
    result = identity.confirm_contact_change(me, person, "email", code)
    assert result.outcome is Check.CONFIRMED
    person.refresh_from_db()
    assert person.email == "jauna@example.lv"
    assert identity.contact_states(me, person)["email"].confirmed
    again = identity.confirm_contact_change(me, person, "email", code)
    assert again.outcome is Check.NOTHING_PENDING


def test_five_wrong_codes_end_the_change(person, me):
    messaging.request_contact_change(me, person, "email", "jauna@example.lv")
    code = sent_code("jauna@example.lv")
    lefts = [identity.confirm_contact_change(me, person, "email", wrong(code)).attempts_left
             for _ in range(4)]
    assert lefts == [4, 3, 2, 1]
    last = identity.confirm_contact_change(me, person, "email", wrong(code))
    assert last.outcome is Check.EXHAUSTED
    # Even the right code no longer works: a new one must be asked for.
    assert identity.confirm_contact_change(me, person, "email", code).outcome is (
        Check.NOTHING_PENDING)
    person.refresh_from_db()
    assert person.email == "janis@example.lv"


def test_an_expired_code_is_refused(person, me):
    confirmation = messaging.request_contact_change(me, person, "email", "jauna@example.lv")
    code = sent_code("jauna@example.lv")
    ContactConfirmation.objects.filter(pk=confirmation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert identity.confirm_contact_change(me, person, "email", code).outcome is Check.EXPIRED
    person.refresh_from_db()
    assert person.email == "janis@example.lv"


def test_the_code_lives_ten_minutes(person, me):
    confirmation = messaging.request_contact_change(me, person, "email", "jauna@example.lv")
    lifetime = confirmation.expires_at - confirmation.created_at
    assert datetime.timedelta(minutes=9, seconds=59) < lifetime <= datetime.timedelta(minutes=10)


def test_a_new_request_replaces_the_old_code(person, me):
    messaging.request_contact_change(me, person, "email", "pirma@example.lv")
    first = sent_code("pirma@example.lv")
    messaging.request_contact_change(me, person, "email", "otra@example.lv")
    assert identity.confirm_contact_change(me, person, "email", first).outcome is Check.WRONG
    assert identity.confirm_contact_change(
        me, person, "email", sent_code("otra@example.lv")).outcome is Check.CONFIRMED
    person.refresh_from_db()
    assert person.email == "otra@example.lv"


@pytest.mark.parametrize("value", ["nav-adrese", "a@b", "janis@example.lv", ""])
def test_invalid_or_unchanged_e_mail_is_refused(person, me, value):
    with pytest.raises(ValidationError):
        messaging.request_contact_change(me, person, "email", value)
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(("typed", "stored"), [
    ("29123456", "+37129123456"), ("+371 2912 3456", "+37129123456"),
    ("00371-29123456", "+37129123456"), ("+370 612 34567", "+37061234567"),
])
def test_phone_numbers_are_normalised(person, me, sms_gateway, typed, stored):
    assert messaging.request_contact_change(me, person, "phone", typed).value == stored


@pytest.mark.parametrize("typed", ["67123456", "+371 2912345", "1234", "+0 123456789",
                                   "29l23456", "+1234567890123456", "2９１２３４５６"])
def test_invalid_phone_numbers_are_refused(person, me, sms_gateway, typed):
    with pytest.raises(ValidationError):
        messaging.request_contact_change(me, person, "phone", typed)
    assert not OutboxMessage.objects.exists()


def test_phone_code_goes_by_sms(person, me, sms_gateway):
    messaging.request_contact_change(me, person, "phone", "29123456")
    message = OutboxMessage.objects.get(channel="sms")
    assert message.recipient == "+37129123456"
    code = sent_code("+37129123456")
    assert identity.confirm_contact_change(me, person, "phone", code).outcome is Check.CONFIRMED
    person.refresh_from_db()
    assert person.phone == "+37129123456"


def test_without_an_sms_gateway_a_phone_cannot_be_confirmed(person, me):
    with pytest.raises(ValidationError) as refused:
        messaging.request_contact_change(me, person, "phone", "29123456")
    assert refused.value.code == "sms_unavailable"
    assert not OutboxMessage.objects.exists()


def test_the_code_comes_in_the_persons_language(person, me):
    messaging.set_language(Actor(kind="person", person=person), person, "en")
    messaging.request_contact_change(me, person, "email", "jauna@example.lv")
    message = OutboxMessage.objects.get()
    assert message.payload["subject"].startswith("Your Durvis confirmation code")


def test_only_the_person_themself_changes_their_contacts(person, me):
    child = identity.record_person(personal_code="22051520311", given_name="Emīlija",
                                   family_name="Bērziņa")
    identity.record_parental_relation(person, child)
    with pytest.raises(PermissionDenied):  # a parent may act for the child, but not here
        messaging.request_contact_change(me, child, "email", "berns@example.lv")
    with pytest.raises(PermissionDenied):
        identity.remove_contact(Actor(), person, "email")


def test_removing_needs_no_code(person, me):
    assert identity.remove_contact(me, person, "email")
    person.refresh_from_db()
    assert person.email == ""
    assert not identity.remove_contact(me, person, "email")  # a repeated post changes nothing


def test_too_many_codes_in_an_hour_are_refused(person, me):
    for n in range(identity.CONTACT_CODES_PER_HOUR):
        messaging.request_contact_change(me, person, "email", f"n{n}@example.lv")
    with pytest.raises(ValidationError) as refused:
        messaging.request_contact_change(me, person, "email", "vel@example.lv")
    assert refused.value.code == "throttled"


def test_every_step_is_audited_without_the_code_or_the_address(person, me):
    messaging.request_contact_change(me, person, "email", "jauna@example.lv")
    code = sent_code("jauna@example.lv")
    identity.confirm_contact_change(me, person, "email", wrong(code))
    identity.confirm_contact_change(me, person, "email", code)
    identity.remove_contact(me, person, "email")
    events = list(AuditEvent.objects.filter(subject_person_id=person.pk).order_by("pk"))
    assert [e.action for e in events] == [
        "identity.contact.change_requested", "identity.contact.confirm_failed",
        "identity.contact.changed", "identity.contact.removed"]
    assert all(e.actor_id == f"person:{person.pk}" for e in events)
    text = " ".join(str(e.details) for e in events)
    assert code not in text and "jauna@" not in text


def test_a_sent_code_is_removed_from_the_outbox(person, me, mailoutbox):
    """Issue 11 (C2): the code reaches the person, and no copy stays readable in the database."""
    from durvis.integrations import services as integrations

    messaging.request_contact_change(me, person, "email", "jauna@example.lv")
    code = sent_code("jauna@example.lv")
    assert integrations.deliver_due() == 1
    assert code in mailoutbox[0].body and code in mailoutbox[0].subject
    message = OutboxMessage.objects.get(recipient="jauna@example.lv")
    assert message.status == "delivered"
    assert code not in str(message.payload) and message.payload["purged"]


def test_a_code_given_up_on_is_removed_from_the_outbox(person, me, sms_gateway):
    """A code whose SMS failed for good is removed too; the attempt's error stays."""
    from durvis.integrations import services as integrations

    messaging.request_contact_change(me, person, "phone", "+37129123456")
    code = sent_code("+37129123456")
    OutboxMessage.objects.filter(recipient="+37129123456").update(
        attempts=integrations.MAX_ATTEMPTS - 1)
    integrations.deliver_due()
    message = OutboxMessage.objects.get(recipient="+37129123456")
    assert message.status == "dead" and message.last_error
    assert code not in str(message.payload)


def test_other_notifications_keep_their_text_after_delivery(mailoutbox):
    from durvis.integrations import services as integrations

    integrations.enqueue_notification("email", "a@example.lv", "case.status_changed",
                                      "Case 123", "Your case moved on.")
    integrations.deliver_due()
    message = OutboxMessage.objects.get(recipient="a@example.lv")
    assert message.status == "delivered" and message.payload["body"] == "Your case moved on."
