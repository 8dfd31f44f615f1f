"""Documents of clients (C2): what institutions delivered to a client's e-account (a result, an
attachment of a message) and what the client uploaded. Files live in Django's storage (a local
folder by default, object storage in production); the row keeps the digest and what the
malware scan said."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from durvis.core.models import ClientOwnedRequired
from durvis.identity.models import Institution, Person
from durvis.identity.queries import ActingPerson, acting_person
from durvis.register.models import ServiceCase


class Direction(models.TextChoices):
    RECEIVED = "received", _("Received from an institution")
    SENT = "sent", _("Sent by the client")


class Document(ClientOwnedRequired):
    """One file in a client's e-account. The owner is a person or a company (the role it was
    received or sent in); `case` ties it to a service case, `is_result` marks the case's result."""

    case = models.ForeignKey(ServiceCase, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+",
                                    help_text=_("Who sent it, or to whom the client sent it."))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    is_result = models.BooleanField(_("result of the case"), default=False)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to="documents/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    scanned_by = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(ClientOwnedRequired.Meta):
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [
            models.Index(fields=["client_person", "-created_at"], name="document_person"),
            models.Index(fields=["client_company", "-created_at"], name="document_company"),
            models.Index(fields=["case", "created_at"], name="document_case"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def uploader(self) -> ActingPerson | None:
        """Who uploaded a document the client sent, and as whom (the client, a parent, a
        representative; A2, C2); None for a document an institution delivered."""
        return acting_person(self.uploaded_by, self)
