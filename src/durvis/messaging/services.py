"""Notifications (C1): on a status change, a result, a message, an invoice or a reminder, the
client is told through the channels they chose, by the outbox (so nothing is sent for a change
that rolls back). A notification says only what is needed: the case number and what happened,
never a name or a personal code; the details are in the e-account behind sign-in.

The official e-address inbox (A2, C1): institutions send messages with attachments to a client's
e-account (by their systems through the API or from the staff pages), the client reads, archives,
answers them or writes to an institution about a case; the institution hears of an answer by its
`message.received` webhook and reads it from the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import Action, Actor, audit_subject, decide, is_owner, owner_filter
from durvis.audit.services import Entry, record, record_many
from durvis.documents.models import Document
from durvis.identity.models import Company, Institution, Person
from durvis.identity.registers import enterprise_register, population_register
from durvis.integrations import services as integrations
from durvis.integrations import sms
from durvis.integrations.models import WebhookEvent
from durvis.messaging.models import (
    ClientLanguage,
    Direction,
    InboxMessage,
    NotificationChannel,
    NotificationPreference,
    Thread,
    Topic,
)
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


@transaction.atomic
def set_language(actor: Actor, person: Person, language: str) -> None:
    """The person chooses the language of their notifications (only they do: not a parent or a
    representative acting for them)."""
    if not decide(actor, Action.CHANGE_OWN_PROFILE, person):
        raise PermissionDenied("only the person themself chooses their language")
    if language not in ("lv", "en"):
        raise ValueError("unknown language")
    ClientLanguage.objects.update_or_create(person=person, defaults={"language": language})
    record(actor, "messaging.language.set", person, subject=person,
           details={"language": language})


def language_of(person: Person) -> str:
    """The language the person reads notifications in (Latvian unless they chose English)."""
    chosen = ClientLanguage.objects.filter(person=person).values_list("language", flat=True)
    return chosen.first() or "lv"


def notify_clients(topic: str, template: str,
                   items: Sequence[tuple[Person | Company, dict[str, Any]]]) -> int:
    """Notify whoever speaks for each client (C1): a person themself and, while they are a
    minor, their parents (from the population register); a company's representatives (from the
    enterprise register). Only persons with a contact are read; each hears of an item once.
    The registers are asked once per call, whatever the number of items."""
    person_ids = {c.pk for c, _context in items if isinstance(c, Person)}
    company_ids = {c.pk for c, _context in items if isinstance(c, Company)}
    parents = population_register().parents_of_minors(person_ids) if person_ids else {}
    representatives = (enterprise_register().representatives_of(company_ids)
                       if company_ids else {})

    def speakers(client: Person | Company) -> set[int]:
        # A set: a representative with two roles in the company hears once.
        if isinstance(client, Company):
            return {p.pk for p in representatives.get(client.pk, [])}
        return {client.pk, *(p.pk for p in parents.get(client.pk, []))}

    wanted = [(speakers(client), context) for client, context in items]
    reachable = (Person.objects.filter(~Q(email="") | ~Q(phone=""))
                 .only("pk", "email", "phone").in_bulk(set().union(*(s for s, _c in wanted))))
    return notify(topic, template, [(reachable[pk], context) for speaker_ids, context in wanted
                                    for pk in sorted(speaker_ids) if pk in reachable])


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


# --- The e-address inbox -----------------------------------------------------------------------

Client = Person | Company
# One attachment: (file name, content, content type, title).
Attachment = tuple[str, bytes, str, str]
MAX_SUBJECT = 200
MAX_BODY = 20_000


class AttachmentRefused(ValidationError):
    """The documents service refused one attachment (too big, a forbidden type, malware): says
    which one, so that the API can point at it and a form can keep the rest."""

    def __init__(self, index: int, error: ValidationError) -> None:
        self.index = index
        # "file" (its content: size, type, malware) or "title"
        self.field = next(iter(error.error_dict)) if hasattr(error, "error_dict") else "file"
        self.reason = " ".join(error.messages)
        self.reason_code = _first_code(error)
        super().__init__({"attachments": [ValidationError(self.reason, code=self.reason_code)]})


def _first_code(error: ValidationError) -> str:
    errors = (next(iter(error.error_dict.values())) if hasattr(error, "error_dict")
              else error.error_list)
    return (errors[0].code or "invalid") if errors else "invalid"


def _owner(client: Client) -> dict[str, Any]:
    """The owner columns of a client's record: exactly one of person or company."""
    if isinstance(client, Company):
        return {"client_person": None, "client_company": client}
    return {"client_person": client, "client_company": None}


