"""One webhook endpoint's page (A5, B9): edit or turn it off, rotate its secret or delete it
(each after a confirmation), send a test event, and its recent deliveries with their failures."""

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
from durvis.administration.integrations import SecretKind, WebhookForm, hand_over
from durvis.core.actor import Actor
from durvis.core.concurrency import StaleVersion
from durvis.core.forms import VersionField, differences
from durvis.identity.sessions import actor_from_request
from durvis.integrations import services as integrations
from durvis.integrations.models import WebhookEndpoint
from durvis.integrations.rules import IntegrationAction
from durvis.web.shell import staff_required


class WebhookEditForm(WebhookForm):
    """An endpoint's address, events and state, with the version it was opened on
    (`durvis.core.concurrency`)."""

    is_active = forms.BooleanField(label=gettext_lazy("On: send events to this address"),
                                   required=False)
    legacy_signature = forms.BooleanField(
        label=gettext_lazy("Also send the old Durvis-Signature header (deprecated)"),
        help_text=gettext_lazy("Only for a receiver not yet checking the Standard Webhooks "
                               "signature; the header goes away in the next release."),
        required=False)
    version = VersionField()


def _endpoint(request: HttpRequest, endpoint_id: int) -> tuple[Actor, WebhookEndpoint]:
    actor = actor_from_request(request)
    if actor.staff is None or not decide(actor, IntegrationAction.MANAGE_INTEGRATIONS,
                                         actor.staff.institution):
        raise PermissionDenied
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id,
                                              institution=actor.staff.institution).first()
    if endpoint is None:
        raise Http404  # another institution's endpoint does not exist for this administrator
    return actor, endpoint


def _saved(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active,
            "legacy_signature": endpoint.legacy_signature, "version": endpoint.version}


@staff_required
def detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """The endpoint's page and its edit form. The form carries the version it was opened on:
    sent after the endpoint changed elsewhere (another administrator, another tab), it saves
    nothing and the page shows the saved endpoint and which fields differ (409)."""
    actor, endpoint = _endpoint(request, endpoint_id)
    form = WebhookEditForm(request.POST or None, initial=_saved(endpoint), prefix="webhook")
    changed: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            integrations.update_webhook(actor, endpoint, form.cleaned_data["url"],
                                        form.cleaned_data["events"],
                                        form.cleaned_data["is_active"],
                                        version=form.cleaned_data["version"],
                                        legacy_signature=form.cleaned_data["legacy_signature"])
        except StaleVersion:
            endpoint.refresh_from_db()
            saved = WebhookEditForm(initial=_saved(endpoint), prefix="webhook")
            changed, form = differences(form, saved), saved
            if not changed:
                return _saved_changes(request, endpoint)
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return _saved_changes(request, endpoint)
    status = 409 if changed else 422 if request.method == "POST" else 200
    return render(request, "administration/webhook.html", {
        "endpoint": endpoint, "form": form, "changed": changed,
        "deliveries": integrations.recent_deliveries(actor, endpoint),
    }, status=status)


def _saved_changes(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    messages.success(request, _("Changes saved."))
    return redirect("administration:webhook", endpoint_id=endpoint.pk)


@staff_required
@require_POST
def send_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    actor, endpoint = _endpoint(request, endpoint_id)
    integrations.send_test_event(actor, endpoint)
    messages.success(request, _("A test event is on its way; its delivery is listed below."))
    return redirect("administration:webhook", endpoint_id=endpoint.pk)


@staff_required
@require_POST
def rotate_secret(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    actor, endpoint = _endpoint(request, endpoint_id)
    if not confirmed(request):
        return ask(request, title=_("Rotate the signing secret of %(url)s?") % {"url": endpoint.url},
                   warning=_("For a day, deliveries are signed with both the old and the new "
                             "secret, so that your system can switch to the new one; then the "
                             "old one stops working."),
                   action=_("Yes, rotate the secret"),
                   cancel_url=reverse("administration:webhook", args=[endpoint.pk]))
    secret = integrations.rotate_secret(actor, endpoint)
    return hand_over(request, SecretKind.WEBHOOK_ROTATED, secret, endpoint.pk)



@staff_required
@require_POST
def delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    actor, endpoint = _endpoint(request, endpoint_id)
    if not confirmed(request):
        return ask(request, title=_("Delete the webhook %(url)s?") % {"url": endpoint.url},
                   warning=_("No more events are sent to this address, and messages still "
                             "waiting to be sent to it are dropped. This cannot be undone."),
                   action=_("Yes, delete the webhook"),
                   cancel_url=reverse("administration:webhook", args=[endpoint.pk]))
    integrations.delete_webhook(actor, endpoint)
    messages.success(request, _("Webhook deleted."))
    return redirect("administration:integrations")
