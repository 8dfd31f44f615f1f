"""The finance specialist's pages (A8, B9): the institution's invoices (filtered by state,
searched by number, reference or case number), an invoice with its lines and payments, issuing
a post-payment invoice for a case of the institution, recording a payment reported by phone or
on paper, cancelling and crediting (each after a confirmation step), and the institution's payee
accounts. Only staff with the `finance` role (granted on the team page) open them; another
institution's invoice is a 404. The access policy decides (`PaymentAction.MANAGE`); the
payments app writes and audits.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.forms import BaseFormSet, formset_factory
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from stdnum import iso11649

from durvis.administration.confirm import ask, confirmed
from durvis.audit.services import Entry, record_many
from durvis.core.actor import Actor
from durvis.core.case_numbers import parse_case_number
from durvis.core.forms import CaseNumberField, DayField, Form, PageField, QueryForm
from durvis.identity.models import StaffRole
from durvis.identity.sessions import actor_from_request
from durvis.payments import online, queries
from durvis.payments import services as payments
from durvis.payments.models import (
    Invoice,
    InvoiceKind,
    InvoiceOrigin,
    InvoiceState,
    LineKind,
    PayeeAccount,
    PaymentSource,
)
from durvis.register.models import ServiceCase
from durvis.web.shell import staff_required

PAGE_SIZE = 50


def _finance(request: HttpRequest) -> Actor:
    """The signed-in finance specialist; anyone else is refused (403)."""
    actor = actor_from_request(request)
    if actor.staff is None or not payments.may_manage(actor):
        raise PermissionDenied
    return actor


def _invoice(actor: Actor, number: str) -> Invoice:
    try:
        return queries.finance_invoice(actor, number)
    except Invoice.DoesNotExist:
        raise Http404 from None  # another institution's invoice does not exist here


# --- The list ---------------------------------------------------------------------------------

class InvoiceQueryForm(QueryForm):
    """`?state=&q=&page=`: the list's filter."""

    shown = ("state", "q")
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False, initial="",
                              choices=[("", gettext_lazy("Any state")), *InvoiceState.choices])
    q = forms.CharField(label=gettext_lazy("Invoice number, payment reference or case number"),
                        required=False, max_length=40, initial="")
    page = PageField()


def search(invoices: QuerySet[Invoice], text: str) -> QuerySet[Invoice]:
    """The invoices whose number, payment reference (any spacing or case) or case number
    (`1011 13`, `1011-13`) contains or is `text`."""
    text = text.strip()
    if not text:
        return invoices
    compact = "".join(text.split()).upper()
    found = Q(number__icontains=text) | Q(reference__icontains=compact) | Q(
        holder_number__iexact=text)
    with contextlib.suppress(ValidationError):
        found |= Q(case__number=str(parse_case_number(text)))
    return invoices.filter(found)


@staff_required
def invoices(request: HttpRequest) -> HttpResponse:
    actor = _finance(request)
    query = InvoiceQueryForm(request.GET)
    listing = queries.finance_invoices(actor)
    if query.value("state"):
        listing = listing.filter(state=query.value("state"))
    listing = search(listing, query.value("q") or "")
    if "q" in query.errors:  # a refused search finds nothing (not every invoice under its error)
        listing = listing.none()
    page = Paginator(listing, PAGE_SIZE).get_page(query.value("page"))
    record_many(actor, [Entry("payments.invoice.list", "payments.invoice", str(i.pk),
                              i.client_person_id, purpose="finance") for i in page])
    kept = request.GET.copy()
    for name in ["page", *query.errors]:  # the pages' links carry no refused parameter
        kept.pop(name, None)
    return render(request, "administration/finance/invoices.html", {
        "page": page, "query_form": query, "query": kept.urlencode(),
        "institution": actor.staff.institution if actor.staff else None})


# --- One invoice ------------------------------------------------------------------------------

class ReasonForm(Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(
        attrs={"rows": 3}), error_messages={"required": gettext_lazy("Give the reason.")})


