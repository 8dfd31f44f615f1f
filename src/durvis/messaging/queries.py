"""Messaging reads (C1): a client's notification choices and language, their e-address inbox,
the messages about a case, and the clients' answers an institution's system synchronises.
Reads of a client's messages are audited here, never in views."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from durvis.access.policy import decide
from durvis.audit.services import Entry, record, record_many
from durvis.core.actor import Actor
from durvis.core.changes import ChangeCursor, changed_after, horizon, position_of
from durvis.documents.models import Document
from durvis.identity.models import Person
from durvis.identity.queries import Client, audit_subject, audit_subject_of, owner_filter
from durvis.identity.rules import IdentityAction
from durvis.messaging.models import (
    ClientLanguage,
    Direction,
    InboxMessage,
    MessageRead,
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


def _read_by(reader: Person) -> Q:
    """The reads that count for `reader`: their own, and a read recorded before readers were
    (`MessageRead.reader` empty: a company's message read by a representative not noted)."""
    return Q(reader__isnull=True) | Q(reader=reader)


def _unread(reader: Person, messages: QuerySet[InboxMessage]) -> QuerySet[InboxMessage]:
    """The messages from institutions among `messages` that `reader` has not opened."""
    reads = MessageRead.objects.filter(_read_by(reader), message=OuterRef("pk"))
    return messages.filter(direction=Direction.FROM_INSTITUTION).filter(~Exists(reads))


def inbox(actor: Actor, client: Client, archived: bool = False) -> QuerySet[Thread]:
    """The client's conversations, the latest first, each with `unread`: how many of its
    messages from the institution the signed-in person (the reader, `actor.person`) has not
    opened (A2, C1: read state is each reader's). The count is a subquery per row, so a page of
    25 counts 25 conversations, whatever the inbox's size. The read is audited. Raises
    PermissionDenied for an actor who does not act for the client
    (`IdentityAction.CLIENT_READ`)."""
    if not decide(actor, IdentityAction.CLIENT_READ, client=client) or actor.person is None:
        raise PermissionDenied("may not read this client's messages")
    record(actor, "messaging.inbox.read", client, subject=audit_subject(client),
           details={"archived": archived})
    unread = (_unread(actor.person, InboxMessage.objects.filter(thread=OuterRef("pk")))
              .order_by().values("thread").annotate(n=Count("pk")).values("n"))
    return (Thread.objects.filter(owner_filter(client), archived=archived)
            .select_related("institution", "case")
            .annotate(unread=Coalesce(Subquery(unread), 0))
            .order_by("-last_message_at", "-pk"))


def unread_count(actor: Actor, client: Client) -> int:
    """How many of the client's messages from institutions the signed-in person (`actor.person`,
    the reader) has not opened yet (A2, C1): each representative of a company, each parent
    acting for a child and the client themself have their own count. Shown on every e-account
    page: one walk of the client's `message_*_inbound` index, probing the reader's reads by
    their (message, reader) key. 0 for an actor who is not a person. Raises nothing; the
    caller shows it in the role it checked (`web.roles.current_role`)."""
    if actor.person is None:
        return 0
    return _unread(actor.person, InboxMessage.objects.filter(owner_filter(client))).count()


def messages_of_case(actor: Actor, case: ServiceCase, client: Client) -> list[InboxMessage]:
    """The messages about one case of the client, newest first (the case page shows them; the
    read of the case is audited by the register). Raises PermissionDenied when the actor does
    not act for `client` or the case is not the client's (`IdentityAction.CLIENT_READ`)."""
    if not decide(actor, IdentityAction.CLIENT_READ, case, client=client):
        raise PermissionDenied("not a case of this client")
    return list(InboxMessage.objects.filter(owner_filter(client), thread__case=case)
                .select_related("sender_person").order_by("-sent_at", "-pk"))


def replies(actor: Actor, since: ChangeCursor, limit: int = 100
            ) -> tuple[list[InboxMessage], ChangeCursor]:
    """Clients' messages to the actor's institution written after the cursor `since`, in the
    order they committed (`durvis.core.changes`: a message whose transaction commits late
    behind a higher id is listed later, never skipped), each with who wrote it for the client
    (`acting_person`), and the cursor to ask with next (an institution's system synchronises
    with it). A system limited to some services does not see messages about the others' cases;
    every read is audited. `ChangeCursor()` is the beginning, and a message id handed out as a
    cursor before (a bare number) still means where it meant; at most `limit` messages are
    read. Raises PermissionDenied unless the actor is an institution's system with the
    `messages:read` scope or its client-service staff (`MessagingAction.READ_CLIENT_MESSAGES`)."""
    if not decide(actor, MessagingAction.READ_CLIENT_MESSAGES) or actor.institution_id is None:
        raise PermissionDenied("the client lacks the messages:read scope")
    seen = horizon()  # before the audit rows below
    found = list(changed_after(InboxMessage.objects.filter(
        institution_id=actor.institution_id, direction=Direction.FROM_CLIENT), since, seen)
                 .select_related("thread__case", "client_person", "client_company",
                                 "sender_person")
                 .prefetch_related(Prefetch("attachments", queryset=_ATTACHMENTS))[:limit])
    visible = [m for m in found if m.thread.case is None
               or decide(actor, MessagingAction.READ_CLIENT_MESSAGES, m.thread.case)]
    record_many(actor, [Entry.about("messaging.reply.read", m, subject=audit_subject_of(m))
                        for m in visible])
    return visible, (position_of(found[-1]) if found else since)


# An attachment with its signature and signer (the API says who signed, one query for all).
_ATTACHMENTS = Document.objects.select_related("signature", "signature__signed_by").order_by("pk")


def _with_readers(messages: QuerySet[InboxMessage]) -> QuerySet[InboxMessage]:
    """Messages with what an institution is shown of each: the client, the acting person of a
    client's message, its attachments, and who read it when (two queries for any number)."""
    return (messages.select_related("thread__case", "client_person", "client_company",
                                    "sender_person", "sender_staff")
            .prefetch_related(
                Prefetch("reads", queryset=MessageRead.objects.select_related("reader")
                         .order_by("read_at", "pk")),
                Prefetch("attachments", queryset=_ATTACHMENTS.select_related("uploaded_by"))))


def institution_message(actor: Actor, message_id: int) -> InboxMessage:
    """One message of a conversation of the actor's institution with a client (B9, A2, C1):
    its own (with `reads`: who opened it when, and as whom, `MessageRead.reader_as`) or the
    client's (with `acting_person`: who wrote it for the client). The read is audited. Raises
    PermissionDenied unless the actor is an institution's system with the `messages:read`
    scope or its client-service staff (`MessagingAction.READ_CLIENT_MESSAGES`); and
    InboxMessage.DoesNotExist for an unknown message and, alike, another institution's or one
    about a case outside the actor's scope (a system limited to some services)."""
    if not decide(actor, MessagingAction.READ_CLIENT_MESSAGES) or actor.institution_id is None:
        raise PermissionDenied("may not read clients' messages")
    message = _with_readers(InboxMessage.objects.filter(
        pk=message_id, institution_id=actor.institution_id)).first()
    if message is None or (message.thread.case is not None and not decide(
            actor, MessagingAction.READ_CLIENT_MESSAGES, message.thread.case)):
        raise InboxMessage.DoesNotExist
    record(actor, "messaging.message.read", message, subject=audit_subject_of(message))
    return message


def case_conversations(actor: Actor, case: ServiceCase) -> list[InboxMessage]:
    """The messages of the actor's institution's conversations with the client about `case`,
    oldest first, each with the acting person of the client's messages and who read the
    institution's messages when (the staff case page: A2, C1). The read is audited. Raises
    PermissionDenied unless the actor may read its clients' messages about the case
    (`MessagingAction.READ_CLIENT_MESSAGES`: the holder's or provider's client-service staff,
    or a system with the `messages:read` scope covering the case's service)."""
    if not decide(actor, MessagingAction.READ_CLIENT_MESSAGES, case):
        raise PermissionDenied("may not read the messages about this case")
    found = list(_with_readers(InboxMessage.objects.filter(
        thread__case=case, institution_id=actor.institution_id or 0)).order_by("sent_at", "pk"))
    record(actor, "messaging.case_messages.read", case, subject=audit_subject_of(case),
           details={"messages": len(found)})
    return found
