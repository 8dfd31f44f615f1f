"""Holders and providers, per stage (A1, B3; issue 16): the holder's administrator hands stages
of its services (information, application, execution, result delivery) to provider
institutions for a period, and ends such delegations (after a confirmation); the provider's
administrator sees what was delegated to its institution. The writes and their refusals are the
catalogue's (`catalog.services.create_delegation`, `end_delegation`); another institution's
delegation does not exist here (404)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import decide
from durvis.administration.confirm import ask, confirmed
from durvis.catalog import queries as catalog_queries
from durvis.catalog import services as catalog
from durvis.catalog.models import Delegation, Service, Stage
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import Actor
from durvis.core.forms import DayField, Form
from durvis.identity.models import Institution
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required


class _ServiceChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Service) -> str:
        return f"{obj.code} {obj.name}"


class _InstitutionChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Institution) -> str:
        return f"{obj.name} ({obj.code})"


class DelegationForm(Form):
    """A new delegation: which service, to whom, which stage, from when until when."""

    service = _ServiceChoice(label=gettext_lazy("Service"), queryset=Service.objects.none())
    provider = _InstitutionChoice(label=gettext_lazy("Provider institution"),
                                  queryset=Institution.objects.none())
    stage = forms.ChoiceField(label=gettext_lazy("Stage"), choices=Stage.choices,
                              widget=forms.RadioSelect)
    valid_from = DayField(label=gettext_lazy("Valid from"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    valid_until = DayField(
        label=gettext_lazy("Valid until (the last day; empty: until ended)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: object, institution_id: int, **kwargs: object) -> None:
        """`institution_id`: the administrator's institution: its services, the others as
        providers."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        service_field = self.fields["service"]
        assert isinstance(service_field, forms.ModelChoiceField)
        service_field.queryset = Service.objects.filter(holder_id=institution_id).order_by("code")
        provider_field = self.fields["provider"]
        assert isinstance(provider_field, forms.ModelChoiceField)
        provider_field.queryset = Institution.objects.exclude(pk=institution_id).order_by("name")
        self.initial.setdefault("valid_from", catalog_queries.day_of())


def _administrator(request: HttpRequest) -> tuple[Actor, Institution]:
    actor = actor_from_request(request)
    if actor.staff is None or not decide(actor, CatalogAction.MANAGE_DELEGATIONS):
        raise PermissionDenied
    return actor, actor.staff.institution


def _rows(delegations: list[Delegation]) -> list[dict[str, object]]:
    """Each delegation with whether it holds today, is still to come or is over."""
    today = catalog_queries.day_of()
    rows = []
    for delegation in delegations:
        over = delegation.valid_until is not None and delegation.valid_until < today
        state = _("ended") if over else (_("from %(day)s") % {"day": formats.date_format(
            delegation.valid_from, "SHORT_DATE_FORMAT")} if delegation.valid_from > today
            else _("in force"))
        rows.append({"delegation": delegation, "state": state, "may_end": not over})
    return rows


def _page(request: HttpRequest, institution: Institution, *, form: DelegationForm | None = None,
          status: int = 200) -> HttpResponse:
    holds = Service.objects.filter(holder=institution).exists()
    return render(request, "administration/delegations.html", {
        "institution": institution, "holds": holds,
        "given": _rows(list(catalog_queries.delegations_given(institution.pk))),
        "received": _rows(list(catalog_queries.delegations_received(institution.pk))),
        "form": form or DelegationForm(institution_id=institution.pk),
    }, status=status)


@staff_required
def delegation_list(request: HttpRequest) -> HttpResponse:
    """The delegations the institution gave (with the form to add one, POST) and received."""
    actor, institution = _administrator(request)
    if request.method != "POST":
        return _page(request, institution)
    form = DelegationForm(request.POST, institution_id=institution.pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            catalog.create_delegation(
                actor, data["service"], provider=data["provider"], stage=data["stage"],
                valid_from=data["valid_from"], valid_until=data["valid_until"])
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Delegation added: %(provider)s, %(stage)s, service "
                                        "%(code)s.") % {
                "provider": data["provider"].name, "stage": Stage(data["stage"]).label,
                "code": data["service"].code})
            return redirect("administration:delegations")
    return _page(request, institution, form=form, status=422)


@staff_required
def delegation_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a delegation of one of the institution's services from today, after a
    confirmation (POST only)."""
    actor, institution = _administrator(request)
    if request.method != "POST":
        return redirect("administration:delegations")
    delegation = (Delegation.objects.select_related("service", "provider")
                  .filter(pk=pk, service__holder=institution).first())
    if delegation is None:
        raise Http404  # a delegation of another holder's service does not exist here
    stage = Stage(delegation.stage).label
    if not confirmed(request):
        return ask(request, title=_("End the delegation of %(stage)s to %(provider)s?") % {
                       "stage": stage, "provider": delegation.provider.name},
                   warning=_("From today its staff and systems can no longer do this stage of "
                             "service %(code)s %(name)s.") % {
                       "code": delegation.service.code, "name": delegation.service.name},
                   action=_("Yes, end it"), cancel_url=reverse("administration:delegations"))
    try:
        catalog.end_delegation(actor, delegation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("administration:delegations")
    messages.success(request, _("The delegation has ended."))
    return redirect("administration:delegations")