def _invoice_page(request: HttpRequest, actor: Actor, invoice: Invoice, *,
                  cancel_form: ReasonForm | None = None, credit_form: ReasonForm | None = None,
                  status: int = 200) -> HttpResponse:
    open_ = invoice.state not in payments.CLOSED_STATES
    may_read_case = bool(actor.roles & {StaffRole.AGENT, StaffRole.BACK_OFFICE})
    credit_note = Invoice.objects.filter(credits=invoice).values_list("number", flat=True).first()
    return render(request, "administration/finance/invoice.html", {
        "invoice": invoice, "lines": invoice.lines.order_by("position"),
        "payments": queries.payments_of(invoice),
        "refundable": [p for p in queries.payments_of(invoice) if online.refundable(p) > 0],
        "may_cancel": open_ and invoice.paid <= 0 and invoice.kind != InvoiceKind.CREDIT_NOTE,
        "may_credit": open_ and invoice.kind != InvoiceKind.CREDIT_NOTE,
        "may_record": open_ and invoice.kind != InvoiceKind.CREDIT_NOTE,
        "may_read_case": may_read_case, "credit_note": credit_note,
        "reference_printed": iso11649.format(invoice.reference),
        "cancel_form": cancel_form or ReasonForm(prefix="cancel"),
        "credit_form": credit_form or ReasonForm(prefix="credit"),
    }, status=status)


@staff_required
def invoice(request: HttpRequest, number: str) -> HttpResponse:
    actor = _finance(request)
    return _invoice_page(request, actor, _invoice(actor, number))


def _close(request: HttpRequest, number: str, action: str) -> HttpResponse:
    actor = _finance(request)
    found = _invoice(actor, number)
    form = ReasonForm(request.POST, prefix=action)
    if not form.is_valid():
        return _invoice_page(request, actor, found, status=422,
                             **{f"{action}_form": form})  # type: ignore[arg-type]
    reason = form.cleaned_data["reason"]
    if not confirmed(request):
        title = (_("Cancel invoice %(number)s?") if action == "cancel"
                 else _("Credit invoice %(number)s?")) % {"number": found.number}
        warning = (_("The client no longer owes it. This cannot be undone.")
                   if action == "cancel" else
                   _("A credit note for minus its total is issued and the invoice is credited. "
                     "What was paid on it must be refunded separately. This cannot be undone."))
        return ask(request, title=title, warning=warning,
                   action=_("Yes, cancel it") if action == "cancel" else _("Yes, credit it"),
                   cancel_url=reverse("administration:finance-invoice", args=[found.number]),
                   fields={f"{action}-reason": reason})
    try:
        if action == "cancel":
            payments.cancel_invoice(actor, found, reason=reason)
            messages.success(request, _("Invoice %(number)s is cancelled.")
                             % {"number": found.number})
        else:
            note = payments.credit_invoice(actor, found, reason=reason)
            messages.success(request, _("Invoice %(number)s is credited by credit note "
                                        "%(note)s.") % {"number": found.number,
                                                        "note": note.number})
    except payments.InvoiceClosed:
        messages.error(request, _("The invoice is cancelled or credited already."))
    except ValidationError as error:  # a reason the text rule refuses: said at the field
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return _invoice_page(request, actor, found, status=422,
                             **{f"{action}_form": form})  # type: ignore[arg-type]
    return redirect("administration:finance-invoice", number=found.number)


@staff_required
@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    """Cancel an invoice nothing was paid on, with a reason, after a confirmation step."""
    return _close(request, number, "cancel")


@staff_required
@require_POST
def credit(request: HttpRequest, number: str) -> HttpResponse:
    """Credit an invoice (a credit note), with a reason, after a confirmation step."""
    return _close(request, number, "credit")


# --- A payment reported by phone or on paper --------------------------------------------------

# A number as a person types it once a decimal comma is a point: ASCII digits, perhaps a
# minus sign (the payments service then says "above zero", not "not a number").
_TYPED_NUMBER = re.compile(r"-?\s*[0-9]+(?:\.[0-9]+)?", re.ASCII)


