"""Every staff role's home (A5, B3): the start page after sign-in lists the sections the access
policy lets this person open; agents and back-office specialists also read their institution's
cases here (read-only) until the workplace has its own pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from durvis.access.policy import decide
from durvis.administration.navigation import staff_sections
from durvis.administration.results import hand_out_form
from durvis.core.forms import PageQueryForm
from durvis.documents import queries as document_queries
from durvis.documents.rules import DocumentAction
from durvis.identity.models import StaffRole
from durvis.identity.sessions import actor_from_request
from durvis.messaging import queries as messaging_queries
from durvis.messaging.rules import MessagingAction
from durvis.register import queries as register_queries
from durvis.register.models import ServiceCase
from durvis.web.shell import staff_required

PAGE_SIZE = 50


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    assert actor.staff is not None
    roles = [StaffRole(role).label for role in actor.staff.roles if role in StaffRole.values]
    sections = [s for s in staff_sections(actor) if s.key != "home"]
    return render(request, "administration/home.html", {
        "sections": sections, "shortcuts": [s for s in sections if s.accesskey],
        "roles": roles, "institution": actor.staff.institution,
    })


@staff_required
def cases(request: HttpRequest) -> HttpResponse:
    """The cases of the person's institution, as holder or provider, newest first. Read-only:
    no client's name is listed; opening a case is an audited read."""
    listing = register_queries.institution_cases(actor_from_request(request))
    query = PageQueryForm(request.GET)
    page = Paginator(listing, PAGE_SIZE).get_page(query.value("page"))
    return render(request, "administration/cases.html", {"page": page, "query_form": query})


@staff_required
def case(request: HttpRequest, number: str) -> HttpResponse:
    """One case of the institution: its history with who acted for the client, the
    conversations about it with who wrote each message for the client and who read each of
    the institution's messages when, and the documents exchanged with who uploaded them (A2,
    C1, B1) and its stages with who worked on each and how long (D2). Every part is an audited
    read; a part the person may not read is left out."""
    actor = actor_from_request(request)
    try:
        found, history = register_queries.read_case(actor, number, purpose="staff case page")
    except (ServiceCase.DoesNotExist, ValidationError):
        raise Http404 from None
    may_read_messages = decide(actor, MessagingAction.READ_CLIENT_MESSAGES, found).allowed
    may_list_documents = decide(actor, DocumentAction.LIST_EXCHANGED, found).allowed
    return render(request, "administration/case.html", {
        "case": found, "history": history,
        "may_write": decide(actor, DocumentAction.SEND_TO_CLIENT, found).allowed,
        "may_read_messages": may_read_messages,
        "case_messages": (messaging_queries.case_conversations(actor, found)
                          if may_read_messages else []),
        "may_list_documents": may_list_documents,
        "documents": (document_queries.exchanged_about_case(actor, found)
                      if may_list_documents else []),
        "work": register_queries.case_work(found),
        "hand_out": hand_out_form(actor, found),
    })
