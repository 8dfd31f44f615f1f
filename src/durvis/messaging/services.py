"""Messaging writes (C1); reads are in `durvis.messaging.queries`.

Notifications (C1): on a status change, a result, a message, an invoice or a reminder, the
client is told through the channels they chose, by the outbox (so nothing is sent for a change
that rolls back). A notification says only what is needed: the case number and what happened,
never a name or a personal code; the details are in the e-account behind sign-in.

The official e-address (e-adrese) inbox (A2, C1): institutions send messages with attachments to
a client's e-account (by their systems through the API or from the staff pages), the client
reads, archives, answers them or writes to an institution about a case; the institution hears of
an answer by its `message.received` webhook and reads it from the API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import decide, require
from durvis.audit.services import record
from durvis.core.actor import Actor
from durvis.core.concurrency import advance_version
from durvis.core.events import publish
from durvis.core.phones import sms_number
from durvis.core.registry import Registry
from durvis.documents import queries as document_queries
from durvis.documents import services as documents
from durvis.documents.models import Document
from durvis.documents.rules import DocumentAction
from durvis.identity import services as identity
from durvis.identity.models import Company, ContactConfirmation, ContactKind, Institution, Person
from durvis.identity.queries import audit_subject, is_owner, owner_fields
from durvis.identity.registers import enterprise_register, population_register
from durvis.identity.rules import ClientRight, IdentityAction, service_of
from durvis.integrations import services as integrations
from durvis.mandates.models import Mandate
from durvis.mandates.queries import relied_on
from durvis.messaging import events, queries
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
from durvis.register.models import ServiceCase
from durvis.register.services import next_change_positions


@dataclass(frozen=True)
class NotificationKind:
    """A notification the platform sends a client: its `template` (the files
    `messaging/<template>_subject.txt` and `_<channel>.txt`) and the `topic` the client turns it
    on or off by."""

    key: str
    topic: str
    template: str

    def check(self) -> list[str]:
        """Every template the kind needs exists."""
        missing = []
        for part in ("subject", *NotificationChannel.values):
            try:
                get_template(f"messaging/{self.template}_{part}.txt")
            except TemplateDoesNotExist:
                missing.append(f"no template messaging/{self.template}_{part}.txt")
        return missing


NOTIFICATION_KINDS: Registry[NotificationKind] = Registry("notification kinds")


def notification_kind(key: str, topic: str, template: str = "") -> str:
    """Declare a kind of notification; returns its key. Raises ImproperlyConfigured for a key
    that is taken."""
    NOTIFICATION_KINDS.register(NotificationKind(key, topic, template or key))
    return key


STATUS_CHANGED = notification_kind("status_changed", Topic.STATUS_CHANGES)
RESULT = notification_kind("result", Topic.RESULTS)
MESSAGE_RECEIVED = notification_kind("message_received", Topic.MESSAGES)
DOCUMENT_RECEIVED = notification_kind("document_received", Topic.MESSAGES)
RESULT_DOCUMENT_RECEIVED = notification_kind("result_document_received", Topic.RESULTS,
                                             "document_received")
# The e-forms journey (A10): an application was submitted (its case number), and the one
# reminder of a draft about to expire.
APPLICATION_RECEIVED = notification_kind("application_received", Topic.STATUS_CHANGES)
DRAFT_REMINDER = notification_kind("draft_reminder", Topic.REMINDERS)
# Invoices (A8): one issued, its payment state moved (paid, partly paid, overpaid, cancelled,
# credited, an online payment failed), a reminder before the due date and when overdue.
INVOICE_ISSUED = notification_kind("invoice_issued", Topic.INVOICES)
PAYMENT_CHANGED = notification_kind("payment_changed", Topic.INVOICES)
INVOICE_REMINDER = notification_kind("invoice_reminder", Topic.INVOICES)
# Mandates (C1): one was granted, requested, confirmed, refused or revoked (both sides hear).
MANDATE_CHANGED = notification_kind("mandate_changed", Topic.MESSAGES)
# Appointments (A4): booked, moved, cancelled, and the reminder the day before; the e-mail
# carries the `.ics` (its context's `email_attachments`).
APPOINTMENT_BOOKED = notification_kind("appointment_booked", Topic.APPOINTMENTS, "appointment")
APPOINTMENT_MOVED = notification_kind("appointment_moved", Topic.APPOINTMENTS, "appointment")
APPOINTMENT_CANCELLED = notification_kind("appointment_cancelled", Topic.APPOINTMENTS,
                                          "appointment")
APPOINTMENT_REMINDER = notification_kind("appointment_reminder", Topic.APPOINTMENTS,
                                         "appointment")


@transaction.atomic
def set_preference(actor: Actor, person: Person, topic: str, channel: str, enabled: bool) -> None:
    """The client (or whoever may act for them) turns a topic (a `Topic`) on or off for a
    channel (a `NotificationChannel`: `email`, `sms`); audited, and the version of the person's
    notification settings moves on (a settings form open elsewhere notices). Raises
    PermissionDenied when the actor may not act for the person (`IdentityAction.ACT_FOR`:
    themself or a parent of a minor), and ValueError for an unknown topic or channel (forms
    offer only known ones)."""
    if not decide(actor, IdentityAction.ACT_FOR, client=person):
        raise PermissionDenied("may not change this client's notifications")
    _check_preference(topic, channel)
    advance_version(_settings_row(person), None)
    _write_preference(actor, person, topic, channel, enabled)


def _check_preference(topic: str, channel: str) -> None:
    if topic not in Topic.values or channel not in NotificationChannel.values:
        raise ValueError("unknown topic or channel")


def _write_preference(actor: Actor, person: Person, topic: str, channel: str,
                      enabled: bool) -> None:
    NotificationPreference.objects.update_or_create(
        person=person, topic=topic, channel=channel, defaults={"enabled": enabled})
    record(actor, "messaging.preference.set", person, subject=person,
           details={"topic": topic, "channel": channel, "enabled": enabled})


def _settings_row(person: Person) -> QuerySet[ClientLanguage]:
    """The row that holds the version of the person's notification settings, made if the
    person has none yet (Latvian, version 0), as a one-row queryset."""
    ClientLanguage.objects.get_or_create(person=person)
    return ClientLanguage.objects.filter(person=person)


@transaction.atomic
def set_language(actor: Actor, person: Person, language: str) -> None:
    """The person chooses the language of their notifications, `lv` or `en` (only they do: not
    a parent or a representative acting for them); audited, and the version of their
    notification settings moves on. Raises PermissionDenied for anybody but the person
    (`IdentityAction.CHANGE_OWN_PROFILE`), and ValueError for another language."""
    if not decide(actor, IdentityAction.CHANGE_OWN_PROFILE, person):
        raise PermissionDenied("only the person themself chooses their language")
    if language not in ("lv", "en"):
        raise ValueError("unknown language")
    advance_version(_settings_row(person), None)
    _write_language(actor, person, language)


def _write_language(actor: Actor, person: Person, language: str) -> None:
    ClientLanguage.objects.filter(person=person).update(language=language)
    record(actor, "messaging.language.set", person, subject=person,
           details={"language": language})


@transaction.atomic
def save_notification_settings(actor: Actor, person: Person,
                               choices: Mapping[tuple[str, str], bool], language: str, *,
                               version: int) -> int:
    """Save the person's notification settings form (A2, C1): `choices` maps (topic, channel)
    to on or off, `language` is `lv` or `en`, and `version` is the version of the settings the
    form was opened on (`queries.settings_version`). Only what differs from the saved settings
    is written, each change audited as by `set_preference` and `set_language`; returns the new
    version. Raises StaleVersion (`durvis.core.concurrency`), and writes nothing, when the
    settings changed after the form was opened (in another tab, or by a parent); PermissionDenied
    for anybody but the person (`IdentityAction.CHANGE_OWN_PROFILE`); ValueError for an unknown
    topic, channel or language."""
    if not decide(actor, IdentityAction.CHANGE_OWN_PROFILE, person):
        raise PermissionDenied("only the person themself saves their notification settings")
    if language not in ("lv", "en"):
        raise ValueError("unknown language")
    for topic, channel in choices:
        _check_preference(topic, channel)
    new_version = advance_version(_settings_row(person), version)
    saved = queries.preferences(person)
    for (topic, channel), enabled in choices.items():
        if saved[(topic, channel)] != enabled:
            _write_preference(actor, person, topic, channel, enabled)
    if queries.language_of(person) != language:
        _write_language(actor, person, language)
    return new_version


def notify_clients(kind: str, items: Sequence[tuple[Person | Company, dict[str, Any]]]) -> int:
    """Notify whoever speaks for each client (C1): a person themself and, while they are a
    minor, their parents (from the population register); a company's representatives (from the
    enterprise register). Only persons with a contact are read; each hears of an item once.
    The registers are asked once per call, whatever the number of items. `kind` is a key of
    `NOTIFICATION_KINDS`; each item is (client, template context). Returns how many messages
    were queued. Raises KeyError for an unknown kind."""
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
    return notify(kind, [(reachable[pk], context) for speaker_ids, context in wanted
                         for pk in sorted(speaker_ids) if pk in reachable])


def notify(kind: str, items: list[tuple[Person, dict[str, Any]]]) -> int:
    """Queue the notification of `kind` (a key of `NOTIFICATION_KINDS`: its subject and body
    rendered in each client's language) for every (person, context) item, on each channel the
    person wants the kind's topic on and has a contact for. Returns how many messages were
    queued. An item's context may carry `email_attachments`, (file name, text, content type)
    triples attached to the e-mail only (an appointment's `.ics`). Raises KeyError for an
    unknown kind."""
    found = NOTIFICATION_KINDS.get(kind)
    topic, template = found.topic, found.template
    people = {person.pk for person, _context in items}
    if not people:
        return 0
    chosen: dict[int, dict[tuple[str, str], bool]] = {pk: dict(queries.DEFAULTS) for pk in people}
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
            attachments = (context.get("email_attachments", ())
                           if channel == NotificationChannel.EMAIL else ())
            integrations.enqueue_notification(channel, recipient, topic, subject, body,
                                              attachments=attachments)
            queued += 1
    return queued


def _contacts(person: Person) -> list[tuple[str, str]]:
    contacts = []
    if person.email:
        contacts.append((NotificationChannel.EMAIL.value, person.email))
    number = sms_number(person.phone) if person.phone else None
    if number and integrations.sms_available():
        contacts.append((NotificationChannel.SMS.value, number))
    return contacts


def public_url() -> str:
    """`DURVIS_PUBLIC_URL` without a trailing slash: the start of every address in a
    notification, to which a path (from `reverse`, with its leading slash) is added."""
    return str(settings.DURVIS_PUBLIC_URL).rstrip("/")


def _render(template: str, channel: str, language: str, context: dict[str, Any]
            ) -> tuple[str, str]:
    """The texts in `language`; their links (`eaccount_url` and the item's own path, which the
    templates reverse inside the override) open the case, the conversation or the document in
    that language: an English address has the `/en/` prefix of `i18n_patterns`."""
    context = {**context, "eaccount_url": public_url()}
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
    """A case the actor's institution may write to the client about, by its number as people
    write it (`9999 76544`). Raises ValidationError keyed `case_number`: the number's own error
    (code `format` or `checksum`) when it is malformed, and code `unknown` for an unknown case
    and, alike, one the actor may not write about (another institution's, outside its token's
    services or `messages:write` scope)."""
    try:
        return document_queries.case_to_write_about(actor, number)
    except ValidationError as error:
        raise ValidationError({"case_number": error.error_list}) from None
    except ServiceCase.DoesNotExist:
        raise ValidationError({"case_number": ValidationError(
            _("No case with this number among your institution's cases."), code="unknown")}) from None


def client_of(case: ServiceCase) -> Client:
    """Whose e-account a message about the case goes to: the company, else the person. Raises
    ValidationError keyed `case_number` (code `no_client`) for a case without an identified
    client (anonymous or phone only)."""
    client = case.client_company or case.client_person
    if client is None:
        raise ValidationError({"case_number": ValidationError(
            _("The case has no identified client to write to."), code="no_client")})
    return client


def _store_attachments(actor: Actor, client: Client, institution: Institution,
                       case: ServiceCase | None, attachments: Sequence[Attachment],
                       direction: str, signature_requested: bool = False) -> list[Document]:
    stored = []
    for index, (name, content, content_type, title) in enumerate(attachments):
        try:
            stored.append(documents.store_document(
                actor, client=client, name=name, content=content, content_type=content_type,
                title=title, direction=direction, institution=institution, case=case,
                attachment=True, signature_requested=signature_requested))
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
    change_xid, (change_seq,) = next_change_positions(1)
    message = InboxMessage.objects.create(
        thread=thread, client_person_id=thread.client_person_id,
        client_company_id=thread.client_company_id, institution_id=thread.institution_id,
        direction=direction, subject=subject.strip(), body=body, sent_at=now,
        change_xid=change_xid, change_seq=change_seq, **sender)
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
                   reply_to: Thread | InboxMessage | None = None,
                   signature_requested: bool = False) -> InboxMessage:
    """An institution's system or employee puts a message, with its attachments as documents,
    into the client's e-address inbox, and the client is told by the channels they chose for
    messages. All or nothing: a refused attachment leaves no message and no document.
    `attachments` are (file name, content, content type, title); `reply_to` continues a
    conversation (a Thread, or one of its messages) instead of starting one;
    `signature_requested` asks the client to sign the attachments in the e-account
    (`documents.services.sign_document`).

    Raises PermissionDenied unless the actor is a system with the `messages:write` scope or
    client-service staff of an institution involved in `case` (`DocumentAction.SEND_TO_CLIENT`)
    writing in its own institution's name (`SEND_AS_INSTITUTION`); ValidationError keyed
    `case_number` (`other_client`: the case is another client's), `subject` or `body`
    (`invalid`: empty, or longer than 200 or 20,000 characters), `reply_to` (`unknown`: not a
    conversation of this client with this institution); AttachmentRefused (a ValidationError
    keyed `attachments`, naming which one) when `store_document` refuses an attachment; and
    `store_document`'s PermissionDenied for an attachment about the answered conversation's
    case when that case is outside the actor's scope."""
    require(actor, DocumentAction.SEND_TO_CLIENT, case)
    require(actor, DocumentAction.SEND_AS_INSTITUTION, institution)
    if case is not None and not is_owner(case, client):
        raise ValidationError({"case_number": ValidationError(
            _("The case is not this client's."), code="other_client")})
    _check_text(subject, body)
    if reply_to is not None:
        thread = _thread_to_answer(reply_to, client, institution)
    else:
        thread = Thread.objects.create(**owner_fields(client), institution=institution, case=case,
                                       subject=subject.strip(), last_message_at=timezone.now())
    documents = _store_attachments(actor, client, institution, case or thread.case, attachments,
                                   "received", signature_requested)
    message = _add_message(thread, Direction.FROM_INSTITUTION, subject, body, documents,
                           **_institution_sender(actor))
    record(actor, "messaging.message.send", message, subject=audit_subject(client),
           details={"thread": thread.pk, "attachments": len(documents)})
    publish(actor, events.MESSAGE_SENT, [(f"thread:{thread.pk}", {
        "message_id": message.pk, "thread_id": thread.pk, "institution_id": institution.pk,
        "number": thread.case.number if thread.case else "",
        **{f"{name}_id": getattr(message, f"{name}_id")
           for name in ("client_person", "client_company")}})])
    return message


def _emit_received(actor: Actor, message: InboxMessage) -> None:
    """Tell the institution's systems that a client wrote; no personal data: they read the
    message from the API."""
    thread = message.thread
    publish(actor, events.MESSAGE_RECEIVED, [(f"thread:{thread.pk}", {
        "institutions": [thread.institution_id],
        "webhook": {"message_id": message.pk, "conversation_id": thread.pk,
                    "case_number": thread.case.number if thread.case else None,
                    "sent_at": message.sent_at.isoformat()}})])


@transaction.atomic
def reply(actor: Actor, thread_or_message: Thread | InboxMessage, body: str,
          attachments: Sequence[Attachment] = (), *, client: Client) -> InboxMessage:
    """The client (or who acts for them) answers in a conversation of theirs (given as the
    Thread or one of its messages), under its subject, with `attachments` as in
    `send_to_client`; the institution hears of it by its `message.received` webhook. The
    message records the acting person (`sender_person`: the client, a parent, a
    representative; A2, C1) and, under a mandate, the mandate relied on (`mandate`, right
    `answer_messages`: `mandates.queries.relied_on`). Raises `access.policy.Refused` (a
    PermissionDenied) when the actor may not act in the client's name or the conversation is
    not the client's (`IdentityAction.CLIENT_WRITE`: a company's representative who may act
    only jointly is refused with an explanation); ValidationError keyed `body` (`invalid`:
    empty or longer than 20,000 characters); AttachmentRefused when an attachment is
    refused."""
    thread = (thread_or_message.thread if isinstance(thread_or_message, InboxMessage)
              else thread_or_message)
    require(actor, IdentityAction.CLIENT_WRITE, thread, client=client)
    _check_text(thread.subject, body)
    documents = _store_attachments(actor, client, thread.institution, thread.case, attachments,
                                   "sent")
    mandate = relied_on(actor, client, ClientRight.ANSWER_MESSAGES, service_of(thread))
    message = _add_message(thread, Direction.FROM_CLIENT, thread.subject, body, documents,
                           sender_person=actor.person, mandate=mandate)
    record(actor, "messaging.message.reply", message, subject=audit_subject(client),
           details={"thread": thread.pk, "attachments": len(documents),
                    "mandate": mandate.pk if mandate else None})
    _emit_received(actor, message)
    return message


@transaction.atomic
def write_to_institution(actor: Actor, client: Client, institution: Institution | None,
                         subject: str, body: str, case: ServiceCase | None = None,
                         attachments: Sequence[Attachment] = ()) -> InboxMessage:
    """The client starts a conversation with an institution; about one of their cases it goes
    to the case's holder (pakalpojuma turētājs), whatever `institution` says. `attachments` as
    in `send_to_client`; the message records the acting person (`sender_person`) and, under a
    mandate, the mandate relied on (`mandate`, `_relied_on`). Raises
    `access.policy.Refused` (a PermissionDenied) when the actor may not act in the client's
    name or the case is not the client's (`IdentityAction.CLIENT_MESSAGE`: under a mandate the
    right to answer messages; a company's representative who may act only jointly is refused
    with an explanation); ValidationError keyed `institution` (`required`: neither an
    institution nor a case), `subject` or `body` (`invalid`: empty, or longer than 200 or
    20,000 characters); AttachmentRefused when an attachment is refused."""
    require(actor, IdentityAction.CLIENT_MESSAGE, case, client=client)
    if case is not None:
        institution = case.holder
    if institution is None:
        raise ValidationError({"institution": ValidationError(
            _("Choose an institution or a case."), code="required")})
    _check_text(subject, body)
    thread = Thread.objects.create(**owner_fields(client), institution=institution, case=case,
                                   subject=subject.strip(), last_message_at=timezone.now())
    documents = _store_attachments(actor, client, institution, case, attachments, "sent")
    mandate = _relied_on(actor, client, case)
    message = _add_message(thread, Direction.FROM_CLIENT, subject, body, documents,
                           sender_person=actor.person, mandate=mandate)
    record(actor, "messaging.message.write", message, subject=audit_subject(client),
           details={"thread": thread.pk, "attachments": len(documents),
                    "mandate": mandate.pk if mandate else None})
    _emit_received(actor, message)
    return message


def _relied_on(actor: Actor, client: Client, case: ServiceCase | None) -> Mandate | None:
    """The mandate a new conversation's first message relies on: one giving `answer_messages`
    (what the policy asks of writing to an institution, `IdentityAction.CLIENT_MESSAGE`);
    None for the client's own message or a base-register relation's."""
    return relied_on(actor, client, ClientRight.ANSWER_MESSAGES, service_of(case))


def _thread_of(actor: Actor, action: str, thread_id: int, client: Client) -> Thread:
    """The client's conversation; another client's is "no such conversation"."""
    thread = (Thread.objects.select_related("institution", "case").filter(pk=thread_id).first())
    if thread is None or not decide(actor, action, thread, client=client):
        raise Thread.DoesNotExist
    return thread


@transaction.atomic
def open_thread(actor: Actor, thread_id: int, client: Client
                ) -> tuple[Thread, list[InboxMessage]]:
    """A conversation with its messages in order, for the client; opening it marks the
    institution's messages read by the signed-in person (`actor.person`) only: every other
    reader of the client (another representative of the company, the other parent, the child
    themself) keeps them unread (A2, C1); the institution sees who read when. The read is
    audited. Raises Thread.DoesNotExist for an unknown conversation and, alike, another
    client's or one of a client the actor does not act for (`IdentityAction.CLIENT_READ`)."""
    thread = _thread_of(actor, IdentityAction.CLIENT_READ, thread_id, client)
    marked = _mark_read(thread, actor.person)
    messages = list(thread.messages.select_related("sender_person", "institution")
                    .prefetch_related(Prefetch("attachments",
                                               queryset=Document.objects.order_by("pk")))
                    .order_by("sent_at", "pk"))
    record(actor, "messaging.thread.read", thread, subject=audit_subject(client),
           details={"marked_read": marked})
    return thread, messages


def _mark_read(thread: Thread, reader: Person | None) -> int:
    """Record that `reader` opened the institution's messages of the thread they had not opened
    before; returns how many. Two tabs opening it at once record each read once (the
    (message, reader) key; the loser's rows are ignored)."""
    if reader is None:
        return 0
    unread = list(thread.messages.filter(direction=Direction.FROM_INSTITUTION)
                  .exclude(pk__in=MessageRead.objects.filter(reader=reader, message__thread=thread)
                           .values("message_id"))
                  .values_list("pk", flat=True))
    now = timezone.now()
    MessageRead.objects.bulk_create(
        [MessageRead(message_id=pk, reader=reader, read_at=now) for pk in unread],
        ignore_conflicts=True)
    return len(unread)


@transaction.atomic
def _set_archived(actor: Actor, thread_id: int, client: Client, archived: bool) -> Thread:
    thread = _thread_of(actor, IdentityAction.CLIENT_ARRANGE, thread_id, client)
    Thread.objects.filter(pk=thread.pk).update(archived=archived)
    thread.archived = archived
    record(actor, "messaging.thread.archive" if archived else "messaging.thread.unarchive",
           thread, subject=audit_subject(client))
    return thread


def archive(actor: Actor, thread_id: int, client: Client) -> Thread:
    """Move a conversation out of the inbox (a new message brings it back), for every reader of
    the client; audited. It acts in nobody's name, so a representative who may act only
    jointly may do it too. Raises Thread.DoesNotExist for an unknown conversation and, alike,
    another client's or one of a client the actor does not act for
    (`IdentityAction.CLIENT_ARRANGE`)."""
    return _set_archived(actor, thread_id, client, True)


def unarchive(actor: Actor, thread_id: int, client: Client) -> Thread:
    """Bring an archived conversation back into the inbox; audited. Raises Thread.DoesNotExist
    as `archive` does."""
    return _set_archived(actor, thread_id, client, False)


# --- Confirmation codes for a new contact --------------------------------------------------------

CONTACT_CODE_EVENT = "identity.contact_code"


def phone_confirmation_available() -> bool:
    """A phone number is confirmed by SMS, so only where an SMS gateway is configured."""
    return integrations.sms_available()


@transaction.atomic
def request_contact_change(actor: Actor, person: Person, kind: str, value: str, *,
                           version: int | None = None) -> ContactConfirmation:
    """Ask to change the person's e-mail or phone to `value`: identity issues a code
    (`durvis.identity.services.start_contact_change`) and it goes to that address through the
    outbox, in the person's language, so nothing is sent if this rolls back. `kind` is a
    `ContactKind` (`email`, `phone`); `version` is the version of the contacts the form asking
    was opened on (`Person.contacts_version`; None: no form). Raises PermissionDenied for
    anybody but the person; StaleVersion (`durvis.core.concurrency`), sending nothing, when the
    contacts changed after the form was opened; ValidationError, not keyed by a field, for an
    invalid (code `invalid`) or unchanged (`unchanged`) address, a phone without an SMS gateway
    (`sms_unavailable`), or too many codes in an hour (`throttled`); ValueError for an unknown
    `kind`."""
    if kind == ContactKind.PHONE and not phone_confirmation_available():
        raise ValidationError(_("A phone number cannot be confirmed now: no SMS service is "
                                "connected. Try again later."), code="sms_unavailable")
    issued = identity.start_contact_change(actor, person, kind, value, version=version)
    _send_code(person, kind, issued.confirmation.value, issued.code)
    return issued.confirmation


def _send_code(person: Person, kind: str, value: str, code: str) -> None:
    minutes = int(identity.CONTACT_CODE_LIFETIME.total_seconds() // 60)
    channel = NotificationChannel.EMAIL if kind == ContactKind.EMAIL else NotificationChannel.SMS
    with translation.override(queries.language_of(person)):
        subject = render_to_string("messaging/contact_code_subject.txt",
                                   {"code": code, "minutes": minutes}).strip()
        body = render_to_string(f"messaging/contact_code_{channel}.txt",
                                {"code": code, "minutes": minutes}).strip()
    integrations.enqueue_notification(channel, value, CONTACT_CODE_EVENT, subject, body,
                                      secret=True)
