"""What a client wants to be told and how (C1): notification preferences per topic and channel;
and the client's official e-address inbox (A2, C1): conversations with institutions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from durvis.core.models import ClientOwnedRequired
from durvis.documents.models import Document
from durvis.identity.models import Institution, Person
from durvis.identity.queries import ActingPerson, acting_person
from durvis.integrations.models import ApiClient
from durvis.mandates.models import Mandate
from durvis.register.models import ServiceCase


class Topic(models.TextChoices):
    STATUS_CHANGES = "status_changes", _("Status changes of my cases")
    RESULTS = "results", _("Results of my cases")
    MESSAGES = "messages", _("New messages")
    INVOICES = "invoices", _("Invoices")
    REMINDERS = "reminders", _("Reminders")
    PROACTIVE_OFFERS = "proactive_offers", _("Offers of services that may fit me")
    APPOINTMENTS = "appointments", _("Appointments")


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class NotificationPreference(models.Model):
    """A client's choice for one topic and channel; without a row the default applies
    (`services.DEFAULTS`)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "topic", "channel"],
                                    name="one_preference_per_topic_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.topic}/{self.channel}: {self.enabled}"


class ClientLanguage(models.Model):
    """The language a client reads their notifications in (Latvian unless they chose English),
    and the version of all their notification settings (this language and their
    `NotificationPreference`s): every change of either moves it on, and the settings form
    carries it (durvis.core.concurrency). A person without a row has version 0."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=2, choices=[("lv", "Latviešu"), ("en", "English")],
                                default="lv")
    version = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"{self.person_id}: {self.language}"


class Direction(models.TextChoices):
    FROM_INSTITUTION = "from_institution", _("From the institution")
    FROM_CLIENT = "from_client", _("From the client")


class Thread(ClientOwnedRequired):
    """A conversation (sarakste) in a client's official e-address inbox with one institution,
    optionally about one of the client's cases. The owner is a person or a company (the role
    it was received or written in), never both."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(ServiceCase, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    subject = models.CharField(_("subject"), max_length=200)
    archived = models.BooleanField(_("archived"), default=False)
    last_message_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["client_person", "archived", "-last_message_at"],
                         name="thread_person_inbox"),
            models.Index(fields=["client_company", "archived", "-last_message_at"],
                         name="thread_company_inbox"),
            models.Index(fields=["case"], name="thread_case"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(client_person__isnull=False, client_company__isnull=True)
                           | models.Q(client_person__isnull=True, client_company__isnull=False)),
                name="thread_has_one_owner"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("inbox:thread", args=[self.pk])


class InboxMessage(ClientOwnedRequired):
    """One message of a conversation. The owner and the institution are copied from the thread
    so that a client's unread count and an institution's feed of replies are each one walk of
    an index. Who opened a message from the institution, and when, is in `MessageRead`: read
    state belongs to each reader (A2, C1). `sender_person` is the acting person of a client's
    message: the client themself, a parent for a child, a representative for a company."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent"))
    sender_api_client = models.ForeignKey(ApiClient, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    sender_staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    sender_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+",
                                      help_text=_("Who wrote for the client."))
    # The mandate `sender_person` relied on, writing for the client under it (C1, A2;
    # `mandates.queries.relied_on`); empty for the client's own message, a base-register
    # relation's and the institution's.
    mandate = models.ForeignKey(Mandate, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+",
                                help_text=_("The mandate the writer relied on."))
    attachments = models.ManyToManyField(Document, blank=True, related_name="+")
    # The position of the message in the institution's feed of replies
    # (`GET /api/v1/messages/replies?since=`, `durvis.core.changes`): the writing transaction's
    # id and a change number, so that a message committed late behind a higher id is not
    # skipped. Messages from before have transaction id 0 and their id as the number.
    change_xid = models.BigIntegerField(default=0)
    change_seq = models.BigIntegerField(default=0)

    class Meta(ClientOwnedRequired.Meta):
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["thread", "sent_at"], name="message_thread"),
            # A reader's unread count walks the client's messages from institutions here and
            # probes `MessageRead`'s (message, reader) key for each: index only, no table rows.
            models.Index(fields=["client_person", "id"], name="message_person_inbound",
                         condition=models.Q(direction="from_institution")),
            models.Index(fields=["client_company", "id"], name="message_company_inbound",
                         condition=models.Q(direction="from_institution")),
            models.Index(fields=["institution", "change_xid", "change_seq"],
                         name="message_replies_position",
                         condition=models.Q(direction="from_client")),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return f"{reverse('inbox:thread', args=[self.thread_id])}#message-{self.pk}"

    @property
    def from_institution(self) -> bool:
        return self.direction == Direction.FROM_INSTITUTION

    @property
    def acting_person(self) -> ActingPerson | None:
        """Who wrote a client's message for the client, and as whom (A2, C1); None for the
        institution's messages."""
        return acting_person(self.sender_person, self)


class MessageRead(models.Model):
    """That one person opened one message from an institution, and when (A2, C1, A12): read
    state belongs to each reader, so one representative of a company opening a message leaves
    it unread for the others, and a parent reading in a child's role leaves it unread for the
    child. The role it was read in is the message's client (a message is shown in its owner's
    role only); the institution sees who read it when (`queries.institution_message`).

    `reader` is empty only for a read recorded before readers were (migration `0004`): a
    company's message opened by one of its representatives, who was not noted. Such a read
    counts as read for every reader of the company, so upgrading brought back no old message
    as unread, and the institution sees it as "read, reader not recorded"."""

    # Indexed by the (message, reader) key below, which the message's column leads.
    message = models.ForeignKey(InboxMessage, on_delete=models.CASCADE, related_name="reads",
                                db_index=False)
    reader = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    read_at = models.DateTimeField(_("read"))

    class Meta:
        verbose_name = _("read of a message")
        verbose_name_plural = _("reads of messages")
        constraints = [
            # Also the index of the unread counts' probe (message, reader) and of "who read
            # this message" (message).
            models.UniqueConstraint(fields=["message", "reader"], name="one_read_per_reader"),
            models.UniqueConstraint(fields=["message"], condition=models.Q(reader__isnull=True),
                                    name="one_unattributed_read"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} read by {self.reader_id} at {self.read_at:%Y-%m-%d %H:%M}"

    @property
    def reader_as(self) -> ActingPerson | None:
        """The reader and as whom they read (the client, a parent, a representative); None for
        a read whose reader was not recorded."""
        return acting_person(self.reader, self.message)
