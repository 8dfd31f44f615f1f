"""Integration administration of an institution (A5, B9): its API clients, webhooks, the dead
letters of the outbox, and its own status names mapped onto the standard ones."""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from durvis.access.policy import decide
from durvis.administration.confirm import ask, confirmed
from durvis.catalog.models import Service
from durvis.catalog.queries import serving
from durvis.core.actor import Actor
from durvis.core.forms import Form
from durvis.identity.models import Institution
from durvis.identity.sessions import actor_from_request
from durvis.integrations import services as integrations
from durvis.integrations.models import ApiClient, OutboxMessage
from durvis.integrations.rules import SCOPES, WEBHOOK_TYPES, IntegrationAction
from durvis.register import queries as register_queries
from durvis.register import services as register
from durvis.register.models import CaseStatus
from durvis.web.shell import staff_required


class ApiClientForm(Form):
    name = forms.CharField(label=gettext_lazy("Name of the system"), max_length=100)
    operations = forms.MultipleChoiceField(
        label=gettext_lazy("Operations"), widget=forms.CheckboxSelectMultiple,
        choices=lambda: SCOPES.choices(lambda scope: str(scope.description)))
    services: forms.ModelMultipleChoiceField[Service] = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Services (none: all the institution holds or provides)"),
        queryset=Service.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)


# A scheme (`https:`, `javascript:`), not a host followed by its port (`example.lv:8443`).
_HAS_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)


class WebhookForm(Form):
    url = forms.CharField(label=gettext_lazy("Address (URL)"), max_length=500)
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), widget=forms.CheckboxSelectMultiple,
        choices=lambda: WEBHOOK_TYPES.choices(lambda kind: str(kind.description)))

    def clean_url(self) -> str:
        """The address's own faults first (`ftp://…` is told it must start with https://, not
        that it is not a URL), then whether it is a well-formed URL at all; an address typed
        without a scheme is taken as https."""
        url: str = self.cleaned_data["url"]
        if not _HAS_SCHEME.match(url):  # `example.lv/hook`, `example.lv:8443/hook`
            url = f"https://{url}"
        try:
            integrations.check_webhook_url(url)
        except ValidationError as error:
            raise ValidationError(error.error_dict["url"]) from None
        URLValidator(schemes=["http", "https"])(url)
        return url


