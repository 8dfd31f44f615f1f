"""Notifications (C1): on a status change, a result, a message, an invoice or a reminder, the
client is told through the channels they chose, by the outbox (so nothing is sent for a change
that rolls back). A notification says only what is needed: the case number and what happened,
never a name or a personal code; the details are in the e-account behind sign-in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from durvis.access.policy import Action, Actor, decide
from durvis.audit.services import record
from durvis.identity.models import Person
from durvis.integrations import services as integrations
from durvis.integrations import sms
from durvis.messaging.models import ClientLanguage, NotificationChannel, NotificationPreference, Topic

# Without a choice of their own, clients get e-mail for everything but offers, and no SMS.
DEFAULTS: dict[tuple[str, str], bool] = {
    (topic, channel): channel == NotificationChannel.EMAIL and topic != Topic.PROACTIVE_OFFERS
    for topic in Topic.values for channel in NotificationChannel.values
}


def preferences(person: Person) -> dict[tuple[str, str], bool]:
    """The client's choice for every topic and channel (their own or the default)."""
    chosen = dict(DEFAULTS)
    for row in NotificationPreference.objects.filter(person=person):
        chosen[(row.topic, row.channel)] = row.enabled
    return chosen


@transaction.atomic
def set_preference(actor: Actor, person: Person, topic: str, channel: str, enabled: bool) -> None:
    """The client (or whoever may act for them) turns a topic on or off for a channel."""
    if not decide(actor, Action.ACT_FOR, client=person):
        raise PermissionDenied("may not change this client's notifications")
    if topic not in Topic.values or channel not in NotificationChannel.values:
        raise ValueError("unknown topic or channel")
    NotificationPreference.objects.update_or_create(
        person=person, topic=topic, channel=channel, defaults={"enabled": enabled})
    record(actor, "messaging.preference.set", person, subject=person,
           details={"topic": topic, "channel": channel, "enabled": enabled})


def set_language(person: Person, language: str) -> None:
    ClientLanguage.objects.update_or_create(person=person, defaults={"language": language})


def notify(topic: str, template: str, items: list[tuple[Person, dict[str, Any]]]) -> int:
    """Queue the notification `template` (subject and body, rendered in each client's language)
    for every (person, context) item, on each channel the person wants the topic on and has a
    contact for. Returns how many messages were queued."""
    people = {person.pk for person, _context in items}
    if not people:
        return 0
    chosen: dict[int, dict[tuple[str, str], bool]] = {pk: dict(DEFAULTS) for pk in people}
    for row in NotificationPreference.objects.filter(person_id__in=people, topic=topic):
        chosen[row.person_id][(row.topic, row.channel)] = row.enabled
    languages = dict(ClientLanguage.objects.filter(person_id__in=people)
                     .values_list("person_id", "language"))
    queued = 0
    for person, context in items:
        for channel, recipient in _contacts(person):
            if not chosen[person.pk][(topic, channel)]:
                continue
            subject, body = _render(template, channel, languages.get(person.pk, "lv"), context)
            integrations.enqueue_notification(channel, recipient, topic, subject, body)
            queued += 1
    return queued


def _contacts(person: Person) -> list[tuple[str, str]]:
    contacts = []
    if person.email:
        contacts.append((NotificationChannel.EMAIL.value, person.email))
    if person.phone and sms.is_configured():
        contacts.append((NotificationChannel.SMS.value, person.phone.replace(" ", "")))
    return contacts


def _render(template: str, channel: str, language: str, context: dict[str, Any]
            ) -> tuple[str, str]:
    context = {**context, "eaccount_url": settings.DURVIS_PUBLIC_URL}
    with translation.override(language):
        subject = render_to_string(f"messaging/{template}_subject.txt", context).strip()
        body = render_to_string(f"messaging/{template}_{channel}.txt", context).strip()
    return subject, body
