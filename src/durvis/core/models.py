"""Tables of the platform's own mechanisms: domain events and their deliveries to subscribers,
and the abstract model of every record that belongs to a client.

An event is written by `durvis.core.events.publish` in the transaction of the change it
describes, with one `EventDelivery` per subscriber; a rolled-back change leaves neither. The
worker runs the deliveries (see `durvis.core.events.dispatch_due`); each running worker process
has a `WorkerProcess` row (see `durvis.core.worker`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DomainEvent(models.Model):
    """Something that happened (`name`, e.g. `case.status_changed`) to one aggregate (`key`,
    e.g. `case:123`: subscribers get the events of one key in order). `payload` holds
    identifiers and facts, never personal codes or secrets."""

    name = models.CharField(max_length=60)
    key = models.CharField(max_length=80)
    payload = models.JSONField()
    actor = models.CharField(max_length=40, blank=True)
    occurred_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.key}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be handled")
    DONE = "done", _("Handled")
    DEAD = "dead", _("Given up (dead letter)")


class EventDelivery(models.Model):
    """One event for one subscriber: handled at least once, and marked done in the handler's own
    transaction, so its effects and the mark commit together (idempotent per event and
    subscriber). Failures are retried with back-off; the last failure leaves a dead letter that
    an administrator can replay."""

    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=80)
    key = models.CharField(max_length=80)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due time; while a worker runs it, the end of its lease (`leased_by`: the worker's id).
    next_attempt_at = models.DateTimeField()
    leased_by = models.CharField(max_length=64, blank=True, default="")
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"],
                                               name="event_delivery_once")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="event_delivery_due"),
            models.Index(fields=["subscriber", "key", "status"], name="event_delivery_order"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← {self.event_id} ({self.status})"


class WorkerProcess(models.Model):
    """A running worker process (`manage.py run_worker`), registered when it starts, seen again
    at every scheduler tick and removed when it stops; a row that stops being seen (or whose
    process is gone from this host) is a dead worker, whose leases and running task the
    scheduler gives back (`durvis.core.worker.recover`)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id}"


class ClientOwned(models.Model):
    """A record that belongs to one client (klients): a person, or a company (`client_company`,
    with the person who acted for it in `client_person` where the record names one). Cases,
    consultations, documents, conversations and messages are client-owned; the access policy's
    client rules (`durvis.identity.rules`) and list filter (`owner_filter`) read these two
    columns only."""

    client_person = models.ForeignKey("identity.Person", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    client_company = models.ForeignKey("identity.Company", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class ClientOwnedRequired(ClientOwned):
    """A client-owned record that always has its client (a document, a conversation, a message;
    unlike a case or consultation, which may be anonymous or by phone only): one constraint,
    named after the table."""

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client_person__isnull=False)
                | models.Q(client_company__isnull=False),
                name="%(app_label)s_%(class)s_has_owner"),
        ]
