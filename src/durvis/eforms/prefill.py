"""A holder's system opens the platform's e-form for a client with prefilled answers and a
return address (B9, A10; issue 13, "a holder's system may open a platform form with a
prefilled payload and a return address (signed request)").

1. The system (its bearer token, scope `applications:prefill`, for a service its institution
   holds or provides) asks `POST /api/v1/applications/prefill` with the service, the answers by
   question key (checked against the live form now: an unknown key or a value the question
   refuses is a 422 naming the key), the return address and, optionally, the personal code of
   the person the form is meant for. It gets a one-time link of the platform, valid for
   `DURVIS_PREFILL_MINUTES` (15), which it hands to the client (a redirect).
2. The client opens the link (`/applications/prefill/<token>/`), is sent to sign in and back if
   needed, sees what the institution prepared and starts: a new application begins with the
   answers and the return address (`services.start_application(..., origin=holder)`), and the
   confirmation page offers "Return to <institution>".

The token is in the link only; the platform stores its SHA-256 (`PrefillTicket.token_hash`). A
used or expired link, or one for another personal code, is refused with a page that says why.
The return address must be `https` (as a webhook's: `integrations.addresses`, no internal
host) on a host of the institution: its website's host or a subdomain of it, or the host of one
of its webhook endpoints.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import urllib.parse
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from durvis.access.policy import require
from durvis.audit.services import record
from durvis.catalog.models import Service, ServiceStatus
from durvis.core.actor import Actor
from durvis.core.identifiers import validate_personal_code
from durvis.eforms import queries as eforms
from durvis.eforms import services
from durvis.eforms.models import Application, ApplicationOrigin, PrefillTicket
from durvis.eforms.rules import FormAction
from durvis.identity.models import Institution, Person
from durvis.integrations import services as integrations
from durvis.web.roles import ClientRole, role_for_key

LINK_PATH = "/applications/prefill/{token}/"


def lifetime() -> datetime.timedelta:
    """`DURVIS_PREFILL_MINUTES` (default 15): how long a prefill link may be used."""
    return datetime.timedelta(minutes=int(getattr(settings, "DURVIS_PREFILL_MINUTES", 15)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _field(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def _institution_hosts(institution: Institution) -> set[str]:
    hosts = {urllib.parse.urlsplit(e.url).hostname or "" for e in
             integrations.webhooks_of(institution) if e.is_active}
    return {h.lower() for h in hosts if h}


def check_return_url(institution: Institution, url: str) -> None:
    """Refuse a return address the platform will not send a client to. Raises ValidationError
    keyed `return_url`: the webhook address checks' codes (`scheme`: not https; `host`,
    `credentials`, `port`, `unresolvable`, `internal`), or `foreign_host` when the host is
    neither the institution's website's (or a subdomain of it) nor one of its webhook
    endpoints' hosts."""
    try:
        integrations.check_public_url(url)
    except ValidationError as error:
        refused = error.error_dict["url"]
        if refused[0].code == "scheme":  # the webhook check's words name a webhook
            refused = [ValidationError(gettext("The return address starts with https://."),
                                       code="scheme")]
        raise ValidationError({"return_url": refused}) from None
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    site = (urllib.parse.urlsplit(institution.website).hostname or "").lower()
    if site.startswith("www."):
        site = site[4:]
    if (site and (host == site or host.endswith("." + site))) or host in _institution_hosts(
            institution):
        return
    raise _field("return_url", gettext(
        "The return address must be on your institution's website or a host of its webhooks."),
        "foreign_host")


@dataclass(frozen=True)
class Issued:
    """A prefill link: its token (in `url` only, never stored) and when it expires."""

    url: str
    expires_at: datetime.datetime


