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
from durvis.integrations.models import ApiClient
from durvis.register.models import ServiceCase


class Topic(models.TextChoices):
    STATUS_CHANGES = "status_changes", _("Status changes of my cases")
    RESULTS = "results", _("Results of my cases")
    MESSAGES = "messages", _("New messages")
    INVOICES = "invoices", _("Invoices")
    REMINDERS = "reminders", _("Reminders")
    PROACTIVE_OFFERS = "proactive_offers", _("Offers of services that may fit me")


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
    an index. `read_at` is when the client first opened it (messages from the institution)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    sender_api_client = models.ForeignKey(ApiClient, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    sender_staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    sender_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+",
                                      help_text=_("Who wrote for the client."))
    attachments = models.ManyToManyField(Document, blank=True, related_name="+")

    class Meta(ClientOwnedRequired.Meta):
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["thread", "sent_at"], name="message_thread"),
            models.Index(fields=["client_person"], name="message_person_unread",
                         condition=models.Q(read_at__isnull=True,
                                            direction="from_institution")),
            models.Index(fields=["client_company"], name="message_company_unread",
                         condition=models.Q(read_at__isnull=True,
                                            direction="from_institution")),
            models.Index(fields=["institution", "id"], name="message_replies",
                         condition=models.Q(direction="from_client")),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return f"{reverse('inbox:thread', args=[self.thread_id])}#message-{self.pk}"

    @property
    def from_institution(self) -> bool:
        return self.direction == Direction.FROM_INSTITUTION
