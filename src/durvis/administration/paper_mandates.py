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
        label=gettext_lazy("Number of the identity document the signer showed"), max_length=30)
    grantor = forms.ChoiceField(label=gettext_lazy("Whom the paper grants for"),
                                widget=forms.RadioSelect)
    grantee_code = forms.CharField(
        label=gettext_lazy("Personal code or registration number of the representative"),
        max_length=20, help_text=gettext_lazy(
            "For example 161175-19997 or 40003032065, or an institution's code such as VDAA"))
    deed_number = forms.CharField(
        label=gettext_lazy("The deed's number in the notary's register"), max_length=40,
        required=False, help_text=gettext_lazy("A notarial deed only."))
    deed_notary = forms.CharField(label=gettext_lazy("Notary (optional)"), max_length=200,
                                  required=False)
    deed_date = DayField(label=gettext_lazy("Date of the deed"), required=False,
                         widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(
        label=gettext_lazy("Scan of the paper"), required=False,
        help_text=gettext_lazy("A PDF, JPEG or PNG file of every page the signer signed."))
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
            parties[role.key] = (str(role.label) if not role.is_self else str(signer),
                                 role.client)
    return parties


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
            messages.success(request, _(
                "Mandate no. %(number)s is recorded and in force; both sides are notified.")
                % {"number": mandate.pk})
            return redirect("administration:client", pk=pk)
        status = 422
    return render(request, "administration/clients/paper_mandate.html",
                  {"person": signer, "form": form}, status=status)


def _record(actor: Actor, signer: Person, form: PaperMandateForm) -> Mandate | None:
    """Store the scan and record the mandate in one transaction; a refusal of either becomes
    the form's error at its field and stores nothing."""
    _label, grantor = form.parties[form.cleaned_data["grantor"]]
    upload: UploadedFile | None = form.cleaned_data.get("scan")
    try:
        with transaction.atomic():
            document_id = _store_scan(actor, grantor, upload, form.paper())
            return mandates.record_on_paper(
                actor, signer, grantor, form.cleaned_data["grantee_code"], form.terms(),
                form.paper(), evidence_document_id=document_id)
    except ValidationError as error:
        for field, problems in error.error_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
    except PermissionDenied:
        form.add_error(None, _("Only a client-service agent records a mandate on paper."))
    return None


def _store_scan(actor: Actor, grantor: Person | Company, upload: UploadedFile | None,
                paper: mandates.Paper) -> int:
    """The scan as the grantor's document received from the agent's institution; its id.
    Raises ValidationError keyed `scan` (`required`, `forbidden_type`, the documents service's
    file codes)."""
    if upload is None:
        raise ValidationError({"scan": ValidationError(
            _("Choose the scan of the signed paper."), code="required")})
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
        raise ValidationError({"scan": problems}) from None
    return document.pk
