"""Request-register reads (B1, C3): a case with its history, the changes an institution's system
synchronises, a client's history and its filter choices. Every read of a client's case by staff
or a system goes through the access policy and is written to the activity log here, never in a
view.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from durvis.access.policy import decide, visible
from durvis.audit.services import Entry, flag_use, record, record_many
from durvis.catalog.models import Service, Stage
from durvis.core.actor import Actor
from durvis.core.case_numbers import parse_case_number
from durvis.core.identifiers import validate_personal_code
from durvis.core.phones import parse_phone
from durvis.core.prepared import PreparedQuery
from durvis.identity.models import Company, Institution, Person
from durvis.identity.queries import (
    Relation,
    acting_person,
    audit_subject,
    audit_subject_of,
    find_person,
    owner_filter,
)
from durvis.identity.rules import IdentityAction
from durvis.register.changes import ChangeCursor, changed_after, horizon
from durvis.register.models import (
    CaseEvent,
    Consultation,
    ServiceCase,
    StatusMapping,
    WorkTime,
)
from durvis.register.rules import (
    CASE_STAFF_ROLES,
    CaseAction,
    ProfileBasis,
    ProfilePurpose,
    case_scope,
)
from durvis.search.services import normalize

# The API's case read (issue 21): compiled once, not per request (`durvis.core.prepared`).
_CASE_BY_NUMBER = PreparedQuery(
    lambda number: ServiceCase.objects.select_related(
        "service", "client_person", "client_company", "provider", "holder", "representative",
        "agent").filter(number=number)[:1], "\x1fcase number")
_HISTORY = PreparedQuery(
    lambda case_id: CaseEvent.objects.filter(case_id=case_id).order_by("occurred_at", "pk"),
    2_000_000_001)


def read_case(actor: Actor, number: str, *, purpose: str = "") -> tuple[ServiceCase, list[CaseEvent]]:
    """A case (lieta) by its number as people write it (`9999 76544`), with its history in time
    order, for an institution's system or staff (B1, B9); the read is audited with `purpose`
    (it is a client's data). Raises ValidationError saying what is wrong (code `format` or
    `checksum`, not keyed by a field) for a malformed number, and ServiceCase.DoesNotExist for
    an unknown case and, alike, one the actor may not read (`CaseAction.READ_CASE`: not of its
    institution as holder or provider, outside its token's services or `cases:read` scope)."""
    parsed = parse_case_number(number)
    case = _CASE_BY_NUMBER.first(str(parsed))
    if case is None or not decide(actor, CaseAction.READ_CASE, case):
        raise ServiceCase.DoesNotExist
    history = _HISTORY.fetch(case.pk)
    for event in history:
        CaseEvent.case.field.set_cached_value(event, case)
    history = with_acting_persons(case, history)
    record(actor, "register.case.read", case, subject=audit_subject_of(case), purpose=purpose)
    return case, history


def changed_cases(actor: Actor, cursor: ChangeCursor, limit: int = 100
                  ) -> tuple[list[ServiceCase], ChangeCursor]:
    """Cases of the actor's institution (as holder or provider) changed after `cursor`, in the
    order of their change positions, and the cursor to ask with next. Never passes a change that
    may still commit: only changes of transactions that have ended are listed (the horizon of
    `durvis.register.changes`), so a transaction still in flight, however long, delays the
    listing of its changes and all later ones, and every committed change is listed once (as
    the case's latest). Each of the two branches is one walk of an (institution, position)
    index, so the cost does not depend on how many services the client's scope names; reads
    are audited per case. `ChangeCursor()` is the beginning; at most `limit` cases are
    returned. Raises PermissionDenied unless the actor is an institution's system with the
    `cases:read` scope (`CaseAction.LIST_CASES`, `case_scope`)."""
    scope = case_scope(actor)
    seen = horizon()  # before the audit rows below: one horizon for both branches
    branches = []
    for column in ("holder_id", "provider_id"):
        cases = ServiceCase.objects.filter(**{column: scope.institution_id})
        if scope.service_ids is not None:
            cases = cases.filter(service_id__in=scope.service_ids)
        branches.append(list(_listing(changed_after(cases, cursor, seen)[:limit])))
    merged = {c.pk: c for c in sorted(branches[0] + branches[1], key=_position)}
    page = list(merged.values())[:limit]
    record_many(actor, [Entry("register.case.list", "register.servicecase", str(c.pk),
                              c.client_person_id) for c in page])
    return page, (_position(page[-1]) if page else cursor)


def _position(case: ServiceCase) -> ChangeCursor:
    return ChangeCursor(case.change_xid, case.change_seq)


def institution_cases(actor: Actor) -> QuerySet[ServiceCase]:
    """The cases of the actor's institution (as holder or provider), newest first, through the
    policy's list filter of `READ_CASE` (the staff start page lists them read-only, with no
    client's name; opening one is `read_case`, audited). Raises PermissionDenied for an actor
    who may not list cases."""
    if not decide(actor, CaseAction.LIST_CASES):
        raise PermissionDenied("may not list cases")
    return (visible(actor, CaseAction.READ_CASE, ServiceCase.objects.all())
            .select_related("service", "holder", "provider").order_by("-applied_at", "-pk"))


def _listing(cases: QuerySet[ServiceCase]) -> QuerySet[ServiceCase]:
    return cases.select_related("service", "client_person", "client_company", "provider",
                                "holder")


@dataclass(frozen=True)
class HistoryFilters:
    """What a client narrows their history to (C3); empty fields do not filter."""

    status: str = ""
    institution_id: int | None = None
    service_id: int | None = None
    channel: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    number: str = ""


def _client_q(person: Person | None, company: Company | None) -> Q:
    client = company if company is not None else person
    return owner_filter(client) if client is not None else Q(pk__in=[])


def _period(field_name: str, filters: HistoryFilters) -> Q:
    """The period as whole days in Riga time, turned into an aware half-open range."""
    q = Q()
    if filters.date_from:
        q &= Q(**{f"{field_name}__gte": riga_midnight(filters.date_from)})
    if filters.date_to:
        q &= Q(**{f"{field_name}__lt": riga_midnight(filters.date_to + datetime.timedelta(days=1))})
    return q


def riga_midnight(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the platform's time zone (Riga), aware."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def client_history(person: Person | None = None, company: Company | None = None,
                   filters: HistoryFilters | None = None) -> QuerySet[ServiceCase]:
    """All cases of one client, newest first (the e-account's history, C3), narrowed by
    `filters`. A case number that is not valid raises ValidationError saying why."""
    if person is None and company is None:
        return ServiceCase.objects.none()
    cases = ServiceCase.objects.filter(_client_q(person, company))
    if filters is not None:
        cases = cases.filter(_period("applied_at", filters))
        if filters.number:
            cases = cases.filter(number=str(parse_case_number(filters.number)))
        if filters.status:
            cases = cases.filter(status=filters.status)
        if filters.institution_id:
            cases = cases.filter(Q(holder_id=filters.institution_id)
                                 | Q(provider_id=filters.institution_id))
        if filters.service_id:
            cases = cases.filter(service_id=filters.service_id)
        if filters.channel:
            cases = cases.filter(Q(application_channel=filters.channel)
                                 | Q(result_channel=filters.channel))
    return cases.select_related("service", "holder").only(*HISTORY_FIELDS).order_by("-applied_at")


def client_consultations(person: Person | None = None, company: Company | None = None,
                         filters: HistoryFilters | None = None) -> QuerySet[Consultation]:
    """The consultations a client received, newest first. Filters that only cases have (a
    status, a case number) leave no consultation."""
    if person is None and company is None:
        return Consultation.objects.none()
    consultations = Consultation.objects.filter(_client_q(person, company))
    if filters is not None:
        if filters.status or filters.number:
            return Consultation.objects.none()
        consultations = consultations.filter(_period("occurred_at", filters))
        if filters.institution_id:
            consultations = consultations.filter(provider_id=filters.institution_id)
        if filters.service_id:
            consultations = consultations.filter(service_id=filters.service_id)
        if filters.channel:
            consultations = consultations.filter(channel=filters.channel)
    return (consultations.select_related("service", "provider", "feedback")
            .only(*CONSULTATION_HISTORY_FIELDS).order_by("-occurred_at"))


def history_choices(actor: Actor, client: Person | Company
                    ) -> tuple[list[Institution], list[Service]]:
    """The institutions and services that occur in the part of a client's history the actor
    may read (the filter choices; under a mandate only its services): one query each, the
    client's rows read as subqueries, only the columns a choice shows."""
    person, company = _person_and_company(client)
    cases = visible(actor, IdentityAction.CLIENT_READ,
                    ServiceCase.objects.filter(_client_q(person, company)), client)
    consultations = visible(actor, IdentityAction.CLIENT_READ,
                            Consultation.objects.filter(_client_q(person, company)), client)
    institutions = Institution.objects.filter(
        Q(pk__in=cases.values("holder_id")) | Q(pk__in=consultations.values("provider_id")))
    services = Service.objects.filter(
        Q(pk__in=cases.values("service_id"))
        | Q(pk__in=consultations.exclude(service=None).values("service_id")))
    names = ("name", "name_lv", "name_en")
    return (list(institutions.only("code", *names).order_by("name")),
            list(services.only("code", *names).order_by("code")))


def client_case(actor: Actor, number: str, client: Person | Company
                ) -> tuple[ServiceCase, list[CaseEvent]]:
    """One case of the client the actor acts for, with its history (the e-account's case page).
    Another client's case, or a number that is not valid, is "no such case"; the read is
    audited. Raises ServiceCase.DoesNotExist for a malformed number, an unknown case, and
    (alike) a case of another client or of a client the actor does not act for
    (`IdentityAction.CLIENT_READ`)."""
    try:
        parsed = parse_case_number(number)
    except ValidationError:
        raise ServiceCase.DoesNotExist from None
    case = (ServiceCase.objects.select_related("service", "client_person", "client_company",
                                               "provider", "holder", "representative", "feedback",
                                               "agent")
            .filter(number=str(parsed)).first())
    if case is None or not decide(actor, IdentityAction.CLIENT_READ, case, client=client):
        raise ServiceCase.DoesNotExist
    history = with_acting_persons(case, list(case.events.order_by("occurred_at", "pk")))
    record(actor, "register.case.read", case, subject=audit_subject_of(case), purpose="eaccount")
    return case, history


def with_acting_persons(case: ServiceCase, events: list[CaseEvent]) -> list[CaseEvent]:
    """`events` with `acting` filled in where a person acted for the case's client (a rating):
    who, and as whom (A2, C1); one query for the persons, and the relation asked once per
    person (`identity.queries.acting_person`). Returns the same list."""
    ids = {_person_id(e) for e in events} - {None}
    persons = Person.objects.in_bulk(ids) if ids else {}
    known: dict[int, Relation] = {}
    for event in events:
        person_id = _person_id(event)
        if person_id is not None:
            event.acting = acting_person(persons.get(person_id), case, known)
    return events


def _person_id(event: CaseEvent) -> int | None:
    """The person an event's actor is (`person:<id>`), if a person."""
    ident = event.actor_id.removeprefix("person:")
    return int(ident) if event.actor_kind == "person" and ident.isdigit() else None


def normalise_case_number(number: str) -> str:
    """A case number as the register writes it (`9999 76544`), from the ways people type it.
    Raises ValidationError saying what is wrong (the format, the check digit)."""
    return str(parse_case_number(number))


def case_numbers(client: Person | Company, case_ids: Collection[int]) -> dict[int, str]:
    """The numbers of the client's own cases among `case_ids` (others' are left out), by id:
    for naming the case a use of the client's data was about ("who used my data")."""
    cases = ServiceCase.objects.filter(owner_filter(client), pk__in=set(case_ids))
    return dict(cases.values_list("pk", "number"))


def case_by_number(number: str) -> ServiceCase | None:
    """The case with this number, with its client and holder, or None; no policy check (the
    caller decides, e.g. `durvis.documents.queries.case_to_write_about`). Raises
    ValidationError saying what is wrong with a malformed number."""
    parsed = parse_case_number(number)
    return (ServiceCase.objects.select_related("client_person", "client_company", "holder")
            .filter(number=str(parsed)).first())


def case_by_holder_reference(institution: Institution, reference: str) -> ServiceCase | None:
    """The case an institution knows by its own reference (e.g. to load data only once)."""
    return ServiceCase.objects.filter(holder=institution, holder_reference=reference).first()


def client_consultation(actor: Actor, pk: int, client: Person | Company) -> Consultation:
    """One consultation (konsultācija), by id, of the client the actor acts for (to give
    feedback on it). Raises Consultation.DoesNotExist for an unknown consultation and, alike,
    another client's or one of a client the actor does not act for
    (`IdentityAction.CLIENT_READ`)."""
    consultation = Consultation.objects.select_related("service", "provider").filter(pk=pk).first()
    if consultation is None or not decide(actor, IdentityAction.CLIENT_READ, consultation, client=client):
        raise Consultation.DoesNotExist
    return consultation


# What a client's history shows of each case (the e-account, C3): not the service's long texts.
HISTORY_FIELDS = [
    "number", "status", "holder_status", "status_at", "applied_at", "application_channel",
    "result_channel", "payment_status", "client_person", "client_company", "service__code",
    "holder_id", "provider_id",
    *(f"{model}__name{suffix}" for model in ("service", "holder") for suffix in ("", "_lv", "_en")),
    "holder__code",
]
# ... and of each consultation.
CONSULTATION_HISTORY_FIELDS = [
    "topic", "channel", "outcome", "occurred_at", "client_person", "client_company",
    "service__code", "provider__code", "feedback__id",
    *(f"{model}__name{suffix}" for model in ("service", "provider") for suffix in ("", "_lv", "_en")),
]




def status_mappings(institution: Institution) -> QuerySet[StatusMapping]:
    """The institution's own detailed statuses (`holder_status`) and the standard statuses they
    mean, for the services it holds, by service code and own status (the administration page;
    no access check: the caller makes it)."""
    return StatusMapping.objects.filter(service__holder=institution).select_related(
        "service").order_by("service__code", "holder_status")


def _read_as(actor: Actor, client: Person | Company, action: str) -> None:
    """May the actor read this client's history (they act for them)? Audited; raises
    PermissionDenied otherwise."""
    if not decide(actor, IdentityAction.CLIENT_READ, client=client):
        raise PermissionDenied("may not read this client's history")
    record(actor, action, client, subject=audit_subject(client))


def overview_read(actor: Actor, client: Person | Company) -> QuerySet[ServiceCase]:
    """The client's cases for the e-account's overview (A2), newest first; the read is
    audited. Raises PermissionDenied for an actor who does not act for the client."""
    _read_as(actor, client, "register.overview.read")
    return visible_cases(actor, client)


def visible_cases(actor: Actor, client: Person | Company) -> QuerySet[ServiceCase]:
    """The client's cases the actor may read (`IdentityAction.CLIENT_READ`'s list filter: all
    of them by a base relation, under a mandate those of its services), newest first; not
    audited (the choices of a form; the pages that show cases use `overview_read` and
    `history_read`)."""
    return visible(actor, IdentityAction.CLIENT_READ,
                   client_history(*_person_and_company(client)), client)


def history_read(actor: Actor, client: Person | Company, filters: HistoryFilters | None = None
                 ) -> tuple[QuerySet[ServiceCase], QuerySet[Consultation]]:
    """The client's cases and consultations for the e-account's history (C3), narrowed by
    `filters`; the read is audited. Raises PermissionDenied for an actor who does not act for
    the client, ValidationError for a malformed case number in the filters."""
    _read_as(actor, client, "register.history.read")
    person, company = _person_and_company(client)
    return (visible(actor, IdentityAction.CLIENT_READ,
                    client_history(person, company, filters=filters), client),
            visible(actor, IdentityAction.CLIENT_READ,
                    client_consultations(person, company, filters=filters), client))


def _person_and_company(client: Person | Company) -> tuple[Person | None, Company | None]:
    return (None, client) if isinstance(client, Company) else (client, None)


@dataclass(frozen=True)
class FoundClient:
    """A person a specialist's search found, and how: `by` is `code` or `case` (the caller
    named what identifies them) or `phone`/`name` (they must be verified before anything
    personal shows, B4)."""

    person: Person
    by: str

    @property
    def needs_verification(self) -> bool:
        return self.by in ("phone", "name")


SEARCH_LIMIT = 20


def find_clients(actor: Actor, text: str) -> list[FoundClient]:
    """The persons a specialist's search finds (B3, B4): by personal code (current or
    historical), by case number (the case's client, if the actor may read the case), by phone
    number (E.164, indexed) or by name (family name, then given name, at most SEARCH_LIMIT).
    The search is audited without the text searched (it may be a personal code). Raises
    PermissionDenied for anybody but a client-service or back-office specialist."""
    if actor.staff is None or not (actor.roles & CASE_STAFF_ROLES):
        raise PermissionDenied("not a client-service employee")
    text = " ".join((text or "").split())
    digits = text.replace("-", "").replace(" ", "")
    found: list[FoundClient] = []
    kind = "name"
    if digits.removeprefix("+").isdigit():
        # Digits are tried as a code, then a case number, then a phone number: the first that
        # finds somebody answers (a number may fit more than one shape).
        kind = "number"
        for shape, search in (("code", _by_code), ("case", _by_case), ("phone", _by_phone)):
            found = search(actor, text, digits)
            if found:
                kind = shape
                break
    elif len(text) >= 2:
        found = [FoundClient(p, "name") for p in _by_name(text)]
    record(actor, "register.client.search", None, details={"by": kind, "found": len(found)})
    return found


def _by_code(actor: Actor, text: str, digits: str) -> list[FoundClient]:
    if len(digits) != 11:
        return []
    try:
        validate_personal_code(digits)
    except ValidationError:
        return []
    person = find_person(digits)
    return [FoundClient(person, "code")] if person else []


def _by_case(actor: Actor, text: str, digits: str) -> list[FoundClient]:
    if not _looks_like_case_number(text):
        return []
    case = _readable_case(actor, text)
    if case is None or case.client_person is None:
        return []
    return [FoundClient(case.client_person, "case")]


def _by_phone(actor: Actor, text: str, digits: str) -> list[FoundClient]:
    try:
        number = parse_phone(text)
    except ValidationError:
        return []
    return [FoundClient(p, "phone") for p in Person.objects.filter(phone=number)[:SEARCH_LIMIT]]


def _looks_like_case_number(text: str) -> bool:
    try:
        parse_case_number(text)
    except ValidationError:
        return False
    return True


def _readable_case(actor: Actor, text: str) -> ServiceCase | None:
    case = (ServiceCase.objects.select_related("client_person")
            .filter(number=str(parse_case_number(text))).first())
    if case is None or not decide(actor, CaseAction.READ_CASE, case):
        return None
    return case


def _by_name(text: str) -> list[Person]:
    """Persons whose family name begins with the last word and (of two or more words) given
    name with the first, with or without diacritics and in any case ("berzins" finds
    Bērziņš): the words are folded as the names are stored folded (`Person.family_name_folded`,
    `search.services.normalize`), a prefix read from their index."""
    words = normalize(text).split()
    if not words:
        return []
    family = words[-1]
    rows = Person.objects.filter(family_name_folded__startswith=family)
    if len(words) > 1:
        rows = rows.filter(given_name_folded__startswith=words[0])
    return list(rows.order_by("family_name_folded", "given_name_folded", "pk")[:SEARCH_LIMIT])


@dataclass(frozen=True)
class ClientProfile:
    """A person's 360° view for one purpose: contacts, and their cases and consultations
    across institutions, newest first (the parts a client-service conversation about a
    service needs; payments, mandates and documents are shown on their own pages)."""

    person: Person
    cases: list[ServiceCase]
    consultations: list[Consultation]


PROFILE_ROWS = 50


def client_profile(actor: Actor, person: Person, purpose: ProfilePurpose) -> ClientProfile:
    """The 360° view of `person` for `purpose` (a `rules.ProfilePurpose`), written to the
    activity log with the purpose, its basis, the service and the case (B4, B5): the person sees
    it in "who used my data". A view with neither a case nor the client's consent behind it
    (a task the law gives) is flagged for the institution's review (`audit.services.flag_use`),
    and the person sees it flagged. Raises PermissionDenied (`CaseAction.VIEW_PROFILE`: not a
    specialist of an institution that holds or provides the service, or a case basis that is
    not this client's case of the service)."""
    decision = decide(actor, CaseAction.VIEW_PROFILE, purpose, person)
    if not decision:
        raise PermissionDenied(decision.reason)
    cases = list(client_history(person=person).select_related("service", "holder")
                 [:PROFILE_ROWS])
    consultations = list(client_consultations(person=person)[:PROFILE_ROWS])
    with transaction.atomic():
        event = record(actor, "identity.profile.read", purpose.case, subject=person,
                       purpose="client service",
                       details={"service": purpose.service.code, "basis": purpose.basis,
                                "case": purpose.case.number if purpose.case else ""})
        if purpose.case is None and purpose.basis not in (ProfileBasis.CONSENT, ProfileBasis.CASE):
            flag_use(event)  # neither a case nor consent: for the institution's review
    return ClientProfile(person, cases, consultations)


# --- Working time (D2) -------------------------------------------------------------------------

def work_of(staff_id: int, since: datetime.datetime) -> QuerySet[WorkTime]:
    """A staff member's recorded working time since `since`, newest first, with the case,
    consultation and service (their own page: they correct it there)."""
    return (WorkTime.objects.filter(staff_id=staff_id, started_at__gte=since)
            .select_related("case", "consultation", "service").order_by("-started_at", "-pk"))


def case_work(case: ServiceCase) -> QuerySet[WorkTime]:
    """The register's record of a case's stages: who worked on it at which stage and step,
    when and how long, in order (D2, B1)."""
    return (WorkTime.objects.filter(case=case).select_related("staff__user", "institution")
            .order_by("started_at", "pk"))


@dataclass(frozen=True)
class LoadRow:
    """One service point's work at one stage in a period: `items` cases handled and
    consultations given (a case two people worked on counts once), `people` staff members,
    `seconds` worked (corrections counted)."""

    service_point: str
    stage: str
    items: int
    people: int
    seconds: int

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 1)


def load(institution_id: int, since: datetime.datetime, until: datetime.datetime
         ) -> list[LoadRow]:
    """An institution's working load from `since` to `until` per service point and stage (D2:
    a team lead sees the day's and the week's load per service point), in one grouped query
    over the `work_institution` index; grows with the records of the period."""
    rows = (WorkTime.objects.filter(institution_id=institution_id, started_at__gte=since,
                                    started_at__lt=until)
            .values("service_point", "stage")
            .annotate(cases=Count("case", distinct=True),
                      consultations=Count("consultation", distinct=True),
                      people=Count("staff", distinct=True),
                      total=Sum(Coalesce("corrected_seconds", F("seconds"))))
            .order_by("service_point", "stage"))
    return [LoadRow(r["service_point"], r["stage"], r["cases"] + r["consultations"],
                    r["people"], r["total"] or 0) for r in rows]
