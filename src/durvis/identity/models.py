"""Who is who: institutions, persons, companies, the relations between them, and staff (A12).

Base data of natural persons comes from the population register (PMLP), of legal persons from the
enterprise register (UR); see `registers.py` for the adapters that read them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from durvis.core.identifiers import format_personal_code
from durvis.search.services import normalize


class Institution(models.Model):
    """A state institution, a municipality or another body (iestāde, pašvaldība)."""

    class Kind(models.TextChoices):
        STATE = "state", _("State institution")
        MUNICIPALITY = "municipality", _("Municipality")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    registration_number = models.CharField(_("registration number"), max_length=11, blank=True)
    atvk_code = models.CharField(_("ATVK code"), max_length=7, blank=True)
    website = models.URLField(_("website"), blank=True)
    # B7: the time allowed for a task is counted in the institution's office hours
    # (`core.working_time.WeeklyHours` text, e.g. "mon-thu 08:30-17:00; fri 08:30-15:30";
    # blank: the state's office hours) less the days it is closed besides public holidays
    # (ISO dates). Set by its administrator: `identity.services.set_office_hours`.
    office_hours = models.CharField(_("office hours"), max_length=300, blank=True, db_default="")
    closed_days = models.JSONField(_("days closed"), default=list, blank=True, null=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A natural person (fiziska persona) as the population register knows them.

    `personal_code` is the current code; every code the person ever held, the current one
    included, is a `PersonCode`, so that an old code still finds the same person.
    """

    personal_code = models.CharField(_("personal code"), max_length=11, unique=True)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    declared_municipality = models.ForeignKey(
        Institution,
        verbose_name=_("declared municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"kind": Institution.Kind.MUNICIPALITY},
        related_name="declared_residents",
    )
    # The declared address (deklarētā dzīvesvieta) as the population register gives it, and
    # its State Address Register code once resolved (`addresses.queries.resolve`); the declared
    # municipality is the one the address lies in (A1, A9: `services.record_person`).
    declared_address = models.CharField(_("declared address"), max_length=400, blank=True,
                                        default="", db_default="")
    declared_address_code = models.BigIntegerField(_("declared address's register code"),
                                                   null=True, blank=True)
    citizenship = models.CharField(_("citizenship"), max_length=2, default="LV")
    email = models.EmailField(_("e-mail"), blank=True)
    # E.164 (`core.phones`); indexed for the workplace's search by a caller's number (B3, B4).
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    # Moved on by every change of `email` or `phone`; the profile's forms carry it
    # (durvis.core.concurrency).
    contacts_version = models.PositiveIntegerField(default=0, editable=False)
    # The names folded as the catalogue's search folds text (`search.services.normalize`: lower
    # case, no diacritics: "Bērziņš" → "berzins"), set by `save`, for the workplace's search
    # by name (B3, B4): "berzins" finds Bērziņš from the index, on every database, with no
    # function run per row. A write that bypasses `save` (a COPY, `update`) sets them itself.
    family_name_folded = models.CharField(max_length=100, default="", db_default="",
                                          editable=False)
    given_name_folded = models.CharField(max_length=100, default="", db_default="",
                                         editable=False)

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            # A prefix (LIKE 'berz%') reads this index on PostgreSQL in any collation.
            models.Index(fields=["family_name_folded", "given_name_folded"],
                         name="person_folded_name",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fold_names()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"given_name", "family_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "given_name_folded", "family_name_folded"}
        super().save(*args, **kwargs)

    def is_minor(self, on: datetime.date) -> bool:
        """Whether the person is under 18 on `on` (Civil Law: majority at 18); False when the
        date of birth is not known."""
        born = self.date_of_birth
        return born is not None and (
            on.year - born.year - ((on.month, on.day) < (born.month, born.day))) < 18

    def fold_names(self) -> None:
        """Set the folded names from the names (`search.services.normalize`)."""
        self.family_name_folded = normalize(self.family_name)[:100]
        self.given_name_folded = normalize(self.given_name)[:100]
    @property
    def formatted_code(self) -> str:
        return format_personal_code(self.personal_code)


class PersonCode(models.Model):
    """One personal code a person holds or held (a person who moved to a new-format code keeps
    their historical codes)."""

    code = models.CharField(_("personal code"), max_length=11, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="codes")
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("personal code")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(is_current=True), name="one_current_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code[:6]}-***** ({'current' if self.is_current else 'historical'})"


class Company(models.Model):
    """A legal person (juridiska persona) as the enterprise register knows it."""

    registration_number = models.CharField(_("registration number"), max_length=11, unique=True)
    name = models.CharField(_("name"), max_length=255)
    legal_form = models.CharField(_("legal form"), max_length=10)
    address = models.CharField(_("address"), max_length=255, blank=True)
    municipality = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"kind": Institution.Kind.MUNICIPALITY},
        related_name="registered_companies",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class RegisterSource(models.TextChoices):
    POPULATION_REGISTER = "PMLP", _("Population register")
    ENTERPRISE_REGISTER = "UR", _("Enterprise register")


class ParentalRelation(models.Model):
    """A parent and their minor child, as the population register records them."""

    parent = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="child_relations")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="parent_relations")
    source = models.CharField(
        max_length=10, choices=RegisterSource.choices, default=RegisterSource.POPULATION_REGISTER
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text=_("The child's 18th birthday."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="unique_parent_child")
        ]

    def __str__(self) -> str:
        return f"{self.parent} → {self.child}"


