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

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from durvis.catalog.models import Service
from durvis.core.models import ClientOwnedRequired
from durvis.documents.models import Document
from durvis.identity.models import Institution, Person
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
    ASSISTED = "assisted", _("At a client-service centre, with an agent")


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


class PrefillTicket(models.Model):
    """A holder's system's request to open its service's e-form for a client with prefilled
    answers and a return address (B9, A10; `POST /api/v1/applications/prefill`): the client
    follows a one-time, short-lived link of the platform (`DURVIS_PREFILL_MINUTES`), signs in,
    and a new application starts with the `answers` and `return_url`.

    Only the SHA-256 of the link's token is stored (`token_hash`): the token is in the link
    alone. `personal_code` (empty: anyone the link reaches) is the only person who may use it.
    Using it (`used_at`) or its expiry ends it; the answers are removed when it is used."""

    token_hash = models.CharField(max_length=64, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("identity.Institution", on_delete=models.PROTECT,
                                    related_name="+")
    api_client_id = models.PositiveIntegerField()
    answers = models.JSONField(default=dict)
    return_url = models.URLField(max_length=500)
    personal_code = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    application = models.OneToOneField(Application, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("prefill ticket")
        verbose_name_plural = _("prefill tickets")

    def __str__(self) -> str:
        return f"prefill of {self.service_id} ({'used' if self.used_at else 'open'})"


class IdentityDocument(models.TextChoices):
    """The identity document an agent checked to identify a client in person (A3)."""

    ID_CARD = "id_card", _("Identity card")
    PASSPORT = "passport", _("Passport")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")


class AssistedApplication(models.Model):
    """An application an agent at a client-service centre fills in for a client who is present
    (the e-service assistant, A3; seed 4.2 and 4.4.1.4): the application itself is an ordinary
    `Application` of the client (its `started_by` is the client, who signs it), filled in
    through the same engine; this row records the assistance and its basis.

    - who: `agent` (the staff user who keyed it in), of `institution` (a holder or provider of
      the service), at `service_point` (the centre);
    - how the client was identified: `document_kind` and `document_number` of the identity
      document checked (the personal code is the client's own row; it is never copied here);
    - the basis: the summary printed for the client's signature (`summary_printed_at`) and the
      scan of the signed paper (`scan`, a document of the client received from the agent's
      institution, linked to the case on confirmation), without which nothing is submitted;
    - `confirmed_at`: when the agent confirmed the submission (the application's case then
      says "acted by an agent", with the agent and the signed authorisation as its basis);
    - for a company served (the application's `client_company`): the person present who acts
      for it (`representative`, identified by the document above) and their capacity
      (`representative_basis`: `role:company:<id>` for one who may act alone by the
      enterprise register, `mandate:<id>` for a mandate of the company with the right to
      apply reaching the service).

    The signed originals are sent to the holder periodically: the monthly list per holder reads
    the confirmed rows (`eforms.queries.originals`)."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT,
                                       related_name="assisted")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    service_point = models.CharField(_("service point"), max_length=100)
    document_kind = models.CharField(_("identity document"), max_length=20,
                                     choices=IdentityDocument.choices)
    document_number = models.CharField(_("document number"), max_length=20)
    identified_at = models.DateTimeField(auto_now_add=True)
    summary_printed_at = models.DateTimeField(null=True, blank=True)
    representative = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    representative_basis = models.CharField(max_length=64, blank=True, db_default="")
    scan = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("assisted application")
        verbose_name_plural = _("assisted applications")
        indexes = [models.Index(fields=["institution", "confirmed_at"],
                                name="assisted_originals")]

    def __str__(self) -> str:
        return f"assisted {self.application_id} ({'confirmed' if self.confirmed_at else 'open'})"

    @property
    def representative_mandate(self) -> str:
        """The number of the mandate of the company the representative acts under
        (`representative_basis` `mandate:<id>`); "" when they act by the enterprise register
        or for no company."""
        kind, _sep, ident = self.representative_basis.partition(":")
        return ident if kind == "mandate" and ident.isdigit() else ""
