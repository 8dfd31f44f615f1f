"""Messaging reads (C1): a client's notification choices and language, their e-address inbox,
the messages about a case, and the clients' answers an institution's system synchronises.
Reads of a client's messages are audited here, never in views."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet

from durvis.access.policy import decide
from durvis.audit.services import Entry, record, record_many
from durvis.core.actor import Actor
from durvis.identity.models import Person
from durvis.identity.queries import Client, audit_subject, owner_filter
from durvis.identity.rules import IdentityAction
from durvis.messaging.models import (
    ClientLanguage,
    Direction,
    InboxMessage,
    NotificationChannel,
    NotificationPreference,
    Thread,
    Topic,
)
from durvis.messaging.rules import MessagingAction
from durvis.register.models import ServiceCase

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


def language_of(person: Person) -> str:
    """The language the person reads notifications in (Latvian unless they chose English)."""
    chosen = ClientLanguage.objects.filter(person=person).values_list("language", flat=True)
    return chosen.first() or "lv"


def settings_version(person: Person) -> int:
    """The version of the person's notification settings (their preferences and language
    together; 0 before their first change), which the settings form carries
    (`durvis.core.concurrency`)."""
    version = ClientLanguage.objects.filter(person=person).values_list("version", flat=True)
    return version.first() or 0


def inbox(actor: Actor, client: Client, archived: bool = False) -> QuerySet[Thread]:
    """The client's conversations, the latest first, each with its count of unread messages;
    the read is audited. Raises PermissionDenied for an actor who does not act for the
    client."""
    if not decide(actor, IdentityAction.CLIENT_READ, client=client):
        raise PermissionDenied("may not read this client's messages")
    record(actor, "messaging.inbox.read", client, subject=audit_subject(client),
           details={"archived": archived})
    unread = Count("messages", filter=Q(messages__direction=Direction.FROM_INSTITUTION,
                                        messages__read_at__isnull=True))
    return (Thread.objects.filter(owner_filter(client), archived=archived)
            .select_related("institution", "case").annotate(unread=unread)
            .order_by("-last_message_at", "-pk"))


def unread_count(client: Client) -> int:
    """Messages from institutions the client has not opened yet (the overview shows it)."""
    return InboxMessage.objects.filter(owner_filter(client), direction=Direction.FROM_INSTITUTION,
                                       read_at__isnull=True).count()


def messages_of_case(actor: Actor, case: ServiceCase, client: Client) -> list[InboxMessage]:
    """The messages about one case of the client, newest first (the case page shows them; the
    read of the case is audited by the register). Raises PermissionDenied when the actor does
    not act for `client` or the case is not the client's (`IdentityAction.CLIENT_READ`)."""
    if not decide(actor, IdentityAction.CLIENT_READ, case, client=client):
        raise PermissionDenied("not a case of this client")
    return list(InboxMessage.objects.filter(owner_filter(client), thread__case=case)
                .order_by("-sent_at", "-pk"))


def replies(actor: Actor, since: int, limit: int = 100) -> tuple[list[InboxMessage], int]:
    """Clients' messages to the actor's institution after the message id `since`, oldest
    first, and the id to ask after next (an institution's system synchronises with it). A
    system limited to some services does not see messages about the others' cases; every read
    is audited. `since` is a message id (0: from the start); at most `limit` messages are
    read. Raises PermissionDenied unless the actor is an institution's system with the
    `messages:read` scope or its client-service staff (`MessagingAction.READ_CLIENT_MESSAGES`)."""
    if not decide(actor, MessagingAction.READ_CLIENT_MESSAGES) or actor.institution_id is None:
        raise PermissionDenied("the client lacks the messages:read scope")
    found = list(InboxMessage.objects.filter(institution_id=actor.institution_id,
                                              direction=Direction.FROM_CLIENT, pk__gt=since)
                 .select_related("thread__case", "client_person", "client_company")
                 .prefetch_related("attachments").order_by("pk")[:limit])
    visible = [m for m in found if m.thread.case is None
               or decide(actor, MessagingAction.READ_CLIENT_MESSAGES, m.thread.case)]
    record_many(actor, [Entry.about("messaging.reply.read", m, subject=m.client_person)
                        for m in visible])
    return visible, (found[-1].pk if found else since)
