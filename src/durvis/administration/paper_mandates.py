"""Record a mandate on paper at a client-service centre (C1, A2; issue 15): the signer stands in
front of the agent with a signed paper or a notarial deed; the agent checks their identity
document, chooses whom the paper grants for (the signer, their minor child, a company they
represent alone), fills in the terms as the paper states them, and attaches the scan. The scan is
kept as the grantor's document received from the agent's institution, and the mandate names it;
both are written in one transaction (`mandates.services.record_on_paper`), so a refusal leaves
neither."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import allowed
from durvis.administration.clients import identified_client
from durvis.core.actor import Actor
from durvis.core.forms import DayField
from durvis.documents.models import Direction
from durvis.documents.services import store_document
from durvis.identity.models import Company, Institution, Person
from durvis.identity.sessions import actor_from_request
from durvis.mandates import services as mandates
from durvis.mandates.forms import TermsForm
from durvis.mandates.models import Mandate, MandateBasis
from durvis.mandates.rules import MandateAction
from durvis.web.roles import available_roles
from durvis.web.shell import staff_required

# The kinds of file a scan may be: a PDF from the centre's scanner, or a photo of the page.
SCAN_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")


class PaperMandateForm(TermsForm):
    """The paper, whom it grants for, the representative, then the terms."""

    basis = forms.ChoiceField(
        label=gettext_lazy("The paper the mandate rests on"), widget=forms.RadioSelect,
        choices=[(MandateBasis.SCANNED_PAPER, MandateBasis.SCANNED_PAPER.label),
                 (MandateBasis.NOTARIAL_DEED, MandateBasis.NOTARIAL_DEED.label)])
    document_number = forms.CharField(
        label=gettext_lazy("Number of the identity document the signer showed"), max_length=30,
        error_messages={"required": gettext_lazy(
            "Enter the number of the identity document the signer showed.")})
    grantor = forms.ChoiceField(label=gettext_lazy("Whom the paper grants for"),
                                widget=forms.RadioSelect)
    grantee_code = forms.CharField(
        label=gettext_lazy("Personal code or registration number of the representative"),
        max_length=20, help_text=gettext_lazy(
            "For example 161175-19997 or 40003032065, or an institution's code such as VDAA"),
        error_messages={"required": gettext_lazy(
            "Enter the personal code or registration number of the representative.")})
    deed_number = forms.CharField(
        label=gettext_lazy("The deed's number in the notary's register"), max_length=40,
        required=False, help_text=gettext_lazy("A notarial deed only."))
    deed_notary = forms.CharField(label=gettext_lazy("Notary (optional)"), max_length=200,
                                  required=False)
    deed_date = DayField(label=gettext_lazy("Date of the deed"), required=False,
                         widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(
        label=gettext_lazy("Scan of the paper"), required=False,
        help_text=gettext_lazy("A PDF, JPEG or PNG file of every page the signer signed. "
                               "After an error, choose it again."))
    field_order = ["basis", "document_number", "grantor", "grantee_code"]
    party = "grantee_code"

    def __init__(self, *args: Any, signer: Person | None = None, **kwargs: Any) -> None:
        """`signer`: the client in front of the agent (None: nobody to grant for)."""
        super().__init__(*args, **kwargs)
        self.parties = grantable_for(signer) if signer is not None else {}
        cast(forms.ChoiceField, self.fields["grantor"]).choices = [
            (key, label) for key, (label, _client) in self.parties.items()]
        self.fields["grantor"].initial = "self"
        self.fields["basis"].initial = MandateBasis.SCANNED_PAPER

    def clean(self) -> dict[str, Any]:
        """The scan is asked for with the other fields' errors, not only once they are
        right."""
        data = super().clean() or {}
        if not data.get("scan") and "scan" not in self.errors:
            self.add_error("scan", ValidationError(_("Choose the scan of the signed paper."),
                                                   code="required"))
        return data

    def paper(self) -> mandates.Paper:
        data = self.cleaned_data
        return mandates.Paper(
            basis=data["basis"], document_number=data["document_number"],
            deed_number=data["deed_number"], deed_notary=data["deed_notary"],
            deed_date=data["deed_date"])


def grantable_for(signer: Person) -> dict[str, tuple[str, Person | Company]]:
    """Whom `signer` may grant a mandate for, by role key: themself, then their minor children
    and the companies they represent alone (the base registers' relations the access policy
    admits for managing mandates; never a client they act for by a mandate)."""
    actor = Actor(kind="person", person=signer)
    parties: dict[str, tuple[str, Person | Company]] = {}
    for role in available_roles(signer):
        if not role.delegated and allowed(actor, MandateAction.MANAGE, None, role.client):
            parties[role.key] = (_party_label(role.client, role.is_self), role.client)
    return parties


def _party_label(client: Person | Company, is_self: bool) -> str:
    """Whom a paper grants for, in the agent's words (not the e-account's "my child")."""
    if is_self:
        return _("%(name)s (the signer)") % {"name": client}
    if isinstance(client, Company):
        return _("%(name)s (a company the signer represents alone)") % {"name": client}
    return _("%(name)s (the signer's minor child)") % {"name": client}


def _signer(request: HttpRequest, pk: int) -> tuple[Actor, Person]:
    actor = actor_from_request(request)
    person = identified_client(request, str(pk))
    if person is None:
        raise Http404
    if not allowed(actor, MandateAction.RECORD_ON_PAPER, None, person):
        raise PermissionDenied(_("Only a client-service agent records a mandate on paper."))
    return actor, person


@staff_required
def record_mandate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form for the client this session identified; POST: record the mandate (its
    refusals at their fields, 422), then back to the client with the mandate's number."""
    actor, signer = _signer(request, pk)
    form = PaperMandateForm(request.POST or None, request.FILES or None, signer=signer)
    status = 200
    if request.method == "POST":
        mandate = _record(actor, signer, form) if form.is_valid() else None
        if mandate is not None:
            messages.success(request, _recorded(mandate))
            return redirect("administration:client", pk=pk)
        status = 422
    return render(request, "administration/clients/paper_mandate.html",
                  {"person": signer, "form": form}, status=status)


