"""Both sides of a mandate are told by e-mail (C1), with both names (a fresh tester found the
grantor and representative lines empty)."""

from __future__ import annotations

import pytest

from durvis.core.actor import Actor
from durvis.core.events import dispatch_due
from durvis.identity import services as identity
from durvis.integrations.models import OutboxChannel, OutboxMessage
from durvis.mandates import services

pytestmark = pytest.mark.django_db


def test_the_mandate_e_mail_names_both_sides(family):
    parent = family["parent"]
    helper = identity.record_person(personal_code="05118012342", given_name="Ilze",
                                    family_name="Palīdze", email="ilze@example.lv")
    services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                   services.Terms())
    dispatch_due()
    mails = list(OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL))
    assert len(mails) == 2
    for mail in mails:
        body = mail.payload["body"]
        assert "Pilnvaras devējs: Jānis Bērziņš\nPilnvarotais: Ilze Palīdze" in body
        assert "Pamats: Piešķirta e-kontā" in body and "jauniem ziņojumiem" not in body


def test_a_mandate_that_starts_later_says_from_when(family):
    import datetime

    from django.utils import timezone

    parent = family["parent"]
    helper = identity.record_person(personal_code="05118012342", given_name="Ilze",
                                    family_name="Palīdze", email="ilze@example.lv")
    start = timezone.localdate() + datetime.timedelta(days=7)
    services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                   services.Terms(valid_from=start))
    dispatch_due()
    body = OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL).first().payload["body"]
    assert f"Tā ir spēkā no {start:%d.%m.%Y}." in body