def _check_text(subject: str, body: str) -> None:
    errors = {}
    if not subject.strip() or len(subject) > MAX_SUBJECT:
        errors["subject"] = ValidationError(_("A subject of 1 to %(max)d characters is needed."),
                                            code="invalid", params={"max": MAX_SUBJECT})
    if not body.strip() or len(body) > MAX_BODY:
        errors["body"] = ValidationError(_("A text of 1 to %(max)d characters is needed."),
                                         code="invalid", params={"max": MAX_BODY})
    if errors:
        raise ValidationError(errors)


def case_for_sending(actor: Actor, number: str) -> ServiceCase:
    """A case the actor's institution may write to the client about, by its number; a number
    that is not valid, unknown or another institution's is the same "no such case"."""
    from durvis.register.services import case_to_write_about

    try:
        return case_to_write_about(actor, number)
    except ValidationError as error:
        raise ValidationError({"case_number": error.error_list}) from None
    except ServiceCase.DoesNotExist:
        raise ValidationError({"case_number": ValidationError(
            _("No case with this number among your institution's cases."), code="unknown")}) from None


def client_of(case: ServiceCase) -> Client:
    """Whose e-account a message about the case goes to; an anonymous case has none."""
    client = case.client_company or case.client_person
    if client is None:
        raise ValidationError({"case_number": ValidationError(
            _("The case has no identified client to write to."), code="no_client")})
    return client


def _store_attachments(actor: Actor, client: Client, institution: Institution,
                       case: ServiceCase | None, attachments: Sequence[Attachment],
                       direction: str) -> list[Document]:
    from durvis.documents import services as documents

    stored = []
    for index, (name, content, content_type, title) in enumerate(attachments):
        try:
            stored.append(documents.store_document(
                actor, client=client, name=name, content=content, content_type=content_type,
                title=title, direction=direction, institution=institution, case=case))
        except ValidationError as error:
            # The transaction drops the rows of the attachments stored before; their files
            # are removed here, or nothing would ever point at them.
            for document in stored:
                document.file.delete(save=False)
            raise AttachmentRefused(index, error) from None
    return stored


def _add_message(thread: Thread, direction: str, subject: str, body: str,
                 documents: list[Document], **sender: Any) -> InboxMessage:
    now = timezone.now()
    message = InboxMessage.objects.create(
        thread=thread, client_person_id=thread.client_person_id,
        client_company_id=thread.client_company_id, institution_id=thread.institution_id,
        direction=direction, subject=subject.strip(), body=body, sent_at=now, **sender)
    message.attachments.set(documents)
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now, archived=False)
    return message


def _institution_sender(actor: Actor) -> dict[str, Any]:
    if actor.api is not None:
        return {"sender_api_client_id": actor.api.client_id}
    return {"sender_staff": actor.staff.user if actor.staff else None}


def _thread_to_answer(reply_to: Thread | InboxMessage, client: Client,
                      institution: Institution) -> Thread:
    thread = reply_to.thread if isinstance(reply_to, InboxMessage) else reply_to
    if not is_owner(thread, client) or thread.institution_id != institution.pk:
        raise ValidationError({"reply_to": ValidationError(
            _("No such conversation of this client with your institution."), code="unknown")})
    return thread


