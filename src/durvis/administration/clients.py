"""The workplace's client pages (B3, B4; issue 16): find a client by personal code, case number,
phone number or name; verify a caller known only by a phone number (or a name) with questions
drawn from the profile before anything personal shows; open the 360° view only for a stated
purpose — the service being handled and the basis (consent, a case, the law) — which the activity
log records and the client sees in "who used my data".

How a client was found is kept in the session per person: `identified` (by the code or a case
number the caller gave), `verified` (answered the questions), or `unverified`. Three wrong
answers in a row close verification of that person for this session."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import allowed
from durvis.administration import knowledge
from durvis.administration.forms import offer_services
from durvis.audit import queries as audit_queries
from durvis.audit.services import record
from durvis.calendars import queries as calendar_queries
from durvis.catalog.queries import services_served_by
from durvis.core.forms import CaseNumberField, DayField, Form
from durvis.identity.models import Person
from durvis.identity.sessions import actor_from_request
from durvis.mandates.rules import MandateAction
from durvis.register import queries as register_queries
from durvis.register.rules import ProfileBasis, ProfilePurpose
from durvis.search.services import normalize
from durvis.web.shell import staff_required

SESSION_KEY = "workplace_clients"
# The clients a session remembers as identified or verified, the latest kept: a working day's
# callers, without the session growing with every search.
MAX_REMEMBERED = 100
MAX_WRONG = 3
# Three failed checks of a caller in this time close the check of that person for everybody.
LOCK = datetime.timedelta(hours=1)
VERIFIED = "register.client.verify"
FAILED = "register.client.verify_failed"


class SearchForm(Form):
    q = forms.CharField(label=gettext_lazy("Personal code, case number, phone or name"),
                        max_length=100, required=False)


class VerifyForm(Form):
    given_name = forms.CharField(label=gettext_lazy("Given name, as the caller says it"),
                                 max_length=100)
    date_of_birth = DayField(label=gettext_lazy("Date of birth, as the caller says it"))


class PurposeForm(Form):
    service = forms.TypedChoiceField(label=gettext_lazy("Service you are handling"), coerce=int)
    basis = forms.ChoiceField(label=gettext_lazy("Basis"), widget=forms.RadioSelect, choices=[
        (ProfileBasis.CONSENT, gettext_lazy("The client agrees in this conversation")),
        (ProfileBasis.CASE, gettext_lazy("A case of the client about this service")),
        (ProfileBasis.LAW, gettext_lazy("A task the law gives my institution"))])
    case = CaseNumberField(label=gettext_lazy("Case number (for a case basis)"), required=False)

    def __init__(self, *args: Any, services: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_services(self, "service", services, _("Choose a service"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("basis") == ProfileBasis.CASE and not data.get("case") and (
                "case" not in self.errors):
            self.add_error("case", _("Give the number of the client's case."))
        return data


def _found(request: HttpRequest) -> dict[str, Any]:
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, dict) else {}


def identified_client(request: HttpRequest, pk: str) -> Person | None:
    """The person `pk` (text, as a form or address carries it) if this session's search
    identified them or they passed the caller's check; None otherwise."""
    known = _found(request).get(pk, {})
    if not pk.isdigit() or known.get("how") not in ("identified", "verified"):
        return None
    return Person.objects.filter(pk=int(pk)).first()


def _remember(request: HttpRequest, person_id: int, how: str) -> None:
    found = _found(request)
    found.pop(str(person_id), None)  # the latest last
    found[str(person_id)] = {"how": how}
    request.session[SESSION_KEY] = dict(list(found.items())[-MAX_REMEMBERED:])


def _locked(person: Person) -> bool:
    """Whether the check of callers for this person is closed: MAX_WRONG failed checks within
    LOCK, by anybody (the activity log counts them, so a new search or another agent's session
    does not reopen it)."""
    return audit_queries.count_since(FAILED, person.pk, timezone.now() - LOCK) >= MAX_WRONG


@staff_required
def client_search(request: HttpRequest) -> HttpResponse:
    """The search box and what it found: an identified client links to the 360° view, a caller
    found by phone or name to the verification (no name is shown for them)."""
    actor = actor_from_request(request)
    form = SearchForm(request.GET)
    results: list[register_queries.FoundClient] = []
    searched = bool(form.is_valid() and form.cleaned_data["q"])
    if searched:
        results = [_unless_locked(found) for found in
                   register_queries.find_clients(actor, form.cleaned_data["q"])]
        for found in results:
            known = _found(request).get(str(found.person.pk), {})
            if known.get("how") not in ("identified", "verified") or not found.needs_verification:
                _remember(request, found.person.pk,
                          "unverified" if found.needs_verification else "identified")
    return render(request, "administration/clients/search.html", {
        "form": form, "query_form": form, "results": results, "searched": searched,
        "known": _found(request)})