class AmountField(forms.CharField):
    """An amount (or quantity, or rate) as people in Latvia type it: "7,11" is read as "7.11"
    (pages print amounts with a decimal comma), so the hints and the "not a number" message
    show both (`invalid`, the field's own words; the API's, which refuses a comma, differ); the
    payments service checks the rest (`money.parse_amount`: above zero, the limit, cents)."""

    def __init__(self, *, invalid: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error_messages["invalid"] = invalid

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace(",", ".", 1) if text.count(",") == 1 and "." not in text else text

    def clean(self, value: Any) -> str:
        """After the text rule (invisible characters, direction controls: their own words),
        a value that is no number is refused in the field's."""
        text: str = super().clean(value)
        if text and not _TYPED_NUMBER.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return text


AMOUNT_HINT = gettext_lazy("For example, 7,11 or 7.11")
AMOUNT_INVALID = gettext_lazy("Write the amount in euros as a number, e.g. 7,11.")


def _amount_field(label: Any, *, invalid: Any = AMOUNT_INVALID, **kwargs: Any
                  ) -> forms.CharField:
    # No max_length: a number of any length past the field's limit is said to be too large
    # by the payments service ("at most 999 999 999.99 EUR"), not "at most 20 characters".
    return AmountField(label=label, invalid=invalid, **kwargs)


class PaymentForm(Form):
    amount = _amount_field(gettext_lazy("Amount (EUR)"), help_text=AMOUNT_HINT)
    paid_on = DayField(label=gettext_lazy("Date paid"), help_text=gettext_lazy("For example, 2026-11-20"))
    bank_reference = forms.CharField(
        label=gettext_lazy("The bank's reference of the payment"), max_length=140,
        help_text=gettext_lazy("The same reference twice is recorded once."))
    payer_name = forms.CharField(label=gettext_lazy("Payer (optional)"), max_length=140,
                                 required=False)

    def clean_paid_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["paid_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="future")
        return day


@staff_required
def record_payment(request: HttpRequest, number: str) -> HttpResponse:
    """A payment the client or the bank reported by phone or on paper, recorded by hand (G29):
    the invoice's state follows; the same bank reference twice books once."""
    actor = _finance(request)
    found = _invoice(actor, number)
    form = PaymentForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            paid_at = timezone.make_aware(datetime.datetime.combine(data["paid_on"],
                                                                    datetime.time(12)))
            try:
                _payment, created = payments.record_payment(
                    actor, found, source=PaymentSource.MANUAL, amount=data["amount"],
                    paid_at=paid_at, dedup_key=f"manual:{data['bank_reference'].strip()}"[:120],
                    bank_reference=data["bank_reference"], payer_name=data["payer_name"])
            except payments.InvoiceClosed:
                messages.error(request, _("The invoice is cancelled or credited: it takes no "
                                          "payment."))
                return redirect("administration:finance-invoice", number=found.number)
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, _("The payment is recorded.") if created else _(
                    "A payment with this bank reference was recorded already: nothing was "
                    "booked twice."))
                return redirect("administration:finance-invoice", number=found.number)
        status = 422
    return render(request, "administration/finance/payment.html",
                  {"invoice": found, "form": form}, status=status)


class RefundForm(Form):
    amount = _amount_field(gettext_lazy("Amount to refund (EUR)"), help_text=AMOUNT_HINT)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(
        attrs={"rows": 3}), error_messages={"required": gettext_lazy("Give the reason.")})
    idempotency_key = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


@staff_required
def refund(request: HttpRequest, number: str, payment_id: int) -> HttpResponse:
    """Give back all or part of a successful online payment through the provider (A8): at most
    what is left of it; two refunds at once cannot together pass it (`online.refund`). The form
    carries a one-time key, so a double submit refunds once."""
    actor = _finance(request)
    found = _invoice(actor, number)
    payment = found.payments.filter(pk=payment_id).first()
    if payment is None or online.refundable(payment) <= 0:
        raise Http404
    left = online.refundable(payment)
    form = RefundForm(request.POST if request.method == "POST" else None,
                      initial={"amount": str(left), "idempotency_key": secrets.randbits(62) + 1})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            online.refund(actor, payment, amount=data["amount"], reason=data["reason"],
                          idempotency_key=f"staff:{data['idempotency_key']}")
        except online.RefundFailed:
            messages.error(request, _("The payment provider refused the refund or could not be "
                                      "reached: nothing was given back. Try again later."))
            return redirect("administration:finance-invoice", number=found.number)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("The refund is made: the money goes back to the payer."))
            return redirect("administration:finance-invoice", number=found.number)
    return render(request, "administration/finance/refund.html",
                  {"invoice": found, "payment": payment, "left": left, "form": form},
                  status=422 if form.errors else 200)


