"""Every staff role's home (A5, B3): the start page after sign-in lists the sections the access
policy lets this person open; agents and back-office specialists also read their institution's
cases here (read-only) until the workplace has its own pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from durvis.access.policy import Action, actor_from_request, case_scope, decide
from durvis.administration.decorators import staff_required
from durvis.administration.navigation import staff_sections
from durvis.identity.models import StaffRole
from durvis.register import services as register
from durvis.register.models import ServiceCase

PAGE_SIZE = 50


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    assert actor.staff is not None
    roles = [StaffRole(role).label for role in actor.staff.roles if role in StaffRole.values]
    sections = [s for s in staff_sections(actor) if s.key != "home"]
    return render(request, "administration/home.html", {
        "sections": sections, "roles": roles, "institution": actor.staff.institution,
    })


@staff_required
def cases(request: HttpRequest) -> HttpResponse:
    """The cases of the person's institution, as holder or provider, newest first. Read-only:
    no client's name is listed; opening a case is an audited read."""
    actor = actor_from_request(request)
    if not decide(actor, Action.LIST_CASES):
        raise PermissionDenied
    scope = case_scope(actor)
    # TODO(issue 8): a register query function once register/services.py is split.
    listing = (ServiceCase.objects
               .filter(Q(holder_id=scope.institution_id) | Q(provider_id=scope.institution_id))
               .select_related("service", "holder", "provider").order_by("-applied_at", "-pk"))
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "administration/cases.html", {"page": page})


@staff_required
def case(request: HttpRequest, number: str) -> HttpResponse:
    actor = actor_from_request(request)
    try:
        found, history = register.read_case(actor, number, purpose="staff start page")
    except (ServiceCase.DoesNotExist, ValidationError):
        raise Http404 from None
    return render(request, "administration/case.html", {
        "case": found, "history": history,
        "may_write": decide(actor, Action.SEND_TO_CLIENT, found).allowed,
    })