@transaction.atomic
def create_ticket(actor: Actor, service_code: int, answers: dict[str, Any], return_url: str,
                  personal_code: str = "") -> Issued:
    """Issue a one-time link that opens `service_code`'s live e-form with `answers` (B9, A10).
    Audited (`eforms.prefill.create`, without the answers). Raises, in order:
    ValidationError `service_code` (`unknown`: no published service with the code);
    PermissionDenied unless the actor is a system of the service's holder or provider with the
    `applications:prefill` scope covering it (`FormAction.PREFILL`); ValidationError
    `service_code` (`no_form`: no live e-form); `personal_code` with the code's own error;
    `return_url` as `check_return_url`; `services.PrefillInvalid` keyed by question key
    (`file`: a file answer, which only the client uploads; `unknown`, `hidden`, or the
    question's own code)."""
    service = Service.objects.filter(code=service_code, status=ServiceStatus.PUBLISHED).first()
    if service is None:
        raise _field("service_code", gettext("No published service with this code."), "unknown")
    require(actor, FormAction.PREFILL, service)
    version = eforms.live_version(service)
    if version is None:
        raise _field("service_code", gettext("This service takes no applications online."),
                     "no_form")
    if personal_code:
        try:
            personal_code = validate_personal_code(personal_code)
        except ValidationError as error:
            raise ValidationError({"personal_code": error.error_list}) from None
    assert actor.api is not None
    institution = Institution.objects.get(pk=actor.api.institution_id)
    check_return_url(institution, return_url)
    form = eforms.compiled(version)
    files = eforms.file_answers(form, answers)
    if files:  # a document id of the system's choosing could name another client's file
        raise services.PrefillInvalid({key: eforms.AnswerError(key, "file", gettext(
            "A file cannot be prefilled: the client uploads it.")) for key, _id in files})
    answers = services.check_prefill(form, answers)  # as stored: an address with its text
    token = secrets.token_urlsafe(32)
    ticket = PrefillTicket.objects.create(
        token_hash=_hash(token), service=service, institution=institution,
        api_client_id=actor.api.client_id, answers=answers, return_url=return_url,
        personal_code=personal_code, expires_at=timezone.now() + lifetime())
    record(actor, "eforms.prefill.create", ticket,
           details={"service": service.code, "for_a_person": bool(personal_code)})
    base = str(settings.DURVIS_PUBLIC_URL).rstrip("/")
    return Issued(base + LINK_PATH.format(token=token), ticket.expires_at)


class TicketRefused(Exception):
    """A prefill link that cannot be used: `reason` is `unknown`, `used`, `expired` or
    `other_person` (the link is for someone else)."""

    def __init__(self, reason: str, ticket: PrefillTicket | None = None) -> None:
        super().__init__(reason)
        self.reason, self.ticket = reason, ticket


def ticket_for(token: str) -> PrefillTicket:
    """The open ticket of a link's token. Raises TicketRefused (`unknown`, `used`,
    `expired`)."""
    ticket = (PrefillTicket.objects.select_related("service", "institution")
              .filter(token_hash=_hash(token)).first() if len(token) <= 100 else None)
    if ticket is None:
        raise TicketRefused("unknown")
    if ticket.used_at is not None:
        raise TicketRefused("used", ticket)
    if ticket.expires_at <= timezone.now():
        raise TicketRefused("expired", ticket)
    return ticket


def role_of(actor: Actor, ticket: PrefillTicket, current: ClientRole) -> ClientRole:
    """The role the application is started in: the ticket's person (the signed-in person, or a
    minor child they act for), else the current role. Raises TicketRefused (`other_person`)."""
    if not ticket.personal_code:
        return current
    me = actor.person
    if me is not None and me.personal_code == ticket.personal_code:
        return ClientRole("self", person=me)
    person = Person.objects.filter(personal_code=ticket.personal_code).first()
    role = role_for_key(actor, f"person:{person.pk}") if person is not None else None
    if role is None:
        raise TicketRefused("other_person", ticket)
    return role


def redeem(actor: Actor, token: str, current: ClientRole) -> Application:
    """Use the link once: a new application of the ticket's service starts with its answers
    and return address (origin `holder`), in `role_of`'s role; the ticket is marked used and
    its answers removed, in the same transaction. Audited (`eforms.prefill.use`, and the
    start). Raises TicketRefused; what `services.start_application` raises (PermissionDenied,
    ValidationError `no_form`, `PrefillInvalid` when the form changed since), leaving the
    ticket unused."""
    with transaction.atomic():
        ticket = ticket_for(token)
        role = role_of(actor, ticket, current)
        claimed = PrefillTicket.objects.filter(pk=ticket.pk, used_at__isnull=True).update(
            used_at=timezone.now(), answers={})
        if not claimed:  # a second tab used it a moment ago
            raise TicketRefused("used", ticket)
        application = services.start_application(
            actor, role, ticket.service, prefill=ticket.answers,
            origin=ApplicationOrigin.HOLDER, return_url=ticket.return_url)
        PrefillTicket.objects.filter(pk=ticket.pk).update(application=application)
        record(actor, "eforms.prefill.use", ticket, subject=role.person,
               details={"application": str(application.reference)})
    return application
