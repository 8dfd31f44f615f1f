"""An SMS costs one segment in both languages (issue 12): Latvian text with a letter outside GSM
03.38 (ā, ē, ī, ū, č, ģ, ķ, ļ, ņ, š, ž) goes as UCS-2, 70 characters to a segment instead of 160.
Every SMS template is rendered in Latvian and English with the longest values it can meet and
must fit in one; the outbox records the segments of each SMS it queues."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxChannel, OutboxMessage
from durvis.messaging import services as messaging
from durvis.register.models import CaseStatus

SMS_TEMPLATES = sorted(p.name.removesuffix("_sms.txt") for p in
                       (Path(messaging.__file__).parent.parent / "templates" / "messaging")
                       .glob("*_sms.txt"))

# The longest values: a case number of the longest service code (a PositiveIntegerField) and the
# longest sequence its shape allows (19 digits with the check digit), the longest institution
# code (20 characters), a thread id past two thousand million, the longest status name, and a
# public address longer than the platform's own.
LONGEST_NUMBER = "2147483647 1234567890123456784"
LONGEST_CONTEXT = {
    "number": LONGEST_NUMBER,
    "status": max((label for _value, label in CaseStatus.choices), key=lambda s: len(str(s))),
    "service": SimpleNamespace(name="Pabalsts " * 20, code=2147483647),
    "institution": SimpleNamespace(name="Valsts iestāde " * 10, code="VARAM-TERITORIJAS-20"),
    "thread_id": 2147483647,
    "mandate_id": 2147483647,
}
LONG_PUBLIC_URL = "https://durvis.pakalpojumi.latvija.gov.lv/"


@pytest.mark.parametrize(("text", "segments"), [
    ("", 0), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2), ("[x]" * 32, 1), ("[x]" * 33, 2), ("{}" * 41, 2),  # extension table: 2 each
    ("ā" * 70, 1), ("ā" * 71, 2), ("ā" * 134, 2), ("ā" * 135, 3),
    ("Durvis: lietai 1011 76544 ir jauns statuss", 1),
    # 72 characters: one GSM segment in English, two UCS-2 segments once there is one ā.
    ("x" * 72, 1), ("ā" + "x" * 71, 2), ("ņ" * 94, 2),
    ("😀" * 35, 1), ("😀" * 36, 2),  # outside the BMP: two UCS-2 units each
])
def test_segments_are_counted_by_gsm_03_38_or_ucs_2(text, segments):
    assert integrations.sms_segments(text) == segments


def test_every_sms_template_is_checked():
    assert set(SMS_TEMPLATES) == {kind.template for kind in messaging.NOTIFICATION_KINDS
                                  } | {"contact_code"}


@pytest.fixture
def reachable(settings, db):
    settings.DURVIS_SMS_GATEWAY_URL = "http://127.0.0.1:9"
    settings.DURVIS_PUBLIC_URL = LONG_PUBLIC_URL
    person = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                    family_name="Bērziņš", phone="+371 29123456")
    actor = Actor(kind="person", person=person)
    for topic in {kind.topic for kind in messaging.NOTIFICATION_KINDS}:
        messaging.set_preference(actor, person, topic, "sms", True)
    return actor, person


@pytest.mark.parametrize("language", ["lv", "en"])
@pytest.mark.parametrize("kind", sorted(k.key for k in messaging.NOTIFICATION_KINDS))
def test_every_notification_sms_is_one_segment_in_both_languages(reachable, kind, language):
    actor, person = reachable
    messaging.set_language(actor, person, language)
    assert messaging.notify(kind, [(person, dict(LONGEST_CONTEXT))]) == 1
    sms = OutboxMessage.objects.get(channel=OutboxChannel.SMS)
    text = sms.payload["body"]
    if kind == "draft_reminder":  # about the client's drafts, not one numbered item
        assert "/eaccount/applications/" in text
    elif kind.startswith("appointment_"):  # the client's appointments, to see, move or cancel
        assert "/eaccount/appointments/" in text
    else:
        assert LONGEST_NUMBER in text or "2147483647/" in text
    assert integrations.sms_segments(text) == 1 == sms.segments, (len(text), text)
    # The link is the item's own, in the person's language.
    prefix = LONG_PUBLIC_URL.rstrip("/") + ("/en/" if language == "en" else "/eaccount/")
    assert prefix in text


@pytest.mark.parametrize("language", ["lv", "en"])
def test_the_confirmation_code_sms_is_one_segment_in_both_languages(language):
    with translation.override(language):
        text = render_to_string("messaging/contact_code_sms.txt",
                                {"code": "999999", "minutes": 9999}).strip()
    assert "999999" in text
    assert integrations.sms_segments(text) == 1, (len(text), text)


def test_the_latvian_sms_is_latvian():
    context = {**LONGEST_CONTEXT, "eaccount_url": "https://durvis.lv"}
    for template in SMS_TEMPLATES:
        texts = []
        for language in ("lv", "en"):
            with translation.override(language):
                texts.append(render_to_string(f"messaging/{template}_sms.txt",
                                              {**context, "code": "1", "minutes": 10}))
        assert texts[0] != texts[1], template


def test_an_email_records_no_segments(smtp, reachable):
    _, person = reachable
    person.email = "janis@example.lv"
    person.save(update_fields=["email"])
    messaging.notify(messaging.STATUS_CHANGED, [(person, dict(LONGEST_CONTEXT))])
    assert OutboxMessage.objects.get(channel=OutboxChannel.EMAIL).segments is None
    assert OutboxMessage.objects.get(channel=OutboxChannel.SMS).segments == 1
