"""Bank statements for the holder's finance staff (A8; seed 4.2 lines 1696-1729, G29): upload a
camt.053 statement or camt.054 notification, see the imports with their counts, and work the
manual queue: confirm a proposed match, match an entry by hand to an invoice found by its number
or reference, or set an entry aside with a note. Every action is audited by
`durvis.payments.statements`; another institution's entry does not exist here (404). Only
finance staff (`PaymentAction.MANAGE`) see these pages; a refused file is explained at the file
field in the person's language."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from durvis.access.policy import decide
from durvis.core.actor import Actor
from durvis.core.forms import Form
from durvis.identity.models import Institution
from durvis.identity.sessions import actor_from_request
from durvis.payments import statements
from durvis.payments.models import Invoice, StatementEntry
from durvis.payments.rules import PaymentAction
from durvis.web.shell import staff_required


class UploadForm(Form):
    file = forms.FileField(
        label=gettext_lazy("Statement file (camt.053 or camt.054, XML)"),
        help_text=gettext_lazy("The file your bank or the Treasury gives you; at most 100 MiB. "
                               "A file imported before changes nothing."))


class SearchForm(Form):
    q = forms.CharField(label=gettext_lazy("Invoice number or payment reference"),
                        max_length=40, help_text=gettext_lazy("For example 1011-76544-01 or "
                                                              "RF75 4999 9765 4401."))


class SetAsideForm(Form):
    note = forms.CharField(label=gettext_lazy("Why is it set aside?"), max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=gettext_lazy("For example: returned to the payer."))


def _finance(request: HttpRequest) -> tuple[Actor, Institution]:
    actor = actor_from_request(request)
    if actor.staff is None or not decide(actor, PaymentAction.MANAGE, None):
        raise PermissionDenied
    return actor, actor.staff.institution


def _list_page(request: HttpRequest, actor: Actor, institution: Institution,
               form: UploadForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "administration/statements/list.html", {
        "institution": institution, "form": form or UploadForm(),
        "imports": statements.statements_of(actor, institution.pk)[:50],
        "waiting": statements.queue_of(actor, institution.pk).count(),
    }, status=status)


@staff_required
def statement_list(request: HttpRequest) -> HttpResponse:
    """The imports (newest first, with their counts) and the upload form; POST imports a file:
    a refused file is shown at the field (422), nothing is written."""
    actor, institution = _finance(request)
    if request.method != "POST":
        return _list_page(request, actor, institution)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        earlier = statements.imported_already(institution, data)
        try:
            statement = statements.import_statement(actor, institution, data, upload.name or "")
        except statements.StatementRefused as refused:
            form.add_error("file", _("The file was not imported: %(reason)s") % {
                "reason": refused.text()})
        else:
            if earlier is not None:
                messages.info(request, _("This file was imported before; nothing was booked "
                                         "again."))
            else:
                messages.success(request, _(
                    "Imported: %(matched)d matched, %(proposed)d proposed, %(unmatched)d in the "
                    "queue, %(duplicates)d imported before.") % {
                    "matched": statement.matched, "proposed": statement.proposed,
                    "unmatched": statement.unmatched, "duplicates": statement.duplicates})
            return redirect("administration:statements")
    return _list_page(request, actor, institution, form, status=422)


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """The manual queue: entries not matched and proposals to confirm, oldest first."""
    actor, institution = _finance(request)
    return render(request, "administration/statements/queue.html", {
        "institution": institution,
        "entries": statements.queue_of(actor, institution.pk)[:200],
    })


def _entry(actor: Actor, institution: Institution, entry_id: int) -> StatementEntry:
    try:
        return statements.entry_of(actor, institution.pk, entry_id)
    except StatementEntry.DoesNotExist:
        raise Http404 from None  # another institution's entry does not exist here


def _entry_page(request: HttpRequest, actor: Actor, institution: Institution,
                entry: StatementEntry, *, search: SearchForm | None = None,
                aside: SetAsideForm | None = None, status: int = 200) -> HttpResponse:
    if search is None:
        search = SearchForm(request.GET) if "q" in request.GET else SearchForm()
    found: list[Invoice] | None = None
    if search.is_bound and search.is_valid():
        found = statements.find_invoices(actor, institution.pk, search.cleaned_data["q"])
    return render(request, "administration/statements/entry.html", {
        "institution": institution, "entry": entry, "search": search, "found": found,
        "aside": aside or SetAsideForm(), "waiting": entry.state in statements.QUEUE_STATES,
        "reference_printed": statements.shown_reference(entry.reference),
    }, status=status)


@staff_required
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One entry: what the bank sent, the proposed invoice to confirm, a search for an invoice
    to match it to by hand (`?q=`), and setting it aside."""
    actor, institution = _finance(request)
    return _entry_page(request, actor, institution, _entry(actor, institution, entry_id))


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@staff_required
@require_POST
def confirm(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Confirm the proposed match: the invoice is paid."""
    actor, institution = _finance(request)
    entry = _entry(actor, institution, entry_id)
    try:
        statements.confirm_match(actor, entry)
    except ValidationError as error:
        _refused(request, error)
        return redirect("administration:statement-entry", entry_id=entry.pk)
    messages.success(request, _("Matched to invoice %(number)s.") % {
        "number": entry.invoice.number if entry.invoice else ""})
    return redirect("administration:statement-queue")


@staff_required
@require_POST
def match(request: HttpRequest, entry_id: int, invoice_id: int) -> HttpResponse:
    """Match the entry by hand to one of the institution's invoices."""
    actor, institution = _finance(request)
    entry = _entry(actor, institution, entry_id)
    invoice = Invoice.objects.filter(pk=invoice_id, holder=institution).first()
    if invoice is None:
        raise Http404
    try:
        statements.match_by_hand(actor, entry, invoice)
    except (ValidationError, Invoice.DoesNotExist) as error:
        if isinstance(error, ValidationError):
            _refused(request, error)
        return redirect("administration:statement-entry", entry_id=entry.pk)
    messages.success(request, _("Matched to invoice %(number)s.") % {"number": invoice.number})
    return redirect("administration:statement-queue")


@staff_required
@require_POST
def set_aside(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Set the entry aside with a note; it leaves the queue."""
    actor, institution = _finance(request)
    entry = _entry(actor, institution, entry_id)
    form = SetAsideForm(request.POST)
    if form.is_valid():
        try:
            statements.set_aside(actor, entry, form.cleaned_data["note"])
        except ValidationError as error:
            if hasattr(error, "error_dict") and "note" in error.error_dict:
                form.add_error("note", error.error_dict["note"])
            else:
                _refused(request, error)
                return redirect("administration:statement-entry", entry_id=entry.pk)
        else:
            messages.success(request, _("The entry is set aside."))
            return redirect("administration:statement-queue")
    return _entry_page(request, actor, institution, entry, aside=form, status=422)
