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

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.catalog.models import Service


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