class StatusMappingForm(Form):
    service: forms.ModelChoiceField[Service] = forms.ModelChoiceField(
        label=gettext_lazy("Service"), queryset=Service.objects.none())
    holder_status = forms.CharField(label=gettext_lazy("Your status name"), max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Standard status"), choices=CaseStatus.choices)


def _administrator(request: HttpRequest) -> tuple[Actor, Institution]:
    actor = actor_from_request(request)
    if actor.staff is None or not decide(actor, IntegrationAction.MANAGE_INTEGRATIONS,
                                         actor.staff.institution):
        raise PermissionDenied
    return actor, actor.staff.institution


def _institution_services(institution: Institution) -> object:
    return Service.objects.filter(serving(institution.pk)).order_by("code")


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    actor, institution = _administrator(request)
    client_form = ApiClientForm(prefix="client")
    client_form.fields["services"].queryset = _institution_services(institution)  # type: ignore[attr-defined]
    mapping_form = StatusMappingForm(prefix="mapping")
    mapping_form.fields["service"].queryset = Service.objects.filter(holder=institution)  # type: ignore[attr-defined]
    return render(request, "administration/integrations.html", {
        "institution": institution,
        "clients": integrations.clients_of(institution),
        "webhooks": integrations.webhooks_of(institution),
        # Failures as they happen: dead letters and messages still retried after an error.
        "dead_letters": integrations.failing(actor, institution),
        "mappings": register_queries.status_mappings(institution),
        "client_form": client_form, "webhook_form": WebhookForm(prefix="webhook"),
        "mapping_form": mapping_form,
    })


@staff_required
@require_POST
def create_client(request: HttpRequest) -> HttpResponse:
    actor, institution = _administrator(request)
    form = ApiClientForm(request.POST, prefix="client")
    form.fields["services"].queryset = _institution_services(institution)  # type: ignore[attr-defined]
    if not form.is_valid():
        return _invalid(request, form)
    client, token = integrations.create_api_client(
        actor, institution, form.cleaned_data["name"],
        form.cleaned_data["operations"], form.cleaned_data["services"])
    return hand_over(request, SecretKind.API_TOKEN, token, client.pk)


@staff_required
@require_POST
def deactivate_client(request: HttpRequest, client_id: int) -> HttpResponse:
    actor, institution = _administrator(request)
    client = ApiClient.objects.filter(pk=client_id, institution=institution).first()
    if client is None:
        raise Http404
    if not confirmed(request):
        return ask(request, title=_("Revoke the token of %(name)s?") % {"name": client.name},
                   warning=_("The system's requests will be refused at once. This cannot be "
                             "undone: the system needs a new client and token."),
                   action=_("Yes, revoke the token"),
                   cancel_url=reverse("administration:integrations"))
    integrations.deactivate_api_client(actor, client)
    messages.success(request, _("The client's token no longer works."))
    return redirect("administration:integrations")


@staff_required
@require_POST
def create_webhook(request: HttpRequest) -> HttpResponse:
    actor, institution = _administrator(request)
    form = WebhookForm(request.POST, prefix="webhook")
    if not form.is_valid():
        return _invalid(request, form)
    endpoint = integrations.register_webhook(actor, institution,
                                             form.cleaned_data["url"], form.cleaned_data["events"])
    return hand_over(request, SecretKind.WEBHOOK_ADDED, endpoint.secret, endpoint.pk)


@staff_required
@require_POST
def replay(request: HttpRequest, message_id: int) -> HttpResponse:
    actor, institution = _administrator(request)
    message = OutboxMessage.objects.filter(
        pk=message_id, endpoint__institution=institution).first()
    if message is None:
        raise Http404
    try:
        integrations.replay(actor, message)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The message will be sent again."))
    return redirect("administration:integrations")


@staff_required
@require_POST
def map_status(request: HttpRequest) -> HttpResponse:
    actor, institution = _administrator(request)
    form = StatusMappingForm(request.POST, prefix="mapping")
    form.fields["service"].queryset = Service.objects.filter(holder=institution)  # type: ignore[attr-defined]
    if not form.is_valid():
        return _invalid(request, form)
    service, holder_status = form.cleaned_data["service"], form.cleaned_data["holder_status"]
    existing = register_queries.status_mappings(institution).filter(
        service=service, holder_status=holder_status.strip()).first()
    if existing and existing.status != form.cleaned_data["status"] and not confirmed(request):
        return ask(
            request, title=_("Replace the mapping of “%(name)s”?") % {"name": existing.holder_status},
            warning=_("%(service)s: “%(name)s” now means “%(old)s”; it will mean “%(new)s” for "
                      "every later status event.") % {
                "service": service.name, "name": existing.holder_status,
                "old": existing.get_status_display(),
                "new": CaseStatus(form.cleaned_data["status"]).label},
            action=_("Yes, replace it"), cancel_url=reverse("administration:integrations"),
            fields={k: request.POST.get(k, "") for k in request.POST if k.startswith("mapping-")})
    try:
        register.map_holder_status(actor, form.cleaned_data["service"],
                                   form.cleaned_data["holder_status"], form.cleaned_data["status"])
    except ValidationError as error:
        form.add_error(None, error)
        return _invalid(request, form)
    messages.success(request, _("Status name mapped."))
    return redirect("administration:integrations")


@staff_required
@require_POST
def delete_mapping(request: HttpRequest, mapping_id: int) -> HttpResponse:
    actor, institution = _administrator(request)
    mapping = register_queries.status_mappings(institution).filter(pk=mapping_id).first()
    if mapping is None:
        raise Http404  # another institution's mapping does not exist for this administrator
    if not confirmed(request):
        return ask(
            request, title=_("Delete the mapping of “%(name)s”?") % {"name": mapping.holder_status},
            warning=_("%(service)s: status events that give only “%(name)s” will be refused "
                      "until it is mapped again. Cases keep the status they have.") % {
                "service": mapping.service.name, "name": mapping.holder_status},
            action=_("Yes, delete it"), cancel_url=reverse("administration:integrations"))
    register.delete_status_mapping(actor, mapping)
    messages.success(request, _("Status name mapping deleted."))
    return redirect("administration:integrations")


def _invalid(request: HttpRequest, form: forms.Form) -> HttpResponse:
    return render(request, "administration/form_errors.html", {"form": form}, status=422)


class SecretKind(StrEnum):
    """What a secret shown once is: a new API client's token, or a webhook's signing secret
    (when the webhook is added, or after a rotation)."""

    API_TOKEN = "api-token"  # noqa: S105 - the name of a kind, not a secret
    WEBHOOK_ADDED = "webhook-added"
    WEBHOOK_ROTATED = "webhook-rotated"


SHOWN_ONCE = "durvis.administration.shown_once"


def hand_over(request: HttpRequest, kind: SecretKind, secret: str, object_id: int) -> HttpResponse:
    """Answer the POST that made a secret with a redirect to the page that shows it once
    (post/redirect/get: reloading that page never repeats the POST, which would make another
    client or webhook). The secret waits in the server-side session, never in a cookie, under a
    random ticket that `shown_once` takes out as it shows it (issue 11, A5)."""
    ticket = secrets.token_urlsafe(16)
    waiting = request.session.get(SHOWN_ONCE, {})
    waiting[ticket] = {"kind": kind.value, "secret": secret, "id": object_id}
    request.session[SHOWN_ONCE] = waiting
    return redirect("administration:shown-once", ticket=ticket)


@staff_required
@require_GET
def shown_once(request: HttpRequest, ticket: str) -> HttpResponse:
    """The secret behind `ticket`, once, never cached; asked for again (a reload, the back
    button), a page that says it was shown and how to get a new one (410 Gone)."""
    _, institution = _administrator(request)
    waiting = request.session.get(SHOWN_ONCE, {})
    entry = waiting.pop(ticket, None)
    request.session[SHOWN_ONCE] = waiting
    kind = SecretKind(entry["kind"]) if entry else None
    context = _shown_once_context(institution, kind, entry["id"] if entry else 0)
    response = render(request, "administration/secret_shown.html", {
        **context, "secret": entry["secret"] if entry else None}, status=200 if entry else 410)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _shown_once_context(institution: Institution, kind: SecretKind | None,
                        object_id: int) -> dict[str, str]:
    if kind is SecretKind.API_TOKEN:
        client = ApiClient.objects.filter(pk=object_id, institution=institution).first()
        return {"title": _("API client created"), "label": _("Token"),
                "text": _("The token of “%(name)s” is shown only now. Store it in the system's "
                          "secret store; the platform keeps only its hash.") % {
                              "name": client.name if client else ""},
                "back_url": reverse("administration:integrations"),
                "back": _("Back to integrations")}
    if kind is not None:
        return {"title": _("Webhook added") if kind is SecretKind.WEBHOOK_ADDED
                else _("New signing secret"),
                "label": _("Signing secret"),
                "text": _("The webhook's signing secret is shown only now: it is not sent "
                          "anywhere else. Store it in your system, which checks the signature "
                          "of every delivery with it."),
                "back_url": reverse("administration:webhook", args=[object_id]),
                "back": _("Back to the webhook")}
    return {"title": _("Already shown"),
            "text": _("A token or signing secret is shown only once, and this one has been. If "
                      "it was not stored, revoke the API client and create a new one, or rotate "
                      "the webhook's secret."),
            "back_url": reverse("administration:integrations"), "back": _("Back to integrations")}
