"""The request register (pieprasījumu reģistrs, B1): every service case and consultation from
every channel, with the full history of its statuses. The e-account, the workplace, analytics and
costs read it; nothing keeps a second copy of "what happened to this case"."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from durvis.catalog.models import Service, Stage
from durvis.core.models import ClientOwned
from durvis.identity.models import Institution, Person
from durvis.identity.queries import ActingPerson


class CaseStatus(models.TextChoices):
    """The one standard status vocabulary; institutions' own names map onto it per service."""

    RECEIVED = "received", _("Received")
    REGISTERED = "registered", _("Registered")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_CLIENT = "waiting_for_client", _("Waiting for the client")
    DECIDED = "decided", _("Decided")
    RESULT_DELIVERED = "result_delivered", _("Result delivered")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CasePaymentStatus(models.TextChoices):
    """The case's payment status (A8, G30), set by the payments app from the case's invoices:
    the state of the invoice that most needs the client."""

    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    OVERDUE = "overdue", _("Payment overdue")
    PAID = "paid", _("Paid")
    OVERPAID = "overpaid", _("Overpaid")
    CANCELLED = "cancelled", _("Invoice cancelled")
    CREDITED = "credited", _("Invoice credited")


class IdentificationLevel(models.TextChoices):
    SIGNED_IN = "signed_in", _("Signed in")
    IDENTIFIED_BY_AGENT = "identified_by_agent", _("Identified by an agent")
    PHONE_ONLY = "phone_only", _("Phone number only")
    ANONYMOUS = "anonymous", _("Anonymous")


class RegisterChannel(models.TextChoices):
    EACCOUNT = "eaccount", _("E-account / web")
    CENTRE = "centre", _("Client service centre")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")
    BACK_OFFICE = "back_office", _("Back-office system")


class ActedBy(models.TextChoices):
    CLIENT = "client", _("The client")
    REPRESENTATIVE = "representative", _("A representative under a mandate")
    AGENT = "agent", _("An agent on the client's behalf")
    SYSTEM = "system", _("A back-office system")


# The basis of a case an agent submitted with the e-service assistant (A3), in
# `ServiceCase.mandate_reference`: the document id of the scan of the authorisation the client
# signed (`durvis.eforms.assistant`).
SIGNED_AUTHORISATION = "signed-authorisation:"


class ServiceCase(ClientOwned):
    """A service case (pakalpojuma lieta): one application for one service."""

    number = models.CharField(_("case number"), max_length=32, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    sequence = models.BigIntegerField()
    identification = models.CharField(max_length=24, choices=IdentificationLevel.choices)
    client_phone = models.CharField(max_length=20, blank=True)
    acted_by = models.CharField(max_length=16, choices=ActedBy.choices)
    representative = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    mandate_reference = models.CharField(max_length=64, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    application_channel = models.CharField(max_length=16, choices=RegisterChannel.choices)
    result_channel = models.CharField(max_length=16, choices=RegisterChannel.choices, blank=True)
    provider = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    service_point = models.CharField(max_length=100, blank=True)
    holder = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    holder_reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=24, choices=CaseStatus.choices)
    holder_status = models.CharField(max_length=100, blank=True)
    status_at = models.DateTimeField()
    payment_status = models.CharField(max_length=24, blank=True,
                                      choices=CasePaymentStatus.choices)
    applied_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The position of the case's latest change (`durvis.register.changes`): the writing
    # transaction's id on PostgreSQL (0 on SQLite and before) and the change number.
    change_xid = models.BigIntegerField(default=0, db_default=0)
    change_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "sequence"], name="case_service_sequence"),
        ]
        indexes = [
            models.Index(fields=["holder", "change_xid", "change_seq"],
                         name="case_holder_position"),
            models.Index(fields=["provider", "change_xid", "change_seq"],
                         name="case_provider_position"),
            models.Index(fields=["client_person", "-applied_at"], name="case_person_history"),
            models.Index(fields=["client_company", "-applied_at"], name="case_company_history"),
            models.Index(fields=["holder", "holder_reference"], name="case_holder_reference"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def basis(self) -> tuple[str, str]:
        """What a submission for someone else rests on, read from `mandate_reference`:
        ("mandate", "<mandate id>"), ("signed-authorisation", "<document id>"), ("person",
        "<id>") for a parent's role (population register), ("company", "<id>") for a company
        representative's (enterprise register); ("", "") for the client's own or none."""
        kind, _sep, ident = self.mandate_reference.partition(":")
        if kind == "role":
            kind, _sep, ident = ident.partition(":")
        if kind in ("mandate", "signed-authorisation", "person", "company") and (
                ident.isascii() and ident.isdigit()):
            return kind, ident
        return "", ""

    @property
    def signed_authorisation_id(self) -> int | None:
        """The id of the scanned signed authorisation (a `documents.Document`) an agent's
        submission rests on (A3: `mandate_reference` `signed-authorisation:<id>`); None for
        any other basis."""
        reference = self.mandate_reference
        if not reference.startswith(SIGNED_AUTHORISATION):
            return None
        number = reference[len(SIGNED_AUTHORISATION):]
        return int(number) if number.isdigit() else None


class EventKind(models.TextChoices):
    STATUS = "status", _("Status change")
    RESULT = "result", _("Result")
    PAYMENT = "payment", _("Payment status")
    ACKNOWLEDGED = "acknowledged", _("Received by the holder's system")
    FEEDBACK = "feedback", _("Feedback")


class CaseEvent(models.Model):
    """One row of a case's history. `occurred_at` orders the history (events may arrive late);
    `recorded_at` is when the platform learnt of it; `dedup_key` makes a repeated event a no-op."""

    case = models.ForeignKey(ServiceCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    holder_status = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=20)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_institution = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    dedup_key = models.CharField(max_length=100)
    # Not a column: who acted for the client when the actor is a person (a rating), as the
    # register's reads fill it in (`queries.read_case`, `queries.client_case`; A2, C1).
    acting: ActingPerson | None = None

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "dedup_key"], name="case_event_dedup"),
        ]
        indexes = [models.Index(fields=["case", "occurred_at"], name="case_event_history")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.status} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def payment_label(self) -> str:
        """A payment event's status in the reader's language ("Paid"), or ""."""
        if self.kind != EventKind.PAYMENT or self.holder_status not in CasePaymentStatus.values:
            return ""
        return str(CasePaymentStatus(self.holder_status).label)


