"""Institution administration of the catalogue (A5): an administrator sees and changes only
their own institution's services; the access policy decides, the catalogue services write."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from durvis.access.policy import decide
from durvis.administration.forms import ServiceForm
from durvis.audit.services import events_for
from durvis.catalog import services as catalog
from durvis.catalog.models import Service
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import Actor
from durvis.core.concurrency import StaleVersion
from durvis.core.forms import differences
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required


def _administrator(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if not decide(actor, CatalogAction.ADMINISTER_CATALOG):
        raise PermissionDenied
    return actor


@staff_required
def service_list(request: HttpRequest) -> HttpResponse:
    actor = _administrator(request)
    assert actor.staff is not None
    services = Service.objects.filter(holder_id=actor.institution_id).order_by("code")
    return render(request, "administration/service_list.html",
                  {"services": services, "institution": actor.staff.institution})


@staff_required
def service_create(request: HttpRequest) -> HttpResponse:
    actor = _administrator(request)
    assert actor.staff is not None
    # The holder is known before validation: a holder-hosted service's address is checked
    # against the holder's registered e-services (`Service.clean`).
    form = ServiceForm(request.POST or None, instance=Service(holder=actor.staff.institution))
    if request.method == "POST" and form.is_valid():
        service = catalog.create_service(
            actor, actor.staff.institution, form.scalar_data(), form.relation_data()
        )
        messages.success(request, _("Service %(code)s added.") % {"code": service.code})
        return redirect("administration:service-edit", code=service.code)
    return render(request, "administration/service_form.html", {"form": form, "service": None})


@staff_required
def service_edit(request: HttpRequest, code: int) -> HttpResponse:
    """Change a service of the administrator's institution. The form carries the version it was
    opened on: sent after the service changed elsewhere (another administrator, another tab),
    it saves nothing and the page shows the saved service and which fields differ from what was
    sent (409)."""
    actor = _administrator(request)
    service = Service.objects.filter(code=code).first()
    if service is None or not decide(actor, CatalogAction.CHANGE_SERVICE, service):
        raise Http404  # another institution's service does not exist for this administrator
    form = ServiceForm(request.POST or None, instance=Service.objects.get(pk=service.pk))
    changed: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            catalog.update_service(actor, service, form.scalar_data(), form.relation_data(),
                                   version=form.cleaned_data["version"])
        except StaleVersion:
            service = Service.objects.get(pk=service.pk)
            saved = ServiceForm(instance=Service.objects.get(pk=service.pk))
            changed = differences(form, saved)
            form = saved
        if not changed:
            messages.success(request, _("Changes saved."))
            return redirect("administration:service-edit", code=service.code)
    return render(request, "administration/service_form.html",
                  {"form": form, "service": service, "events": events_for(service)[:50],
                   "changed": changed}, status=409 if changed else 200)