@transaction.atomic
def send_to_client(actor: Actor, *, client: Client, institution: Institution, subject: str,
                   body: str, case: ServiceCase | None = None,
                   attachments: Sequence[Attachment] = (),
                   reply_to: Thread | InboxMessage | None = None) -> InboxMessage:
    """An institution's system or employee puts a message, with its attachments as documents,
    into the client's e-address inbox, and the client is told by the channels they chose for
    messages. All or nothing: a refused attachment leaves no message and no document."""
    if not decide(actor, Action.SEND_TO_CLIENT, case):
        raise PermissionDenied("may not write to this client")
    if institution.pk != actor.institution_id:
        raise PermissionDenied("an institution writes in its own name only")
    if case is not None and not is_owner(case, client):
        raise ValidationError({"case_number": ValidationError(
            _("The case is not this client's."), code="other_client")})
    _check_text(subject, body)
    if reply_to is not None:
        thread = _thread_to_answer(reply_to, client, institution)
    else:
        thread = Thread.objects.create(**_owner(client), institution=institution, case=case,
                                       subject=subject.strip(), last_message_at=timezone.now())
    documents = _store_attachments(actor, client, institution, case or thread.case, attachments,
                                   "received")
    message = _add_message(thread, Direction.FROM_INSTITUTION, subject, body, documents,
                           **_institution_sender(actor))
    record(actor, "messaging.message.send", message, subject=audit_subject(client),
           details={"thread": thread.pk, "attachments": len(documents)})
    notify_clients(Topic.MESSAGES, "message_received", [(client, {
        "institution": institution, "number": thread.case.number if thread.case else "",
        "thread_id": thread.pk})])  # the notification links straight to the conversation
    return message


def _emit_received(message: InboxMessage) -> None:
    """Tell the institution's systems that a client wrote; no personal data: they read the
    message from the API."""
    thread = message.thread
    integrations.emit(WebhookEvent.MESSAGE_RECEIVED, [thread.institution_id], [{
        "message_id": message.pk, "conversation_id": thread.pk,
        "case_number": thread.case.number if thread.case else None,
        "sent_at": message.sent_at.isoformat()}])


@transaction.atomic
def reply(actor: Actor, thread_or_message: Thread | InboxMessage, body: str,
          attachments: Sequence[Attachment] = (), *, client: Client) -> InboxMessage:
    """The client (or who acts for them) answers in a conversation of theirs."""
    thread = (thread_or_message.thread if isinstance(thread_or_message, InboxMessage)
              else thread_or_message)
    if not decide(actor, Action.CLIENT_WRITE, thread, client=client):
        raise PermissionDenied("may not answer for this client")
    _check_text(thread.subject, body)
    documents = _store_attachments(actor, client, thread.institution, thread.case, attachments,
                                   "sent")
    message = _add_message(thread, Direction.FROM_CLIENT, thread.subject, body, documents,
                           sender_person=actor.person)
    record(actor, "messaging.message.reply", message, subject=audit_subject(client),
           details={"thread": thread.pk, "attachments": len(documents)})
    _emit_received(message)
    return message


@transaction.atomic
def write_to_institution(actor: Actor, client: Client, institution: Institution | None,
                         subject: str, body: str, case: ServiceCase | None = None,
                         attachments: Sequence[Attachment] = ()) -> InboxMessage:
    """The client starts a conversation with an institution; about one of their cases it goes
    to the case's holder."""
    if not decide(actor, Action.CLIENT_WRITE, case, client=client):
        raise PermissionDenied("may not write for this client")
    if case is not None:
        institution = case.holder
    if institution is None:
        raise ValidationError({"institution": ValidationError(
            _("Choose an institution or a case."), code="required")})
    _check_text(subject, body)
    thread = Thread.objects.create(**_owner(client), institution=institution, case=case,
                                   subject=subject.strip(), last_message_at=timezone.now())
    documents = _store_attachments(actor, client, institution, case, attachments, "sent")
    message = _add_message(thread, Direction.FROM_CLIENT, subject, body, documents,
                           sender_person=actor.person)
    record(actor, "messaging.message.write", message, subject=audit_subject(client),
           details={"thread": thread.pk, "attachments": len(documents)})
    _emit_received(message)
    return message