# --- Issuing a post-payment invoice ------------------------------------------------------------

class IssueForm(Form):
    case_number = CaseNumberField(label=gettext_lazy("Case number"),
                                  help_text=gettext_lazy("For example, 1011 13"))
    due_date = DayField(label=gettext_lazy("Due date (optional)"), required=False,
                        help_text=gettext_lazy("Without one: 14 days after today"))
    payer_name = forms.CharField(label=gettext_lazy("Payer (optional)"), max_length=140,
                                 required=False, help_text=gettext_lazy("Without one: the client"))
    language = forms.ChoiceField(label=gettext_lazy("Language of the invoice"),
                                 choices=[("lv", gettext_lazy("Latvian")), ("en", gettext_lazy("English"))],
                                 initial="lv")


class LineForm(Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=LineKind.choices,
                             initial=LineKind.FEE)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200)
    quantity = _amount_field(gettext_lazy("Quantity"), initial="1",
                             help_text=gettext_lazy("For example, 1 or 2,5"), invalid=gettext_lazy(
                                 "Write the quantity as a number, e.g. 2,5."))
    unit_price = _amount_field(gettext_lazy("Unit price (EUR, without VAT)"),
                               help_text=AMOUNT_HINT)
    vat_rate = _amount_field(gettext_lazy("VAT (%, optional)"), initial="0", required=False,
                             help_text=gettext_lazy("Empty: no VAT"), invalid=gettext_lazy(
                                 "Write the VAT rate in percent as a number, e.g. 21."))


class BaseLineFormSet(BaseFormSet):  # type: ignore[type-arg]
    """The lines of an invoice not issued yet: none is stored, so every line after the first
    may be left empty (and is left out)."""

    def initial_form_count(self) -> int:
        return 0


def line_formset(lines: int = 1) -> type[BaseFormSet]:  # type: ignore[type-arg]
    """The lines' formset class, showing `lines` (1 to MAX_LINES) unbound."""
    return formset_factory(LineForm, formset=BaseLineFormSet, extra=max(lines, 1) - 1,
                           min_num=1, max_num=payments.MAX_LINES, validate_min=True,
                           validate_max=True)


LineFormSet = line_formset()


def _more_lines(data: Any) -> Any:
    """The form sent again with one more empty line ("Add a line", without JavaScript)."""
    data = data.copy()
    try:
        total = int(data.get("lines-TOTAL_FORMS", "1"))
    except ValueError:
        total = 1
    data["lines-TOTAL_FORMS"] = str(min(max(total, 1) + 1, payments.MAX_LINES))
    return data


@staff_required
def issue(request: HttpRequest) -> HttpResponse:
    """Issue a post-payment invoice for a case of the institution once the amount is known
    (A8): a case number, lines, an optional due date and payer. "Add a line" sends the form
    again with one more line (no JavaScript needed); errors are shown at their fields."""
    actor = _finance(request)
    status = 200
    if request.method != "POST":
        form, lines = IssueForm(initial={"case_number": request.GET.get("case", "")[:40]}), \
            LineFormSet(prefix="lines")
    elif "add_line" in request.POST:
        data = _more_lines(request.POST)  # shown again unbound: no errors before "Issue"
        form = IssueForm(initial={name: data.get(name, "") for name in IssueForm.base_fields})
        initial = _lines_initial(data)
        lines = line_formset(len(initial))(prefix="lines", initial=initial)
    else:
        form, lines = IssueForm(request.POST), LineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            issued = _issue(actor, form, lines)
            if issued is not None:
                messages.success(request, _("Invoice %(number)s is issued.")
                                 % {"number": issued.number})
                return redirect("administration:finance-invoice", number=issued.number)
        status = 422
    return render(request, "administration/finance/issue.html",
                  {"form": form, "lines": lines}, status=status)


