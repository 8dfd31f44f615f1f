"""The client's side of a holder's prefilled opening (B9, A10; `durvis.eforms.prefill`): the
one-time link shows what the institution prepared and "Start" (a POST: the link is used then,
not by a mail scanner's GET); a used, expired or someone else's link is a page that says so."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from durvis.eforms import prefill
from durvis.identity.sessions import actor_from_request
from durvis.web.roles import ClientRole, switch_role
from durvis.web.shell import client_required

STATUS = {"unknown": 404, "used": 410, "expired": 410, "other_person": 403,
          "not_allowed": 403, "form_changed": 409}


def _refused(request: HttpRequest, reason: str, ticket: object = None) -> HttpResponse:
    return render(request, "eforms/prefill_refused.html", {"reason": reason, "ticket": ticket},
                  status=STATUS[reason])


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def prefilled(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the institution prepared, for whom, and "Start"; POST: a new application starts
    with the prepared answers (in the role of the person the link is for) and its first page
    opens."""
    actor = actor_from_request(request)
    current: ClientRole = request.client_role  # type: ignore[attr-defined]
    try:
        ticket = prefill.ticket_for(token)
        role = prefill.role_of(actor, ticket, current)
    except prefill.TicketRefused as refused:
        return _refused(request, refused.reason, refused.ticket)
    if request.method != "POST":
        return render(request, "eforms/prefill.html", {
            "ticket": ticket, "service": ticket.service, "role": role,
            "prepared": len(ticket.answers)})
    try:
        application = prefill.redeem(actor, token, current)
    except prefill.TicketRefused as refused:
        return _refused(request, refused.reason, refused.ticket)
    except PermissionDenied:
        return _refused(request, "not_allowed", ticket)
    except ValidationError:  # the form changed since the link was made, or it was retired
        return _refused(request, "form_changed", ticket)
    if role.key != current.key:
        switch_role(request, role.key)
    return redirect("eforms:page", reference=application.reference,
                    page=application.current_page)
