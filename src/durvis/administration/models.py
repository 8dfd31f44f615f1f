"""The administration's own records: an institution's periodic access reviews (A7, A5; seed
4.3.4 lines 2127-2139, G44: "the holder must regularly review the access rights of its own
users and of its providers' users").

A review is written once, when the administrator sends it, with one decision for each person
who had rights on the institution's services at that moment: confirmed, or revoked (the roles
taken through `identity.services.revoke_staff_roles` for the institution's own staff; for a
provider's staff the decision is a request to that provider's administrator, who manages its
own users, and is shown on their review page). Both are in the activity log too.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from durvis.identity.models import Institution, StaffMember


class AccessReview(models.Model):
    """One completed access review of `institution` by `reviewer`, at `completed_at`."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["institution", "-completed_at"],
                                name="access_review_latest")]

    def __str__(self) -> str:
        return f"{self.institution_id} reviewed {self.completed_at:%Y-%m-%d}"


class AccessDecision(models.Model):
    """What a review decided about one person: their institution and roles at the review, and
    whether they were confirmed or revoked."""

    class Decision(models.TextChoices):
        CONFIRM = "confirm", _("Confirm")
        REVOKE = "revoke", _("Revoke")

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="decisions")
    member = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    roles = models.JSONField(default=list)
    decision = models.CharField(max_length=10, choices=Decision.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "member"],
                                               name="access_decision_once")]
        indexes = [models.Index(fields=["institution", "decision"], name="access_decision_inst")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.decision}"
