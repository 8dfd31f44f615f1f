"""The service catalogue (pakalpojumu katalogs): services, categories, life situations (A1, C4)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from durvis.identity.models import Institution


class TreeNode(models.Model):
    """A node of a small tree (categories, life situations): a slug, a name and a parent."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name


class Category(TreeNode):
    """A service category (pakalpojumu kategorija)."""

    class Meta(TreeNode.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class LifeSituation(TreeNode):
    """A life situation (dzīves situācija), such as the birth of a child."""

    class Meta(TreeNode.Meta):
        verbose_name = _("life situation")
        verbose_name_plural = _("life situations")


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    COMPANIES = "companies", _("Companies")
    ALL = "all", _("Residents and companies")
    INTERNAL = "internal", _("Internal: employees only")


class Channel(models.TextChoices):
    """Channels through which a service is applied for or its result received."""

    EACCOUNT = "eaccount", _("E-account (online)")
    CENTRE = "centre", _("Client service centre")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")


class FeeKind(models.TextChoices):
    NONE = "none", _("Free of charge")
    PREPAYMENT = "prepayment", _("Paid before the service")
    POSTPAYMENT = "postpayment", _("Paid after the service")


class ServiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


def validate_channels(value: Any) -> None:
    if not isinstance(value, list) or any(v not in Channel.values for v in value):
        raise ValidationError(_("Choose channels from the list."), code="channels")


class Service(models.Model):
    """A public service (pakalpojums) with its unique, never reused numeric code."""

    code = models.PositiveIntegerField(_("service code"), unique=True, editable=False)
    pilot_code = models.CharField(_("pilot label"), max_length=10, blank=True)
    name = models.CharField(_("name"), max_length=255)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    holder = models.ForeignKey(
        Institution, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="held_services"
    )
    providers = models.ManyToManyField(
        Institution, verbose_name=_("providers"), blank=True, related_name="provided_services"
    )
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    municipality = models.ForeignKey(
        Institution,
        verbose_name=_("municipality (empty: state-wide)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"kind": Institution.Kind.MUNICIPALITY},
        related_name="municipal_services",
    )
    categories = models.ManyToManyField(Category, verbose_name=_("categories"), blank=True,
                                        related_name="services")
    life_situations = models.ManyToManyField(
        LifeSituation, verbose_name=_("life situations"), blank=True, related_name="services"
    )
    application_channels = models.JSONField(
        _("channels of application"), default=list, blank=True, validators=[validate_channels]
    )
    result_channels = models.JSONField(
        _("channels of the result"), default=list, blank=True, validators=[validate_channels]
    )
    fee_kind = models.CharField(_("fee"), max_length=20, choices=FeeKind.choices,
                                default=FeeKind.NONE)
    fee_amount = models.DecimalField(
        _("fee amount (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    processing_days = models.PositiveIntegerField(_("processing time (days)"), null=True,
                                                  blank=True)
    legal_acts = models.TextField(_("legal acts"), blank=True, help_text=_("One per line."))
    status = models.CharField(_("status"), max_length=20, choices=ServiceStatus.choices,
                              default=ServiceStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Moved on by every change; the administrator's edit form carries it (durvis.core.concurrency).
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        # Covers the visibility filter, so counting and narrowing search matches read the index
        # only, not the wide rows with their texts in two languages.
        indexes = [models.Index(fields=["status", "audience", "id", "code"],
                                name="service_visibility")]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot_code"], condition=~models.Q(pilot_code=""), name="unique_pilot_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.status == ServiceStatus.PUBLISHED and not self.application_channels:
            raise ValidationError({"application_channels": _(
                "A published service names at least one channel of application.")})
        if self.fee_kind == FeeKind.NONE:
            self.fee_amount = None
        elif self.fee_amount is None or self.fee_amount <= 0:
            raise ValidationError({"fee_amount": _("A paid service needs a fee amount above zero.")})

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Services are withdrawn, never deleted: a code is never reused."""
        raise ValidationError(_("A service cannot be deleted; withdraw it instead."))

    @property
    def legal_act_list(self) -> list[str]:
        return [line.strip() for line in self.legal_acts.splitlines() if line.strip()]

    @property
    def application_channel_labels(self) -> list[str]:
        return [str(Channel(c).label) for c in self.application_channels]

    @property
    def result_channel_labels(self) -> list[str]:
        return [str(Channel(c).label) for c in self.result_channels]
