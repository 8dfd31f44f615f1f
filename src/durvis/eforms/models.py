"""E-form definitions (A10): one form per catalogue service, in numbered versions.

A version is a draft while the builder edits it, then published (what new applications use;
at most one per form, a unique constraint) and at last retired (superseded by a newer one or
withdrawn). A published or retired version never changes: `save` refuses a change of its
definition and `delete` refuses to remove it, and so do database triggers
(migration 0002), so neither a bulk `update()` nor SQL slips past; a change is made in a new
draft version. An application keeps the version it was started with (it will hold a foreign key
that protects the version). The definition is a `durvis-form/1` document
(`durvis.eforms.definition`), checked before every save by the services.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from durvis.catalog.models import Service
from durvis.core.models import ClientOwnedRequired
from durvis.identity.models import Person
from durvis.register.models import ServiceCase


class ImmutableVersion(Exception):
    """A published or retired form version was to be changed or deleted."""


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class FormDefinition(models.Model):
    """The e-form of one catalogue service (its versions hold the content)."""

    service = models.OneToOneField(Service, on_delete=models.PROTECT, related_name="eform")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-form")
        verbose_name_plural = _("e-forms")

    def __str__(self) -> str:
        return f"e-form of {self.service_id}"


class FormVersion(models.Model):
    """One numbered version of a service's e-form: its `definition` (a `durvis-form/1`
    document) and the SHA-256 of its canonical JSON (`checksum`, the engine's cache key)."""

    form = models.ForeignKey(FormDefinition, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=VersionStatus.choices,
                              default=VersionStatus.DRAFT)
    definition = models.JSONField()
    checksum = models.CharField(max_length=64)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("e-form version")
        verbose_name_plural = _("e-form versions")
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="eforms_version_number"),
            models.UniqueConstraint(fields=["form"], condition=Q(status="published"),
                                    name="eforms_one_published"),
            models.UniqueConstraint(fields=["form"], condition=Q(status="draft"),
                                    name="eforms_one_draft"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id} v{self.number} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = FormVersion.objects.filter(pk=self.pk).values(
                "status", "definition", "checksum").first()
            if stored and stored["status"] != VersionStatus.DRAFT and (
                    stored["checksum"] != self.checksum or stored["definition"] != self.definition
                    or self.status == VersionStatus.DRAFT
                    or (stored["status"] == VersionStatus.RETIRED
                        and self.status != VersionStatus.RETIRED)):
                raise ImmutableVersion("A published or retired form version never changes: "
                                       "make a new draft version.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.status != VersionStatus.DRAFT:
            raise ImmutableVersion("A published or retired form version is never deleted.")
        return super().delete(*args, **kwargs)


class ApplicationStatus(models.TextChoices):
    """Where an application (pieteikums) stands: a draft the client fills page by page, then
    submitted (it became a case in the register), or ended without a case: expired (the draft
    was left longer than `DURVIS_DRAFT_DAYS`) or discarded by the client."""

    DRAFT = "draft", pgettext_lazy("application status", "In progress")
    SUBMITTED = "submitted", _("Submitted")
    EXPIRED = "expired", _("Expired")
    DISCARDED = "discarded", _("Discarded")


class ApplicationOrigin(models.TextChoices):
    """Where the application was started: the service page of the platform, a holder's system
    that opened the form with a prefilled payload and a return address (a signed request), or a
    form embedded in another portal."""

    PLATFORM = "platform", _("The platform")
    HOLDER = "holder", _("The holder's system")
    EMBEDDED = "embedded", _("Embedded in another portal")


class Application(ClientOwnedRequired):
    """One client's application through a service's e-form (A10, A3): the answers so far, on
    the form version it started with (a protecting foreign key: the version outlives it), for
    the client of the role it was started in (`client_person` / `client_company`) by the person
    who acted (`started_by`). Submitting opens the case (`case`, one at most) and stamps its
    change position (`change_xid`, `change_seq`: the case's position when it was opened, so the
    holders' feed `GET /api/v1/applications?since=` reads submissions in commit order).

    `pages_done` lists the page keys the client has passed, in order (a skipped page or a
    tampered page key is refused against it); `current_page` is where the client resumes.
    `version` is the optimistic-concurrency counter (`durvis.core.concurrency`): two tabs of
    one draft cannot overwrite each other's answers unseen."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT,
                                     related_name="applications")
    started_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    role_key = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT)
    origin = models.CharField(max_length=10, choices=ApplicationOrigin.choices,
                              default=ApplicationOrigin.PLATFORM)
    answers = models.JSONField(default=dict)
    pages_done = models.JSONField(default=list)
    current_page = models.CharField(max_length=40, blank=True)
    result_channel = models.CharField(max_length=16, blank=True)
    service_point = models.CharField(max_length=100, blank=True)
    return_url = models.URLField(max_length=500, blank=True)
    case = models.OneToOneField(ServiceCase, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    change_xid = models.BigIntegerField(default=0)
    change_seq = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta(ClientOwnedRequired.Meta):
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [
            models.Index(fields=["client_person", "status", "-changed_at"],
                         name="application_person_status"),
            models.Index(fields=["client_company", "status", "-changed_at"],
                         name="application_company_status"),
            models.Index(fields=["status", "expires_at"], name="application_expiry"),
            models.Index(fields=["service", "change_xid", "change_seq"],
                         name="application_position"),
        ]

    def __str__(self) -> str:
        return f"application {self.reference} ({self.status})"