def _lines_initial(data: Any) -> list[dict[str, str]]:
    total = int(data["lines-TOTAL_FORMS"])
    return [{name: data.get(f"lines-{i}-{name}", LineForm.base_fields[name].initial or "")
             for name in LineForm.base_fields} for i in range(total)]


def _issue(actor: Actor, form: IssueForm, lines: Any) -> Invoice | None:
    data = form.cleaned_data
    new = payments.NewInvoice(
        kind=InvoiceKind.POSTPAYMENT, origin=InvoiceOrigin.HOLDER, due_date=data["due_date"],
        payer_name=data["payer_name"], language=data["language"],
        lines=[payments.NewLine(kind=line["kind"], description=line["description"],
                                unit_price=line["unit_price"], quantity=line["quantity"],
                                vat_rate=line.get("vat_rate") or "0")
               for line in (f.cleaned_data for f in lines.forms) if line])
    try:
        return payments.issue_invoice(actor, data["case_number"], new)
    except (ServiceCase.DoesNotExist, PermissionDenied):
        form.add_error("case_number", _("Your institution has no case with this number."))
    except ValidationError as error:
        for name, messages_ in error.message_dict.items():
            parts = name.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() \
                    and int(parts[1]) < len(lines.forms):
                lines.forms[int(parts[1])].add_error(parts[2], messages_)
            elif name in form.fields:
                form.add_error(name, messages_)
            elif name == "case":
                form.add_error("case_number", messages_)
            else:
                form.add_error(None, messages_)
    return None


# --- Payee accounts --------------------------------------------------------------------------

class AccountForm(Form):
    name = forms.CharField(label=gettext_lazy("Beneficiary name"), max_length=70,
                           help_text=gettext_lazy("As banks show it, at most 70 characters"))
    iban = forms.CharField(label=gettext_lazy("IBAN"), max_length=42,
                           help_text=gettext_lazy("For example, LV71 TREL 9140 4010 1600 0"))
    bic = forms.CharField(label=gettext_lazy("BIC (optional)"), max_length=11, required=False,
                          help_text=gettext_lazy("Without one: the bank of the IBAN"))
    is_default = forms.BooleanField(label=gettext_lazy("Clients pay into this account (the default)"),
                                    required=False)


def _accounts(actor: Actor) -> QuerySet[PayeeAccount]:
    assert actor.staff is not None
    return PayeeAccount.objects.filter(institution_id=actor.staff.institution_id,
                                       active=True).order_by("-is_default", "name", "iban")


@staff_required
def accounts(request: HttpRequest) -> HttpResponse:
    """The institution's payee accounts (A8): add one, or make one the default. IBAN and BIC
    are checked (`check_account`): a wrong check digit, another bank's BIC are errors at the
    field."""
    actor = _finance(request)
    assert actor.staff is not None
    form = AccountForm(request.POST if request.method == "POST" else None,
                       initial={"is_default": not _accounts(actor).exists()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                account = payments.save_payee_account(
                    actor, actor.staff.institution, name=form.cleaned_data["name"],
                    iban=form.cleaned_data["iban"], bic=form.cleaned_data["bic"],
                    is_default=form.cleaned_data["is_default"], new=True)
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, _("The account %(iban)s is saved.")
                                 % {"iban": account.iban})
                return redirect("administration:finance-accounts")
        status = 422
    return render(request, "administration/finance/accounts.html",
                  {"accounts": _accounts(actor), "form": form}, status=status)


@staff_required
@require_POST
def default_account(request: HttpRequest, account_id: int) -> HttpResponse:
    """Make one of the institution's accounts the one clients pay into."""
    actor = _finance(request)
    assert actor.staff is not None
    account = _accounts(actor).filter(pk=account_id).first()
    if account is None:
        raise Http404
    payments.save_payee_account(actor, actor.staff.institution, name=account.name,
                                iban=account.iban, bic=account.bic, is_default=True)
    messages.success(request, _("Clients now pay into %(iban)s.") % {"iban": account.iban})
    return redirect("administration:finance-accounts")
