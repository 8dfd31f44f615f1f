"""What a client wants to be told and how (C1): notification preferences per topic and channel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from durvis.identity.models import Person


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
    """The language a client reads their notifications in (Latvian unless they chose English)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=2, choices=[("lv", "Latviešu"), ("en", "English")],
                                default="lv")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.language}"
