"""Mandates (pilnvaras, deleģējumi, C1, A2, A12): one person or company lets another act for it.

A mandate names its grantor (a person, or a company that granted it through a representative
with the power to act alone: `granted_by`), its grantee (a person; a company, whose own
representatives then act; or a provider institution, for assisted service), its scope (all
services, listed services, service categories), its rights (each a separate flag), its period
(dates, both inclusive; no end: until revoked), whether it may be passed on (a sub-mandate names
its `parent` and never exceeds it), its state and its basis.

`expired` is never stored: an active mandate whose `valid_until` has passed is expired
(`Mandate.current_state`). Decisions read only active mandates in their period
(`queries.active_filter`), through the index on (grantee, state, period).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from durvis.catalog.models import Category, Service
from durvis.identity.models import Company, Institution, Person


class MandateState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACTIVE = "active", _("Active")
    REFUSED = "refused", _("Refused")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")  # derived, never stored


class MandateScope(models.TextChoices):
    ALL = "all", _("All services")
    SERVICES = "services", _("Chosen services")
    CATEGORIES = "categories", _("Service categories")


class MandateBasis(models.TextChoices):
    EACCOUNT = "eaccount", _("Granted in the e-account")
    SCANNED_PAPER = "scanned_paper", _("A signed paper scanned at a centre")
    NOTARIAL_DEED = "notarial_deed", _("A notarial deed")
    PARENT = "parent", _("A parent of a minor (population register)")
    GUARDIAN = "guardian", _("A guardian appointed by a court (aizbildnis)")
    TRUSTEE = "trustee", _("A trustee appointed by a court (aizgādnis)")
    BOARD_MEMBER = "board_member", _("A board member (enterprise register)")


# The bases a client-service agent records from a paper the signer brings (`services.
# record_on_paper`): each needs its scan.
PAPER_BASES = (MandateBasis.SCANNED_PAPER, MandateBasis.NOTARIAL_DEED)


class Right(models.TextChoices):
    """The rights a mandate gives, each separately (the `may_<right>` columns)."""

    APPLY = "apply", _("Apply for services")
    READ = "read", _("See cases and documents")
    RECEIVE_RESULT = "receive_result", _("Receive the result")
    PAY = "pay", _("Pay")
    SIGN = "sign", _("Sign")
    ANSWER_MESSAGES = "answer_messages", _("Answer messages")


class Mandate(models.Model):
    """One mandate. Exactly one grantor column and one grantee column is set."""

    grantor_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="mandates_given")
    grantor_company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="mandates_given")
    grantee_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="mandates_received")
    grantee_company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="mandates_received")
    grantee_institution = models.ForeignKey(Institution, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(_("scope"), max_length=12, choices=MandateScope.choices,
                             default=MandateScope.ALL)
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    may_apply = models.BooleanField(_("apply"), default=False)
    may_read = models.BooleanField(_("see cases and documents"), default=False)
    may_receive_result = models.BooleanField(_("receive the result"), default=False)
    may_pay = models.BooleanField(_("pay"), default=False)
    may_sign = models.BooleanField(_("sign"), default=False)
    may_answer_messages = models.BooleanField(_("answer messages"), default=False)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    transferable = models.BooleanField(_("may be passed on"), default=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="passed_on")
    state = models.CharField(max_length=10, choices=MandateState.choices)
    basis = models.CharField(max_length=16, choices=MandateBasis.choices,
                             default=MandateBasis.EACCOUNT)
    # A mandate on paper (basis `scanned_paper` or `notarial_deed`), recorded by a client-service
    # agent with the signer in front of them: the agent's institution, the scan kept as the
    # grantor's document received from it (a `documents.Document` id: documents sit above
    # mandates, so no foreign key), and for a notarial deed its number in the notary's register,
    # the notary and the day it was made.
    recorded_by_institution = models.ForeignKey(Institution, null=True, blank=True,
                                                on_delete=models.PROTECT, related_name="+")
    evidence_document_id = models.PositiveBigIntegerField(null=True, blank=True)
    deed_number = models.CharField(max_length=40, blank=True, default="", db_default="")
    deed_notary = models.CharField(max_length=200, blank=True, default="", db_default="")
    deed_date = models.DateField(null=True, blank=True)
    requested_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    granted_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        indexes = [
            # The decision path: what does this grantee hold now (state, then the period).
            models.Index(fields=["grantee_person", "state", "valid_from", "valid_until"],
                         name="mandate_grantee_person"),
            models.Index(fields=["grantee_company", "state", "valid_from", "valid_until"],
                         name="mandate_grantee_company"),
            models.Index(fields=["grantor_person", "state"], name="mandate_grantor_person"),
            models.Index(fields=["grantor_company", "state"], name="mandate_grantor_company"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(grantor_person__isnull=False, grantor_company__isnull=True)
                           | models.Q(grantor_person__isnull=True,
                                      grantor_company__isnull=False)),
                name="mandate_one_grantor"),
            models.CheckConstraint(
                condition=(
                    models.Q(grantee_person__isnull=False, grantee_company__isnull=True,
                             grantee_institution__isnull=True)
                    | models.Q(grantee_person__isnull=True, grantee_company__isnull=False,
                               grantee_institution__isnull=True)
                    | models.Q(grantee_person__isnull=True, grantee_company__isnull=True,
                               grantee_institution__isnull=False)),
                name="mandate_one_grantee"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="mandate_period_in_order"),
            models.CheckConstraint(
                condition=~models.Q(basis__in=PAPER_BASES)
                | models.Q(evidence_document_id__isnull=False),
                name="mandate_paper_has_scan"),
            models.CheckConstraint(
                condition=~models.Q(basis=MandateBasis.NOTARIAL_DEED)
                | (~models.Q(deed_number="") & models.Q(deed_date__isnull=False)),
                name="mandate_deed_named"),
        ]

    def __str__(self) -> str:
        return f"{_('Mandate')} {self.pk}"

    @property
    def grantor(self) -> Person | Company:
        return self.grantor_company or self.grantor_person  # type: ignore[return-value]

    @property
    def grantee(self) -> Person | Company | Institution:
        return (self.grantee_company or self.grantee_institution
                or self.grantee_person)  # type: ignore[return-value]

    @property
    def rights(self) -> frozenset[str]:
        """The rights this mandate gives (values of `Right`)."""
        return frozenset(r for r in Right.values if getattr(self, f"may_{r}"))

    def current_state(self, on: datetime.date | None = None) -> str:
        """The state as the person is shown it on `on` (today): an active mandate whose period
        ended is expired; one whose period has not begun is still active (it waits: shown as not
        yet in force, `waiting_to_start`)."""
        on = on or timezone.localdate()
        if self.state == MandateState.ACTIVE and self.valid_until and self.valid_until < on:
            return MandateState.EXPIRED
        return self.state

    def waiting_to_start(self, on: datetime.date | None = None) -> bool:
        """Whether the mandate is active but its period begins after `on` (today): it is not
        in force yet, and the policy does not honour it before `valid_from`
        (`queries.active_filter`)."""
        on = on or timezone.localdate()
        return self.state == MandateState.ACTIVE and self.valid_from > on

    def reference(self) -> str:
        """The reference a case records when it relied on this mandate: `mandate:<id>`."""
        return f"mandate:{self.pk}"
