"""An institution's e-services for single sign-on and the web sites that may embed its forms
(A12, A10; issue 13): its administrator registers each e-service (a name, the return addresses
the hand-off token is POSTed to, the data it may receive) and gets its client id; and lists the
origins allowed to frame the e-forms of the institution's services. Every change is audited by
the catalogue's services; another institution's e-service or origin does not exist here (404).
No secret is issued: an e-service checks the platform's signature with the published JWKS."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from durvis.access.policy import decide
from durvis.administration.confirm import ask, confirmed
from durvis.catalog import queries as catalog_queries
from durvis.catalog import services as catalog
from durvis.catalog.models import Claim, EmbedOrigin, EService
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import Actor
from durvis.core.concurrency import StaleVersion
from durvis.core.forms import Form, VersionField
from durvis.identity.models import Institution
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required


class EServiceForm(Form):
    name = forms.CharField(label=gettext_lazy("Name of the e-service"), max_length=100)
    return_urls = forms.CharField(
        label=gettext_lazy("Return addresses, one per line"), widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=gettext_lazy("https://… addresses of your e-service where the platform sends "
                               "the signed-in person with the hand-off token (a POST)."))
    claims = forms.MultipleChoiceField(
        label=gettext_lazy("Data it receives besides the name and the role"), required=False,
        choices=Claim.choices, widget=forms.CheckboxSelectMultiple)

    def urls(self) -> list[str]:
        return str(self.cleaned_data["return_urls"]).splitlines()


class EServiceEditForm(EServiceForm):
    is_active = forms.BooleanField(label=gettext_lazy("On: hand persons over to it"),
                                   required=False)
    version = VersionField()


class EmbedOriginForm(Form):
    origin = forms.CharField(label=gettext_lazy("Web site (https://portal.example.lv)"),
                             max_length=200)


def _administrator(request: HttpRequest) -> tuple[Actor, Institution]:
    actor = actor_from_request(request)
    if actor.staff is None or not decide(actor, CatalogAction.MANAGE_ESERVICES,
                                         actor.staff.institution):
        raise PermissionDenied
    return actor, actor.staff.institution


def _page(request: HttpRequest, institution: Institution, *, form: EServiceForm | None = None,
          origin_form: EmbedOriginForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "administration/eservices.html", {
        "institution": institution,
        "eservices": catalog_queries.eservices_of(institution),
        "origins": catalog_queries.embed_origins_of(institution),
        "form": form or EServiceForm(prefix="eservice"),
        "origin_form": origin_form or EmbedOriginForm(prefix="embed"),
        "jwks_url": request.build_absolute_uri(reverse("handoff-jwks")),
    }, status=status)


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    """The institution's e-services and embedding web sites; POST registers an e-service."""
    actor, institution = _administrator(request)
    if request.method != "POST":
        return _page(request, institution)
    form = EServiceForm(request.POST, prefix="eservice")
    if form.is_valid():
        try:
            eservice = catalog.register_eservice(
                actor, institution, name=form.cleaned_data["name"], return_urls=form.urls(),
                claims=form.cleaned_data["claims"])
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("E-service registered. Its client id is %(id)s.")
                             % {"id": eservice.client_id})
            return redirect("administration:eservice", eservice_id=eservice.pk)
    return _page(request, institution, form=form, status=422)


def _initial(eservice: EService) -> dict[str, Any]:
    return {"name": eservice.name, "return_urls": "\n".join(eservice.return_urls),
            "claims": eservice.claims, "is_active": eservice.is_active,
            "version": eservice.version}


@staff_required
def detail(request: HttpRequest, eservice_id: int) -> HttpResponse:
    """One e-service: its client id and the form that changes it (with its version: sent after
    another change, it saves nothing and says so, 409)."""
    actor, institution = _administrator(request)
    eservice = EService.objects.filter(pk=eservice_id, institution=institution).first()
    if eservice is None:
        raise Http404  # another institution's e-service does not exist for this administrator
    form = EServiceEditForm(request.POST or None, initial=_initial(eservice))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            catalog.update_eservice(
                actor, eservice, name=form.cleaned_data["name"], return_urls=form.urls(),
                claims=form.cleaned_data["claims"], is_active=form.cleaned_data["is_active"],
                version=form.cleaned_data["version"])
        except StaleVersion:
            eservice.refresh_from_db()
            form = EServiceEditForm(initial=_initial(eservice))
            messages.error(request, _("Someone changed this e-service meanwhile. Here is what is "
                                      "saved now; make your change again."))
            status = 409
        except ValidationError as error:
            _errors_into(form, error)
            status = 422
        else:
            messages.success(request, _("Changes saved."))
            return redirect("administration:eservice", eservice_id=eservice.pk)
    elif request.method == "POST":
        status = 422
    return render(request, "administration/eservice.html",
                  {"eservice": eservice, "form": form}, status=status)


@staff_required
@require_POST
def add_origin(request: HttpRequest) -> HttpResponse:
    actor, institution = _administrator(request)
    form = EmbedOriginForm(request.POST, prefix="embed")
    if form.is_valid():
        try:
            catalog.add_embed_origin(actor, institution, form.cleaned_data["origin"])
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("The web site may now embed your services' forms."))
            return redirect("administration:eservices")
    return _page(request, institution, origin_form=form, status=422)


@staff_required
@require_POST
def remove_origin(request: HttpRequest, origin_id: int) -> HttpResponse:
    actor, institution = _administrator(request)
    embed = EmbedOrigin.objects.filter(pk=origin_id, institution=institution).first()
    if embed is None:
        raise Http404
    if not confirmed(request):
        return ask(request, title=_("Stop %(origin)s embedding your forms?") % {"origin": embed.origin},
                   warning=_("Its pages will no longer show your services' forms."),
                   action=_("Yes, stop it"), cancel_url=reverse("administration:eservices"))
    catalog.remove_embed_origin(actor, embed)
    messages.success(request, _("The web site can no longer embed your forms."))
    return redirect("administration:eservices")