def inbox(client: Client, archived: bool = False) -> QuerySet[Thread]:
    """The client's conversations, the latest first, each with its count of unread messages."""
    unread = Count("messages", filter=Q(messages__direction=Direction.FROM_INSTITUTION,
                                        messages__read_at__isnull=True))
    return (Thread.objects.filter(owner_filter(client), archived=archived)
            .select_related("institution", "case").annotate(unread=unread)
            .order_by("-last_message_at", "-pk"))


def unread_count(client: Client) -> int:
    """Messages from institutions the client has not opened yet (the overview shows it)."""
    return InboxMessage.objects.filter(owner_filter(client), direction=Direction.FROM_INSTITUTION,
                                       read_at__isnull=True).count()


def _thread_of(actor: Actor, action: Action, thread_id: int, client: Client) -> Thread:
    """The client's conversation; another client's is "no such conversation"."""
    thread = (Thread.objects.select_related("institution", "case").filter(pk=thread_id).first())
    if thread is None or not decide(actor, action, thread, client=client):
        raise Thread.DoesNotExist
    return thread


@transaction.atomic
def open_thread(actor: Actor, thread_id: int, client: Client
                ) -> tuple[Thread, list[InboxMessage]]:
    """A conversation with its messages in order, for the client; opening it marks the
    institution's messages read. The read is audited."""
    thread = _thread_of(actor, Action.CLIENT_READ, thread_id, client)
    marked = thread.messages.filter(direction=Direction.FROM_INSTITUTION,
                                    read_at__isnull=True).update(read_at=timezone.now())
    messages = list(thread.messages.select_related("sender_person", "institution")
                    .prefetch_related(Prefetch("attachments",
                                               queryset=Document.objects.order_by("pk")))
                    .order_by("sent_at", "pk"))
    record(actor, "messaging.thread.read", thread, subject=audit_subject(client),
           details={"marked_read": marked})
    return thread, messages


@transaction.atomic
def _set_archived(actor: Actor, thread_id: int, client: Client, archived: bool) -> Thread:
    thread = _thread_of(actor, Action.CLIENT_WRITE, thread_id, client)
    Thread.objects.filter(pk=thread.pk).update(archived=archived)
    thread.archived = archived
    record(actor, "messaging.thread.archive" if archived else "messaging.thread.unarchive",
           thread, subject=audit_subject(client))
    return thread


def archive(actor: Actor, thread_id: int, client: Client) -> Thread:
    """Move a conversation out of the inbox (a new message brings it back)."""
    return _set_archived(actor, thread_id, client, True)


def unarchive(actor: Actor, thread_id: int, client: Client) -> Thread:
    return _set_archived(actor, thread_id, client, False)


def messages_of_case(actor: Actor, case: ServiceCase, client: Client) -> list[InboxMessage]:
    """The messages about one case of the client, newest first (the case page shows them)."""
    if not decide(actor, Action.CLIENT_READ, case, client=client):
        raise PermissionDenied("not a case of this client")
    return list(InboxMessage.objects.filter(owner_filter(client), thread__case=case)
                .order_by("-sent_at", "-pk"))


def replies(actor: Actor, since: int, limit: int = 100) -> tuple[list[InboxMessage], int]:
    """Clients' messages to the actor's institution after the message id `since`, oldest
    first, and the id to ask after next (an institution's system synchronises with it). A
    system limited to some services does not see messages about the others' cases; every read
    is audited."""
    if not decide(actor, Action.READ_CLIENT_MESSAGES) or actor.institution_id is None:
        raise PermissionDenied("the client lacks the messages:read scope")
    found = list(InboxMessage.objects.filter(institution_id=actor.institution_id,
                                              direction=Direction.FROM_CLIENT, pk__gt=since)
                 .select_related("thread__case", "client_person", "client_company")
                 .prefetch_related("attachments").order_by("pk")[:limit])
    visible = [m for m in found if m.thread.case is None
               or decide(actor, Action.READ_CLIENT_MESSAGES, m.thread.case)]
    record_many(actor, [Entry.about("messaging.reply.read", m, subject=m.client_person)
                        for m in visible])
    return visible, (found[-1].pk if found else since)