class StatusMapping(models.Model):
    """An institution's own status name for a service, mapped onto the standard vocabulary."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    holder_status = models.CharField(max_length=100)
    status = models.CharField(max_length=24, choices=CaseStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "holder_status"], name="status_mapping"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.holder_status} → {self.status}"


class CaseSequence(models.Model):
    """The last case sequence number given for a service (row-locked while a case is added)."""

    service = models.OneToOneField(Service, primary_key=True, on_delete=models.CASCADE,
                                   related_name="+")
    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.service_id}: {self.last}"


class ChangeCounter(models.Model):
    """One row: the last change number given on SQLite (`durvis.register.changes`; PostgreSQL
    uses the sequence `register_change_seq`)."""

    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.last)


class Feedback(models.Model):
    """The client's rating (1–5) and comment, once per case or consultation."""

    case = models.OneToOneField(ServiceCase, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="feedback")
    consultation = models.OneToOneField("Consultation", null=True, blank=True,
                                        on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    given_at = models.DateTimeField(auto_now_add=True)
    given_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+",
                                 help_text=_("Who rated for the client: the client, a parent, a "
                                             "representative (empty before it was recorded)."))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5),
                                   name="feedback_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5"


class ConsultationOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    ROUTED = "routed", _("Routed to a specialist or the holder")
    CASE_OPENED = "case_opened", _("A case was opened")


class Consultation(ClientOwned):
    """Information given about a service or topic (konsultācija), through any channel."""

    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    topic = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, choices=RegisterChannel.choices)
    identification = models.CharField(max_length=24, choices=IdentificationLevel.choices)
    client_phone = models.CharField(max_length=20, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    agent_reference = models.CharField(max_length=64, blank=True)
    provider = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=ConsultationOutcome.choices)
    case = models.ForeignKey(ServiceCase, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="consultations")
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["provider", "occurred_at"], name="consultation_provider"),
            models.Index(fields=["client_person", "-occurred_at"], name="consultation_person"),
            models.Index(fields=["client_company", "-occurred_at"], name="consultation_company"),
        ]

    def __str__(self) -> str:
        return f"{self.topic or self.service_id} ({self.channel})"


MAX_WORK_SECONDS = 12 * 3600  # one stretch of work on one case: at most a long working day


class WorkTime(models.Model):
    """Time a staff member spent on one case or consultation at one stage (D2, B1: darba laika
    uzskaite): recorded automatically from opening to closing (a task held from taking it to
    moving it on, handing it over or putting it back; a consultation's timed conversation),
    corrected by the one who worked with a reason (`corrected_seconds`, the recorded figure
    kept). The register's per-case stages with their executor and times are these rows."""

    case = models.ForeignKey(ServiceCase, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="work")
    consultation = models.ForeignKey(Consultation, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="work")
    staff = models.ForeignKey("identity.StaffMember", on_delete=models.PROTECT,
                              related_name="work")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    step = models.CharField(max_length=40, blank=True)  # the workflow step, when one
    service_point = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    seconds = models.PositiveIntegerField()
    corrected_seconds = models.PositiveIntegerField(null=True, blank=True)
    correction_reason = models.CharField(max_length=500, blank=True)
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["institution", "started_at"], name="work_institution"),
            models.Index(fields=["staff", "-started_at"], name="work_staff"),
            models.Index(fields=["case", "started_at"], name="work_case",
                         condition=models.Q(case__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ended_at__gte=models.F("started_at")),
                                   name="work_ordered"),
            models.CheckConstraint(condition=models.Q(case__isnull=False)
                                   | models.Q(consultation__isnull=False), name="work_about"),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.stage} {self.seconds}s"

    @property
    def effective_seconds(self) -> int:
        """The corrected figure when there is one, else the recorded one."""
        return self.seconds if self.corrected_seconds is None else self.corrected_seconds

    @property
    def minutes(self) -> int:
        """The effective time in whole minutes, rounded."""
        return round(self.effective_seconds / 60)

    @property
    def recorded_minutes(self) -> int:
        """The recorded time in whole minutes, rounded (beside a correction)."""
        return round(self.seconds / 60)