def _recorded(mandate: Mandate) -> str:
    if mandate.waiting_to_start():
        return _("Mandate no. %(number)s is recorded; it is in force from %(date)s. Both sides "
                 "are notified.") % {"number": mandate.pk,
                                     "date": date_format(mandate.valid_from, "SHORT_DATE_FORMAT")}
    return _("Mandate no. %(number)s is recorded and in force; both sides are notified.") % {
        "number": mandate.pk}


def _record(actor: Actor, signer: Person, form: PaperMandateForm) -> Mandate | None:
    """Store the scan and record the mandate in one transaction; a refusal of either becomes
    the form's error at its field and stores nothing."""
    _label, grantor = form.parties[form.cleaned_data["grantor"]]
    upload: UploadedFile = form.cleaned_data["scan"]  # `clean` asked for it
    paper = form.paper()
    try:
        with transaction.atomic():
            document_id = _store_scan(actor, grantor, upload, paper)
            return mandates.record_on_paper(
                actor, signer, grantor, form.cleaned_data["grantee_code"], form.terms(), paper,
                evidence_document_id=document_id)
    except ValidationError as error:
        for field, problems in error.error_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
    except PermissionDenied:
        form.add_error(None, _("Only a client-service agent records a mandate on paper."))
    return None


def _store_scan(actor: Actor, grantor: Person | Company, upload: UploadedFile,
                paper: mandates.Paper) -> int:
    """The scan as the grantor's document received from the agent's institution; its id.
    Raises ValidationError keyed `scan` (`forbidden_type`, the documents service's file
    codes)."""
    name = upload.name or ""
    if not name.lower().endswith(SCAN_EXTENSIONS):
        raise ValidationError({"scan": ValidationError(
            _("The scan must be a PDF, JPEG or PNG file."), code="forbidden_type")})
    with translation.override("lv"):
        title = _("Mandate on paper: %(basis)s, %(date)s") % {
            "basis": MandateBasis(paper.basis).label,
            "date": timezone.localdate().strftime("%d.%m.%Y")}
    try:
        document = store_document(
            actor, client=grantor, name=name, content=upload.read(),
            content_type=upload.content_type or "", title=title[:200],
            direction=Direction.RECEIVED,
            institution=Institution.objects.get(pk=actor.institution_id or 0))
    except ValidationError as error:
        problems = [p for found in error.error_dict.values() for p in found] \
            if hasattr(error, "error_dict") else error.error_list
        raise ValidationError({"scan": [ValidationError(_(
            "The scan must be a PDF, JPEG or PNG file, and this file's content is not what its "
            "name says."), code="forbidden_type") if p.code == "forbidden_type" else p
            for p in problems]}) from None
    return document.pk