class CompanyRepresentation(models.Model):
    """A person's power to act for a company (pārstāvības tiesības), from the enterprise register."""

    class Role(models.TextChoices):
        BOARD_MEMBER = "board_member", _("Board member")
        PROCURATOR = "procurator", _("Procurator")
        OWNER = "owner", _("Owner")
        SIGNATORY = "signatory", _("Authorised signatory")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="representations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="representations")
    role = models.CharField(max_length=20, choices=Role.choices)
    may_act_alone = models.BooleanField(default=True)
    source = models.CharField(
        max_length=10, choices=RegisterSource.choices, default=RegisterSource.ENTERPRISE_REGISTER
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "person", "role"], name="unique_company_representation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.role}) → {self.company}"


class StaffRole(models.TextChoices):
    AGENT = "agent", _("Client-service agent")
    BACK_OFFICE = "back_office", _("Back-office specialist")
    KNOWLEDGE_EDITOR = "knowledge_editor", _("Knowledge editor")
    ANALYST = "analyst", _("Analyst")
    FORM_BUILDER = "form_builder", _("Form builder")
    FINANCE = "finance", _("Finance specialist")
    INSTITUTION_ADMIN = "institution_admin", _("Institution administrator")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")


# The roles an institution's administrator grants and withdraws on the team page (A7: "institution
# IT administrators manage their own users"); the others are given when staff are set up.
GRANTABLE_ROLES = (StaffRole.FORM_BUILDER, StaffRole.FINANCE, StaffRole.AGENT)


class StaffMember(models.Model):
    """A staff user: belongs to one institution and holds roles there."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="staff")
    roles = models.JSONField(default=list)
    # Where the staff member works now (a client-service centre's address; chosen on their
    # working-time page): their working time is counted per service point (D2).
    service_point = models.CharField(_("service point"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.institution.code})"

    def has_role(self, role: str) -> bool:
        return role in self.roles


class ContactKind(models.TextChoices):
    """The contacts a person keeps in their e-account profile (A2, C1)."""

    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")


class ContactConfirmation(models.Model):
    """A change of a person's e-mail or phone waiting for the one-time code sent to the new
    address (kontaktinformācijas apstiprināšana), and afterwards the record that it was confirmed.

    Only the keyed hash of the code is stored (`services._code_hash`), never the code itself; at
    most one change per person and kind is pending; a newer request replaces it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the code")
        CONFIRMED = "confirmed", _("Confirmed")
        REPLACED = "replaced", _("Replaced by a newer request")
        EXPIRED = "expired", _("Expired")
        EXHAUSTED = "exhausted", _("Too many wrong codes")

    person = models.ForeignKey(Person, on_delete=models.CASCADE,
                               related_name="contact_confirmations")
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("new address"), max_length=254)
    code_hash = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact confirmation")
        verbose_name_plural = _("contact confirmations")
        indexes = [models.Index(fields=["person", "kind", "-created_at"],
                                name="contact_confirmation_person")]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"],
                                    condition=models.Q(status="pending"),
                                    name="one_pending_contact_change"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} ({self.status})"