def _unless_locked(found: register_queries.FoundClient) -> register_queries.FoundClient:
    """A person found by code or case whose caller check is closed (three failed checks) is
    found as by name: a personal code is no secret, so it does not open what the check
    closed."""
    if not found.needs_verification and _locked(found.person):
        return dataclasses.replace(found, by="name")
    return found


def _person(pk: int) -> Person:
    person = Person.objects.filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


@staff_required
def client_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the caller their given name and date of birth and compare them with the profile;
    the answers are never shown to the specialist. Audited either way."""
    actor = actor_from_request(request)
    known = _found(request).get(str(pk))
    if known is None:
        raise Http404  # only a person this session's search found
    person = _person(pk)
    if known["how"] == "verified" or (known["how"] == "identified" and not _locked(person)):
        return redirect("administration:client", pk=pk)
    form = VerifyForm(request.POST if request.method == "POST" else None)
    if _locked(person):
        return render(request, "administration/clients/verify.html",
                      {"form": VerifyForm(None), "closed": True, "pk": pk}, status=403)
    if request.method == "POST" and form.is_valid():
        right = (normalize(form.cleaned_data["given_name"]) == normalize(person.given_name)
                 and form.cleaned_data["date_of_birth"] == person.date_of_birth)
        record(actor, VERIFIED if right else FAILED, person, subject=person)
        if right:
            _remember(request, pk, "verified")
            messages.success(request, _("The caller is verified."))
            return redirect("administration:client", pk=pk)
        form.add_error(None, _("The answers do not match the client's profile. Nothing "
                               "personal may be shown or told."))
        if _locked(person):
            return render(request, "administration/clients/verify.html",
                          {"form": VerifyForm(None), "closed": True, "pk": pk}, status=403)
    return render(request, "administration/clients/verify.html", {"form": form, "pk": pk},
                  status=422 if request.method == "POST" else 200)


@staff_required
def client_profile(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360° view of an identified or verified client, once the purpose is given (GET with
    `service`, `basis`, `case`): every opening is an audited read naming the purpose."""
    actor = actor_from_request(request)
    known = _found(request).get(str(pk))
    if known is None:
        raise Http404
    if known["how"] not in ("identified", "verified") or (
            known["how"] == "identified" and _locked(_person(pk))):
        return redirect("administration:client-verify", pk=pk)
    person = _person(pk)
    assert actor.institution_id is not None
    services = list(services_served_by(actor.institution_id))
    asked = "basis" in request.GET or "service" in request.GET
    form = PurposeForm(request.GET if asked else None, services=services)
    profile, service = None, None
    if form.is_bound and form.is_valid():
        profile = _profile(actor, person, form, services)
        service = next(s for s in services if s.pk == form.cleaned_data["service"])
    return render(request, "administration/clients/profile.html", {
        "person": person, "form": form, "profile": profile, "query_form": None,
        "service": service, "knowledge_cards": knowledge.panel(actor, service) if profile else [],
        "may_record_mandate": allowed(actor, MandateAction.RECORD_ON_PAPER, None, person),
        # Opened by the profile's own rule and audited with it: the client's appointments at
        # the points of the agent's institution (A4).
        "appointments": (calendar_queries.upcoming_for_profile(actor, person,
                                                                actor.institution_id)
                         if profile else []),
        "may_book": bool(profile) and bool(calendar_queries.calendars_for_agent(actor, person))},
        status=422 if form.is_bound and profile is None else 200)


def _profile(actor: Any, person: Person, form: PurposeForm, services: list[Any]
             ) -> register_queries.ClientProfile | None:
    data = form.cleaned_data
    service = next(s for s in services if s.pk == data["service"])
    case = None
    if data["basis"] == ProfileBasis.CASE:
        case = register_queries.case_by_number(data["case"])
    try:
        return register_queries.client_profile(actor, person, ProfilePurpose(
            service, data["basis"], case))
    except PermissionDenied:
        form.add_error("case" if data["basis"] == ProfileBasis.CASE else "service", _(
            "This purpose does not allow opening the client's data."))
    except ValidationError as error:
        form.add_error(None, error)
    return None

