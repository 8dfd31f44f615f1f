"""The service catalogue (pakalpojumu katalogs): services, categories, life situations (A1, C4)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from durvis.core.addresses import check_browser_address
from durvis.identity.models import Institution, StaffMember


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


class ApplicationMode(models.TextChoices):
    """How a service is applied for online (A10, issue 13): through the platform's e-form (the
    journey of `eforms`, when the service has a live form), at the holder's own e-service (the
    platform hands the signed-in client over with single sign-on, `eaccount.handoff`), or not
    online at all (the channels on the service page say where)."""

    PLATFORM = "platform", _("Through the platform's e-form")
    HOLDER = "holder", _("At the holder's own e-service")
    OFFLINE = "offline", _("Not online")


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
    application_mode = models.CharField(
        _("how it is applied for"), max_length=10, choices=ApplicationMode.choices,
        default=ApplicationMode.PLATFORM)
    eservice_url = models.URLField(
        _("address of the holder's e-service"), max_length=500, blank=True,
        help_text=_("https://…; one of the return addresses of an e-service your institution "
                    "registered for single sign-on (E-services and embedding)."))
    # The holder marks a service executable with the e-service assistant (A3, seed 4.4.1.4): an
    # agent at a client-service centre may then fill in and submit its application for a client
    # who is present and signs the printed summary (`durvis.eforms.rules.AssistantAction`).
    assistant_allowed = models.BooleanField(
        _("executable with the e-service assistant"), default=False,
        help_text=_("Agents at client-service centres of the holder and the providers may fill "
                    "in and submit the application for a client who signs the printed "
                    "summary."))
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
        self._clean_application_mode()
        if self.fee_kind == FeeKind.NONE:
            self.fee_amount = None
        elif self.fee_amount is None or self.fee_amount <= 0:
            raise ValidationError({"fee_amount": _("A paid service needs a fee amount above zero.")})

    def _clean_application_mode(self) -> None:
        """A holder-hosted service names its e-service's address: a browser address
        (`core.addresses`: https, no credentials) that is a return address of an active e-service
        registration of the service's holder (else no hand-off could reach it). Other modes keep
        no address."""
        if self.application_mode != ApplicationMode.HOLDER:
            self.eservice_url = ""
            return
        if not self.eservice_url:
            raise ValidationError({"eservice_url": ValidationError(
                _("Give the address of your institution's e-service."), code="required")})
        check_browser_address(self.eservice_url, "eservice_url")
        if self.holder_id is not None and not any(
                self.eservice_url in (urls or []) for urls in EService.objects.filter(
                    institution_id=self.holder_id, is_active=True).values_list(
                    "return_urls", flat=True)):
            raise ValidationError({"eservice_url": ValidationError(_(
                "Register this address as a return address of one of your institution's "
                "e-services first (E-services and embedding)."), code="unregistered")})

    @property
    def is_electronic_only(self) -> bool:
        """Applied for and received only through the e-account (A1: some services are)."""
        return (self.application_channels == [Channel.EACCOUNT]
                and self.result_channels == [Channel.EACCOUNT])

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


class Stage(models.TextChoices):
    """The stages of delivering a service (seed 4, G37) that a holder may hand to a provider:
    information (consultations), application, execution (up to executing simple services),
    result delivery."""

    INFORMATION = "information", _("Information")
    APPLICATION = "application", _("Application")
    EXECUTION = "execution", _("Execution")
    RESULT_DELIVERY = "result_delivery", _("Result delivery")


class Delegation(models.Model):
    """A holder hands one stage of one of its services to a provider institution (another
    institution, a centre, the call centre, a municipality acting as agent, a notary; seed 1.4,
    4.3, G01) for a period: from `valid_from` to `valid_until` (both days included; empty: until
    ended). The one record of who provides what (A1, B3): the catalogue shows it, the access
    policy asks it (`durvis.catalog.queries.delegated`, `serving`), analytics and costs read it.

    The holder serves every stage of its own services without a delegation. Rows are never
    deleted: ending one moves `valid_until` to the day before (`ended_at`, `ended_by`), so the
    history stays for analytics and audit; an ending before `valid_from` leaves an empty period
    (`valid_until` < `valid_from`), which is never in force."""

    service = models.ForeignKey("Service", on_delete=models.PROTECT, related_name="delegations",
                                verbose_name=_("service"))
    provider = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                 related_name="delegations", verbose_name=_("provider"))
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["service__code", "stage", "valid_from", "pk"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        indexes = [models.Index(fields=["provider", "stage", "service"],
                                name="delegation_provider_stage")]
        constraints = [models.CheckConstraint(
            condition=models.Q(valid_until__isnull=True)
            | models.Q(valid_until__gte=models.F("valid_from"))
            | models.Q(ended_at__isnull=False), name="delegation_period_ordered")]

    def __str__(self) -> str:
        return f"{self.service_id}:{self.provider_id}:{self.stage}"


class Claim(models.TextChoices):
    """What a holder's e-service may learn of the person it receives (A12), beyond the
    pairwise identifier, the name and the role (always sent)."""

    PERSONAL_CODE = "personal_code", _("Personal code (of the person, and of a child acted for)")
    EMAIL = "email", _("E-mail address")


def validate_claims(value: Any) -> None:
    if not isinstance(value, list) or any(v not in Claim.values for v in value):
        raise ValidationError(_("Choose data from the list."), code="claims")


class EService(models.Model):
    """An e-service of a holder institution registered for single sign-on (A12, A10): the
    platform hands a signed-in client over to it with a signed token (`aud` = `client_id`)
    POSTed to one of its `return_urls`, carrying only the `claims` it is entitled to. Made and
    changed by the institution's administrator (`CatalogAction.MANAGE_ESERVICES`)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name of the e-service"), max_length=100)
    client_id = models.CharField(_("client id"), max_length=40, unique=True, editable=False)
    return_urls = models.JSONField(_("return addresses"), default=list)
    claims = models.JSONField(_("data it receives"), default=list, blank=True,
                              validators=[validate_claims])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class EmbedOrigin(models.Model):
    """A web site (an origin, `https://portal.example.lv`) that may frame the e-forms of an
    institution's services (A10: embedded in portals), as its administrator registered it."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(_("web site"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["origin"]
        constraints = [models.UniqueConstraint(fields=["institution", "origin"],
                                               name="unique_embed_origin")]

    def __str__(self) -> str:
        return self.origin
