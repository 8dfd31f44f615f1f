"""Documents of clients (C2): what institutions delivered to a client's e-account (a result, an
attachment of a message) and what the client uploaded. Files live in Django's storage (a local
folder by default, object storage in production); the row keeps the digest and what the
malware scan said."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from durvis.core.models import ClientOwnedRequired
from durvis.identity.models import Institution, Person
from durvis.identity.queries import ActingPerson, acting_person
from durvis.mandates.models import Mandate
from durvis.register.models import ServiceCase


class Direction(models.TextChoices):
    RECEIVED = "received", _("Received from an institution")
    SENT = "sent", _("Sent by the client")


@dataclass(frozen=True)
class AgentUpload:
    """An agent of a client-service centre stored the document in the client's name, with the
    client present (A3: the scan of the summary the client signed, and the application's copy
    made for that submission): the agent (a staff user) and the centre."""

    agent: Any
    service_point: str

    def __str__(self) -> str:
        name = self.agent.get_full_name() or self.agent.get_username()
        return gettext("%(agent)s (agent at %(point)s)") % {"agent": name,
                                                             "point": self.service_point}


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
    # The mandate the uploader relied on, acting for the client under it (C1, A2;
    # `mandates.queries.relied_on`); empty for the client's own, a base-register relation's
    # (a parent, a company's representative) and an institution's documents.
    mandate = models.ForeignKey(Mandate, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+",
                                help_text=_("The mandate the uploader relied on."))
    # The institution asks the client to sign it (an agreement): signed once in the e-account
    # (`Signature`), by the client or whoever may sign in its name (C1, C2).
    signature_requested = models.BooleanField(_("signature requested"), default=False,
                                              db_default=False)
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
    def uploader(self) -> ActingPerson | AgentUpload | None:
        """Who uploaded a document the client sent, and as whom (the client, a parent, a
        representative; A2, C2); the agent and the centre for what an agent's assisted
        submission stored (`AgentUpload`: the signed scan, and the application's copy, which
        the platform makes in the client's name); None for a document an institution
        delivered. Reads the case and its agent (select them with the document)."""
        case = self.case if self.case_id is not None else None
        if case is not None and case.agent_id is not None and (
                self.pk == case.signed_authorisation_id
                or self.file_name == f"application-{case.number.replace(' ', '-')}.pdf"):
            return AgentUpload(case.agent, case.service_point or case.provider.name)
        return acting_person(self.uploaded_by, self)


class Signature(ClientOwnedRequired):
    """The client's electronic confirmation of a document an institution asked them to sign
    (`Document.signature_requested`): who signed (`signed_by`, the signed-in person), in whose
    name (the client pair, the document's owner), when, the document's SHA-256 at that moment,
    and the mandate relied on when the signer acted under one (`may_sign`; empty for the
    client themself and for a base-register relation). One per document (the unique key
    refuses a second). Authentication-based: the signer's sign-in is the evidence; it is not a
    qualified electronic signature (eParaksts)."""

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="signature")
    signed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    mandate = models.ForeignKey(Mandate, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+",
                                help_text=_("The mandate the signer relied on."))

    class Meta(ClientOwnedRequired.Meta):
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self) -> str:
        return f"{self.document_id}: {self.signed_by_id}"
