"""Hand out a result at the counter (B3, A1; issue 16): an agent of the case's holder or
provider, with the client in front of them, checks the identity document and hands over the
decided case's result; the register records the delivery in person and the agent's time at the
result-delivery stage (timed from opening the case's page, as a consultation is)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import decide
from durvis.administration.forms import opened_at, opened_now
from durvis.core.actor import Actor
from durvis.core.forms import Form
from durvis.identity.sessions import actor_from_request
from durvis.register import queries as register_queries
from durvis.register import services as register
from durvis.register.models import CaseStatus, ServiceCase
from durvis.register.rules import CaseAction
from durvis.web.shell import staff_required

SALT = "durvis.workplace.handout"


class HandOutForm(Form):
    document_number = forms.CharField(
        label=gettext_lazy("Number of the identity document the client showed"), max_length=30)
    # The signed time the page was opened (no text a person types: checked by its signature).
    opened = forms.Field(widget=forms.HiddenInput, required=False)


def hand_out_form(actor: Actor, case: ServiceCase, data: Any = None) -> HandOutForm | None:
    """The form for the case's page, when the actor may hand its result out now (else None);
    it carries the signed time the page was opened."""
    if case.status != CaseStatus.DECIDED or not decide(actor, CaseAction.DELIVER_RESULT, case):
        return None
    return HandOutForm(data, initial={"opened": opened_now(SALT)}, prefix="handout")


@staff_required
def hand_out(request: HttpRequest, number: str) -> HttpResponse:
    """POST only: hand the result out; refusals at the form's field on the case's page."""
    if request.method != "POST":
        return redirect("administration:case", number=number)
    actor = actor_from_request(request)
    try:
        case = register_queries.case_by_number(number)
    except ValidationError:
        raise Http404 from None
    if case is None or not decide(actor, CaseAction.READ_CASE, case):
        raise Http404
    form = hand_out_form(actor, case, request.POST)
    if form is None:
        messages.error(request, _("This case's result cannot be handed out now."))
        return redirect("administration:case", number=number)
    if form.is_valid():
        try:
            register.deliver_result_in_person(
                actor, case, document_number=form.cleaned_data["document_number"],
                started_at=opened_at(str(form.cleaned_data.get("opened") or ""), SALT))
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                form.add_error("document_number" if name == "document_number" else None, errors)
        else:
            messages.success(request, _("The result is handed out; the client's case shows it."))
            return redirect("administration:case", number=number)
    return render(request, "administration/hand_out.html", {"case": case, "form": form},
                  status=422)
