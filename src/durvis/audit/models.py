"""The activity log (B5): who did what to which object, whose data it was, and why.

Append-only and hash-chained. To keep the chain off the register's critical path there are
`AUDIT_CHAINS` independent chains; an event joins one of the few chains its actor hashes to (the
one its transaction holds: `services.lock_head`), so one actor's transactions and different
actors append in parallel, and one actor's events are in order by id across its chains. Each
row stores the hash of the previous row of its chain and the HMAC-SHA256 of (that hash + its
own canonical content) under the audit key `key_id` names (`keys`: the keys are never in the
database, so whoever can write it still cannot recompute a hash); the chain head keeps the last
sequence number and hash, and checkpoints outside the database (`checkpoints`) keep them too, so
that deleting the newest rows and rolling the head back, or wiping a chain, is found as well.

`service_code` names the catalogue service an event concerns (from the recording app's
`details["service"]`, or the service of the object it is about), so that a holder reads the
events on its own services and the administration filters by service (B5, A5; seed 4.3.5
lines 2166-2170). It is part of the hashed content whenever it is set; rows written before it
existed carry none, and are read by their actor's institution and the platform's administrators.
"""

from __future__ import annotations

from typing import Any

from django.db import models

# The number of chains, and of them each actor's set (`services.chains_of`): a transaction
# holds one head until it ends, so an actor writes from up to CHAINS_PER_ACTOR transactions at
# once without waiting for itself (issue 21).
AUDIT_CHAINS = 64
CHAINS_PER_ACTOR = 8
GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    chain = models.PositiveSmallIntegerField()
    chain_seq = models.BigIntegerField()
    occurred_at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=20)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_institution = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    subject_person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # A company whose data the event touched (B4, B5: its representatives see the uses).
    subject_company_id = models.BigIntegerField(null=True, blank=True)
    # Where the acting staff member said they work (`StaffMember.service_point`), if anywhere.
    service_point = models.CharField(max_length=120, blank=True, db_default="")
    service_code = models.PositiveIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    source_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    key_id = models.CharField(max_length=20)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            # "Who used my data" (`queries.uses_of`): a person's page of uses by others, newest
            # first, read from the index whatever the length of the log.
            models.Index(fields=["subject_person_id", "-id"], name="audit_subject_uses",
                         condition=models.Q(actor_kind__in=("staff", "api_client", "operator"))),
            # The administration's activity log by role (`administration.audit`): an institution
            # reads its own staff's and systems' events and those on the services it holds,
            # newest first, from these indexes (keyset pages: `id < before`).
            models.Index(fields=["subject_company_id", "-id"], name="audit_company_uses",
                         condition=models.Q(actor_kind__in=("staff", "api_client", "operator"),
                                            subject_company_id__isnull=False)),
            models.Index(fields=["actor_institution", "-id"], name="audit_by_institution"),
            models.Index(fields=["service_code", "-id"], name="audit_by_service",
                         condition=models.Q(service_code__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "chain_seq"], name="audit_chain_seq")
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_id} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """The newest row of one chain; locked while a transaction appends to that chain."""

    chain = models.PositiveSmallIntegerField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.last_seq}"


class CheckpointSchedule(models.Model):
    """When the worker's checkpoint task is next due: one row, locked by each run, so that
    however many times the task was queued, one run an interval writes a checkpoint and queues
    the next (`checkpoints.write_checkpoints`)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    next_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"next audit checkpoint at {self.next_at:%Y-%m-%d %H:%M:%S}"


class FlaggedUse(models.Model):
    """A use of a person's data with nothing behind it that the person gave or asked for (a
    360° view with neither a case nor the client's consent: B4, B5; issue 16), flagged when it
    was recorded for the acting institution's review, and shown to the person as flagged in
    "who used my data". The institution's administrator marks it reviewed with a note."""

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="+")
    institution_code = models.CharField(max_length=20)
    reason = models.CharField(max_length=40)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["institution_code", "reviewed_at", "-id"],
                                name="audit_flagged_open")]

    def __str__(self) -> str:
        return f"{self.institution_code}: event {self.event_id} ({self.reason})"
