"""Request-register writes (B1): open service cases (lietas), record their history, results,
acknowledgements, feedback and consultations (konsultācijas); reads are in
`durvis.register.queries`.

Every write checks the access policy and writes the audit log and its domain events
(`durvis.register.events`) in the same transaction; whoever cares (client notifications,
webhooks) subscribes to the events and runs in the worker after the commit, never under the
row locks taken here. Events may arrive late or twice: the history is ordered by `occurred_at`, the
current status is that of the latest event, and a repeated event (same `event_id`, or without
one the same status at the same time) is recognised and not stored again.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from durvis.access.policy import decide, require
from durvis.audit.services import Entry, record, record_many
from durvis.catalog.models import Service, ServiceStatus, Stage
from durvis.catalog.queries import serves
from durvis.catalog.rules import CatalogAction
from durvis.core import bulk
from durvis.core.actor import Actor
from durvis.core.case_numbers import format_case_number, parse_case_number
from durvis.core.events import publish
from durvis.core.phones import parse_phone
from durvis.core.prepared import PreparedInsert, PreparedQuery
from durvis.identity import queries as identity
from durvis.identity.models import Company, Institution, Person, StaffMember
from durvis.identity.queries import audit_subject_of
from durvis.register.changes import next_changes
from durvis.register.events import CASE_REGISTERED, CASE_RESULT, CASE_STATUS_CHANGED, FEEDBACK_RECEIVED
from durvis.register.models import (
    MAX_WORK_SECONDS,
    ActedBy,
    CaseEvent,
    CaseSequence,
    CaseStatus,
    Consultation,
    EventKind,
    Feedback,
    IdentificationLevel,
    RegisterChannel,
    ServiceCase,
    StatusMapping,
    WorkTime,
)
from durvis.register.rules import CaseAction, CaseStage

S = CaseStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.REGISTERED, S.IN_PROGRESS, S.WAITING_FOR_CLIENT, S.DECIDED,
                           S.REJECTED, S.WITHDRAWN}),
    S.REGISTERED: frozenset({S.IN_PROGRESS, S.WAITING_FOR_CLIENT, S.DECIDED, S.REJECTED,
                             S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.WAITING_FOR_CLIENT, S.DECIDED, S.REJECTED, S.WITHDRAWN}),
    S.WAITING_FOR_CLIENT: frozenset({S.IN_PROGRESS, S.DECIDED, S.REJECTED, S.WITHDRAWN}),
    S.DECIDED: frozenset({S.RESULT_DELIVERED, S.CLOSED}),
    S.RESULT_DELIVERED: frozenset({S.CLOSED}),
    S.REJECTED: frozenset({S.CLOSED}),
    S.WITHDRAWN: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
INITIAL_STATUSES = frozenset({S.RECEIVED, S.REGISTERED})
TERMINAL_STATUSES = frozenset(s for s, following in TRANSITIONS.items() if not following)
FEEDBACK_STATUSES = frozenset({S.DECIDED, S.RESULT_DELIVERED, S.CLOSED, S.REJECTED})
MAX_BATCH = 1000


def transition_allowed(previous: str | None, new: str) -> bool:
    """Whether a case may go from `previous` (None: it has no status yet) to `new`, by
    `TRANSITIONS` (B1). A case starts received or registered; a repeated status (a new detailed
    holder status within it) is allowed, except after a terminal status (closed), which nothing
    follows. Raises KeyError for a `previous` that is not a
    `CaseStatus` (and differs from `new`)."""
    if previous is None:
        return new in INITIAL_STATUSES
    if previous in TERMINAL_STATUSES:
        return False
    return new == previous or new in TRANSITIONS[previous]


def instant(name: str, at: datetime.datetime) -> datetime.datetime:
    """`at` as a UTC instant, refused as a ValidationError keyed `name` when it has no offset
    (`naive`), cannot be written in UTC (`out_of_range`, e.g. 9999-12-31T23:59:59-12:00), or lies
    in the future beyond `DURVIS_CLOCK_SKEW_SECONDS` (`future`: a status dated ahead would stay
    the current one after the real ones arrive)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise _field_error(name, gettext("A time needs its offset (Z or +02:00)."), "naive")
    try:
        utc = at.astimezone(datetime.UTC)
    except OverflowError:
        raise _field_error(name, gettext("The time is outside the range the register keeps."),
                           "out_of_range") from None
    skew = datetime.timedelta(seconds=settings.DURVIS_CLOCK_SKEW_SECONDS)
    if utc > timezone.now() + skew:
        raise _field_error(name, gettext("The time is in the future."), "future")
    return utc


def _field_error(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


# --- Counters ----------------------------------------------------------------------------------

def _next_sequence(service: Service) -> int:
    """The service's next case sequence number, its counter row locked until the caller's
    transaction ends: one statement (`UPDATE ... RETURNING`), and one more to create the row
    for a service's first case."""
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(_NEXT_SEQUENCE_SQL, [service.pk])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        CaseSequence.objects.bulk_create([CaseSequence(service=service)], ignore_conflicts=True)
    raise RuntimeError(f"no case sequence for service {service.pk}")


_NEXT_SEQUENCE_SQL = (f"UPDATE {CaseSequence._meta.db_table} SET last = last + 1 "  # noqa: S608 - constants
                      "WHERE service_id = %s RETURNING last")


def next_change_positions(count: int) -> tuple[int, list[int]]:
    """The positions for `count` changes written in the caller's transaction (its id, 0
    outside PostgreSQL, and `count` new change numbers) from the one counter of every feed an
    institution's system polls in commit order (cases, applications, clients' replies; B9,
    `durvis.core.changes`). Raises RuntimeError outside a transaction."""
    return next_changes(count)


# --- Opening a case ----------------------------------------------------------------------------

@dataclass(frozen=True)
class NewCase:
    """An application as a channel registers it. Codes are as people write them.

    `identification` is an `IdentificationLevel`; the client is named by `personal_code`
    (personas kods) or `registration_number`, or only by `client_phone`. `acted_by` is an
    `ActedBy`: a representative gives their `representative_code` and the `mandate_reference`
    (pilnvara). `provider_code` is the providing institution (pakalpojuma sniedzējs; empty: the
    actor's), `service_point` where it was taken (e.g. a client-service centre, VPVKAC).
    `status` is the first status (received or registered), at `applied_at` (None: now)."""

    service_code: int
    identification: str
    application_channel: str
    acted_by: str = ActedBy.CLIENT
    personal_code: str = ""
    registration_number: str = ""
    client_phone: str = ""
    representative_code: str = ""
    mandate_reference: str = ""
    result_channel: str = ""
    provider_code: str = ""
    service_point: str = ""
    holder_reference: str = ""
    applied_at: datetime.datetime | None = None
    status: str = CaseStatus.RECEIVED
    holder_status: str = ""
    note: str = ""


# The reads of every case registration, compiled once (`durvis.core.prepared`, issue 21).
_PUBLISHED_SERVICE = PreparedQuery(
    lambda code: Service.objects.select_related("holder")
    .filter(code=code, status=ServiceStatus.PUBLISHED).order_by("pk")[:1], 2_000_000_001)
_INSTITUTION_BY_CODE = PreparedQuery(
    lambda code: Institution.objects.filter(code=code).order_by("pk")[:1], "\x1finstitution")
_INSTITUTION_BY_PK = PreparedQuery(
    lambda pk: Institution.objects.filter(pk=pk)[:1], 2_000_000_001)
_INSERT_CASE = PreparedInsert(ServiceCase)
_INSERT_EVENT = PreparedInsert(CaseEvent)


def open_case(actor: Actor, new: NewCase) -> ServiceCase:
    """Register an application under a new case number (`<service code> <sequence><check
    digit>`, seed §4.2, B1) with its first status event; audited, and `case.registered` is
    published (the holder's systems hear of a case another institution registered). Returns the
    case.

    Its refusals, raised in the order they are checked:
    - ValidationError `service_code` (`unknown`): no published service with this code.
    - PermissionDenied: the actor may not register cases of the service
      (`CaseAction.CREATE_CASE`: a system with the `cases:write` scope covering the service, or
      client-service staff, of the service's holder or one of its providers).
    - ValidationError `personal_code` or `registration_number`: the code is not valid (its own
      code: `format`, `length`, `checksum`, `date`, `company`, `person`, `invalid`) or nobody
      has it (`unknown`).
    - Identification level rules: ValidationError `personal_code` (`required`) for a signed-in
      or agent-identified client without a personal code or registration number;
      `client_phone` (`required`) for a phone-only case without the phone or with a code, and
      its own code (`invalid`, `non_ascii_digits`) for a phone that is no valid number
      (`durvis.core.phones.parse_phone`; it is stored in E.164);
      `identification` (`invalid`) for an anonymous case (any other level) that names a client
      or a phone.
    - Provider rules: ValidationError `provider_code`: `unknown` institution (without a code:
      an actor without an institution); `not_a_provider` of the service; `foreign_provider`
      when an institution other than the holder registers a case for another provider.
    - Representative rules (when `acted_by` is a representative): ValidationError
      `representative_code`: `required` without the code or the mandate reference, the code's
      own error when it is not valid, or `unknown`.
    - ValidationError `status` (`invalid_transition`): a new case is received or registered.
    """
    service = _PUBLISHED_SERVICE.first(new.service_code)
    if service is None:
        raise _field_error("service_code", gettext("No published service with this code."), "unknown")
    by_client = actor.person is not None and actor.staff is None and actor.api is None
    if not by_client and not decide(actor, CaseAction.CREATE_CASE, service):
        raise PermissionDenied("may not register cases of this service")
    if by_client:
        try:
            person, company, phone = _client(new)
        except ValidationError:  # no oracle of who exists for a person's own submission
            raise PermissionDenied("may not register cases of this service") from None
    else:
        person, company, phone = _client(new)
    if by_client:
        # A signed-in person's own application (an e-form, A10): for the client they act in
        # the name of, through the e-account, signed in, received by the holder.
        if not decide(actor, CaseAction.CREATE_CASE, service, company or person) or (
                new.application_channel != RegisterChannel.EACCOUNT
                or new.identification != IdentificationLevel.SIGNED_IN
                or new.provider_code or new.status != CaseStatus.RECEIVED):
            raise PermissionDenied("may not register cases of this service")
        provider = service.holder
    else:
        provider = _provider(actor, service, new.provider_code)
    representative = _representative(new)
    if new.status not in INITIAL_STATUSES:
        raise _field_error("status", gettext("A new case is received or registered."),
                           "invalid_transition")
    applied_at = instant("applied_at", new.applied_at) if new.applied_at else timezone.now()
    with transaction.atomic(savepoint=False):  # refusals come before: nothing to undo
        sequence = _next_sequence(service)
        change_xid, (change_seq,) = next_changes(1)
        case = _INSERT_CASE.save(ServiceCase(
            number=format_case_number(service.code, sequence), service=service, sequence=sequence,
            client_person=person, client_company=company, identification=new.identification,
            client_phone=phone, acted_by=new.acted_by, representative=representative,
            mandate_reference=new.mandate_reference,
            agent=actor.staff.user if actor.staff and new.acted_by == ActedBy.AGENT else None,
            application_channel=new.application_channel, result_channel=new.result_channel,
            provider=provider, service_point=new.service_point, holder=service.holder,
            holder_reference=new.holder_reference, status=new.status, holder_status=new.holder_status,
            status_at=applied_at, applied_at=applied_at, change_xid=change_xid, change_seq=change_seq,
        ))
        _INSERT_EVENT.save(CaseEvent(
            case=case, kind=EventKind.STATUS, status=new.status, holder_status=new.holder_status,
            occurred_at=applied_at, recorded_at=timezone.now(), note=new.note,
            dedup_key="opened", **_event_actor(actor)))
        record(actor, "register.case.open", case, subject=person,
               details={"service": service.code, "channel": new.application_channel})
        told = [service.holder_id] if actor.institution_id != service.holder_id else []
        publish(actor, CASE_REGISTERED, [_case_event(case, told)])
        return case


def _client(new: NewCase) -> tuple[Person | None, Company | None, str]:
    """The client a new case or consultation names: the person, the company, and the caller's
    number in E.164 (`durvis.core.phones`)."""
    level = new.identification
    person = company = None
    phone = ""
    if new.client_phone:
        try:
            phone = parse_phone(new.client_phone)
        except ValidationError as error:
            raise ValidationError({"client_phone": error.error_list}) from None
    if new.personal_code:
        try:
            person = identity.find_person(new.personal_code)
        except ValidationError as error:
            raise ValidationError({"personal_code": error.error_list}) from None
        if person is None:
            raise _field_error("personal_code", gettext("No person with this personal code."), "unknown")
    if new.registration_number:
        try:
            company = identity.find_company(new.registration_number)
        except ValidationError as error:
            raise ValidationError({"registration_number": error.error_list}) from None
        if company is None:
            raise _field_error("registration_number", gettext("No company with this number."), "unknown")
    identified = person is not None or company is not None
    if level in (IdentificationLevel.SIGNED_IN, IdentificationLevel.IDENTIFIED_BY_AGENT):
        if not identified:
            raise _field_error("personal_code", gettext("An identified client needs a personal "
                                                        "code or a registration number."),
                               "required")
    elif level == IdentificationLevel.PHONE_ONLY:
        if identified or not new.client_phone:
            raise _field_error("client_phone", gettext("A phone-only case has the phone number "
                                                       "and nothing else."), "required")
    elif identified or new.client_phone:
        raise _field_error("identification", gettext("An anonymous case names no client."), "invalid")
    return person, company, phone


def _provider(actor: Actor, service: Service, code: str) -> Institution:
    provider = (_INSTITUTION_BY_CODE.first(code) if code
                else _INSTITUTION_BY_PK.first(actor.institution_id or 0))
    if provider is None:
        raise _field_error("provider_code", gettext("Unknown provider institution."), "unknown")
    if not serves(service, provider.pk, Stage.APPLICATION):
        raise _field_error("provider_code",
                           gettext("This institution does not take applications for the "
                                   "service (the holder has not delegated it that stage)."),
                           "not_a_provider")
    if provider.pk != actor.institution_id and actor.institution_id != service.holder_id:
        raise _field_error("provider_code", gettext("Only the holder registers a case taken by "
                                                    "another provider."), "foreign_provider")
    return provider


def _representative(new: NewCase) -> Person | None:
    if new.acted_by != ActedBy.REPRESENTATIVE:
        return None
    if not new.representative_code or not new.mandate_reference:
        raise _field_error("representative_code", gettext("A representative's personal code and "
                                                          "the mandate reference are needed."),
                           "required")
    try:
        person = identity.find_person(new.representative_code)
    except ValidationError as error:
        raise ValidationError({"representative_code": error.error_list}) from None
    if person is None:
        raise _field_error("representative_code", gettext("No person with this personal code."),
                           "unknown")
    return person


def _event_actor(actor: Actor) -> dict[str, str]:
    return {"actor_kind": actor.kind, "actor_id": actor.audit_id,
            "actor_institution": actor.institution_code}


def _case_event(case: ServiceCase, institutions: Iterable[int], **extra: Any
                ) -> tuple[str, dict[str, Any]]:
    """A case event's key and payload (see `durvis.register.events`): the case's facts, its
    client's ids, and the webhook to the `institutions`."""
    webhook = _payload(case)
    return f"case:{case.pk}", {
        **webhook, "case_id": case.pk, "number": case.number,
        "client_person_id": case.client_person_id, "client_company_id": case.client_company_id,
        "institutions": sorted(set(institutions)), "webhook": webhook, **extra}


def _others(actor: Actor, case: ServiceCase) -> set[int]:
    """The institutions of the case (holder, provider) other than the actor's own."""
    return {case.holder_id, case.provider_id} - {actor.institution_id}


def _payload(case: ServiceCase) -> dict[str, Any]:
    """What a webhook says about a case: no personal data; the receiver reads the case."""
    return {"case_number": case.number, "service_code": case.service.code,
            "status": case.status, "holder_status": case.holder_status,
            "status_at": case.status_at.isoformat(), "holder_reference": case.holder_reference,
            "change_seq": case.change_seq}


# --- Status events -----------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusEvent:
    """One status change as an institution's system reports it (B1, B9): the case's number as
    people write it, when it happened, a standard `status` or the holder's own `holder_status`
    (mapped by `map_holder_status`), a note, and the system's `event_id` (repeats with it are
    recognised)."""

    case_number: str
    occurred_at: datetime.datetime
    status: str = ""
    holder_status: str = ""
    note: str = ""
    event_id: str = ""


@dataclass
class ItemResult:
    """The answer for one event of a batch: recorded, duplicate (already stored) or rejected."""

    index: int
    case_number: str
    outcome: str
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Pending:
    index: int
    event: StatusEvent
    case: ServiceCase
    status: str
    dedup_key: str


def record_status_events(actor: Actor, events: Sequence[StatusEvent]) -> list[ItemResult]:
    """Record a batch of status events, answered per item: valid events are stored together in
    one transaction even when others in the batch are rejected. Stored events are audited and
    published (`case.status_changed`, saying whether the current status moved).

    Raises ValidationError keyed `events` (`too_many`) for more than MAX_BATCH (1,000) events,
    and nothing else: an item's refusal is its ItemResult (`rejected`, with errors on
    `case_number`: the number's own code when malformed, `not_found` for an unknown case and,
    alike, one the actor may not change; `holder_status`: `unmapped_status`; `status`:
    `invalid_transition`, checked against the statuses before and after it in time, stored or in
    the same batch, and `not_delegated` for a status of a stage the actor's institution neither
    holds nor was delegated, `STATUS_STAGES`; `event_id`: `conflict` when the id was used for
    another event of the case), and a repeated event is `duplicate`."""
    if len(events) > MAX_BATCH:
        raise _field_error("events", gettext("At most %(count)d events in one batch.") % {
            "count": MAX_BATCH}, "too_many")
    with transaction.atomic(savepoint=False):  # an item's refusal is its result, not raised
        return _record_status_events(actor, events)


def _record_status_events(actor: Actor, events: Sequence[StatusEvent]) -> list[ItemResult]:
    results = {i: ItemResult(i, e.case_number, "recorded") for i, e in enumerate(events)}
    cases = _cases_for_update(actor, events, results)
    mappings = _mappings({c.service_id for c in cases.values()})
    stages_seen: dict[tuple[int, int, str], bool] = {}
    pending: list[_Pending] = []
    for index, event in enumerate(events):
        if results[index].errors:
            continue
        try:
            event = replace(event, occurred_at=instant("occurred_at", event.occurred_at))
        except ValidationError as error:
            (item,) = error.error_dict["occurred_at"]
            _reject(results[index], "occurred_at", str(item.message), item.code or "invalid")
            continue
        case = cases[results[index].case_number]
        status = event.status or mappings.get((case.service_id, event.holder_status), "")
        if not status:
            _reject(results[index], "holder_status",
                    gettext("Unknown holder status for this service: map it or send a standard "
                            "status."),
                    "unmapped_status")
            continue
        if not _may_do_stage(actor, case, status, stages_seen):
            _reject(results[index], "status",
                    gettext("Your institution has not been delegated this stage of the service "
                            "(%(stage)s).") % {"stage": Stage(STATUS_STAGES[status]).label},
                    "not_delegated")
            continue
        pending.append(_Pending(index, event, case, status, _dedup_key(event, status)))
    repeats = _drop_duplicates(pending, results)
    accepted = _apply_in_time_order(actor, pending, results)
    _settle_repeats(repeats, results)
    _store(actor, accepted)
    return [results[i] for i in sorted(results)]


# The statuses that only an institution with a stage of the service sets (A1, B3; issue 16):
# a provider's system or staff that took the application cannot decide the case without the
# execution stage, nor mark its result handed out without result delivery. The holder sets all.
STATUS_STAGES: dict[str, str] = {S.DECIDED: Stage.EXECUTION, S.RESULT_DELIVERED: Stage.RESULT_DELIVERY}


def _may_do_stage(actor: Actor, case: ServiceCase, status: str,
                  seen: dict[tuple[int, int, str], bool]) -> bool:
    """`CaseAction.CASE_STAGE` for the stage `status` belongs to (`STATUS_STAGES`; any other
    status: True), answered once per service, holder and stage of a batch (`seen`)."""
    stage = STATUS_STAGES.get(status)
    if stage is None:
        return True
    key = (case.service_id, case.holder_id, stage)
    if key not in seen:
        seen[key] = bool(decide(actor, CaseAction.CASE_STAGE, CaseStage(case, stage)))
    return seen[key]


def _reject(result: ItemResult, field_name: str, message: str, code: str) -> None:
    result.outcome = "rejected"
    result.errors.append({"field": field_name, "msg": message, "type": code})


def _cases_for_update(actor: Actor, events: Sequence[StatusEvent],
                      results: dict[int, ItemResult]) -> dict[str, ServiceCase]:
    numbers = {}
    for index, event in enumerate(events):
        try:
            parsed = parse_case_number(event.case_number)
        except ValidationError as error:
            _reject(results[index], "case_number", error.messages[0], error.code or "invalid")
            continue
        numbers[index] = str(parsed)
        results[index].case_number = str(parsed)
    wanted = set(numbers.values())
    rows = (_CASE_FOR_UPDATE.fetch(*wanted) if len(wanted) == 1  # one event: the API's usual
            else _for_update().filter(number__any_of=wanted).order_by("pk"))
    found = {c.number: c for c in rows}
    for index, number in numbers.items():
        case = found.get(number)
        if case is None or not decide(actor, CaseAction.UPDATE_CASE, case):
            _reject(results[index], "case_number", gettext("No such case for this client."),
                    "not_found")
    return found


# What the ingest reads of each case (not the wide rows of cases and services): the policy's
# question, the transition, the current status it writes and the event it publishes.
INGEST_FIELDS = ("number", "status", "holder_status", "status_at", "change_seq", "updated_at",
                 "holder_reference", "holder_id", "provider_id", "service_id", "client_person_id",
                 "client_company_id", "service__code")

# What a repeat is recognised by: the case and key, and the content it must have again.
DEDUP_FIELDS = ("case_id", "dedup_key", "status", "holder_status", "occurred_at")


def _for_update() -> QuerySet[ServiceCase]:
    return (ServiceCase.objects.select_for_update(of=("self",)).select_related("service")
            .only(*INGEST_FIELDS))


# The reads of one event (`POST /cases/{number}/events`, the most frequent write) compiled once
# (`durvis.core.prepared`, issue 21); a batch of several cases uses the ORM's `any_of` shapes.
_CASE_FOR_UPDATE = PreparedQuery(lambda number: _for_update().filter(number=number),
                                 "\x1fcase number")
_MAPPINGS_OF = PreparedQuery(lambda service_id: StatusMapping.objects.filter(
    service_id=service_id), 2_000_000_001)
_STORED_EVENT = PreparedQuery(lambda case_id, key: CaseEvent.objects.filter(
    case_id=case_id, dedup_key=key).only(*DEDUP_FIELDS), 2_000_000_001, "\x1fdedup key")


def _mappings(service_ids: set[int]) -> dict[tuple[int, str], str]:
    rows = (_MAPPINGS_OF.fetch(*service_ids) if len(service_ids) == 1
            else StatusMapping.objects.filter(service_id__in=service_ids))
    return {(m.service_id, m.holder_status): m.status for m in rows}


def _dedup_key(event: StatusEvent, status: str) -> str:
    if event.event_id:
        return f"id:{event.event_id}"[:100]
    content = f"{status}|{event.holder_status}|{event.occurred_at.isoformat()}"
    return "h:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def _drop_duplicates(pending: list[_Pending], results: dict[int, ItemResult]
                     ) -> dict[int, int]:
    """Take out of `pending` the events stored before and the repeats within the batch; their
    results say `duplicate` (a repeat within the batch shares its first's outcome: `_settle_repeats`).
    An `event_id` used before for another event (another status, holder status or time) is
    refused on `event_id` (`conflict`), not taken for a repeat. Returns each repeat within the
    batch with the index of its first."""
    if len(pending) == 1:
        (only,) = pending
        rows = [tuple(getattr(e, name) for name in DEDUP_FIELDS)
                for e in _STORED_EVENT.fetch(only.case.pk, only.dedup_key)]
    else:
        rows = list(CaseEvent.objects.filter(
            case__id__any_of={p.case.pk for p in pending},
            dedup_key__any_of={p.dedup_key for p in pending}).values_list(*DEDUP_FIELDS))
    stored = {(case_id, key): content for case_id, key, *content in rows}
    seen: dict[tuple[int, str], list[Any]] = {}
    first: dict[tuple[int, str], int] = {}
    repeats: dict[int, int] = {}
    kept = []
    for item in pending:
        key = (item.case.pk, item.dedup_key)
        content = [item.status, item.event.holder_status, item.event.occurred_at]
        earlier = stored.get(key, seen.get(key))
        if earlier is None:
            kept.append(item)
            seen[key], first[key] = content, item.index
        elif earlier == content:
            results[item.index].outcome = "duplicate"
            if key in first:
                repeats[item.index] = first[key]
        else:
            _reject(results[item.index], "event_id",
                    "This event id was used for another event of the case.", "conflict")
    pending[:] = kept
    return repeats


def _settle_repeats(repeats: dict[int, int], results: dict[int, ItemResult]) -> None:
    """A repeat within a batch of an event that was refused is refused alike: `duplicate`
    would tell the sender it is stored."""
    for index, first in repeats.items():
        if results[first].outcome == "rejected":
            results[index].outcome = "rejected"
            results[index].errors = [dict(e) for e in results[first].errors]


def _apply_in_time_order(actor: Actor, pending: list[_Pending],
                         results: dict[int, ItemResult]) -> list[_Pending]:
    """Place each event in its case's history by time and accept it only when it is a valid step
    from the status before it and to the status after it (`transition_allowed`), whether its
    neighbours are stored or earlier items of the same batch; a terminal status is followed by
    nothing. Moves the case's current status when the event is its latest."""
    accepted: list[_Pending] = []
    by_case: dict[int, list[_Pending]] = defaultdict(list)
    for item in pending:
        by_case[item.case.pk].append(item)
    histories = _status_histories(
        [items[0].case for items in by_case.values()
         if any(p.event.occurred_at < p.case.status_at for p in items)])
    for case_id, items in by_case.items():
        case = items[0].case
        timeline = histories.get(case_id) or [(case.status_at, case.status)]
        for item in sorted(items, key=lambda p: p.event.occurred_at):
            at = item.event.occurred_at
            position = bisect.bisect_right([t for t, _ in timeline], at)
            previous = timeline[position - 1][1] if position else None
            following = timeline[position][1] if position < len(timeline) else None
            refusal = _misplaced(previous, item.status, following)
            if refusal:
                _reject(results[item.index], "status", refusal, "invalid_transition")
                continue
            timeline.insert(position, (at, item.status))
            accepted.append(item)
            if at >= case.status_at:
                case.status, case.holder_status, case.status_at = (
                    item.status, item.event.holder_status, at)
    return accepted


def _misplaced(previous: str | None, status: str, following: str | None) -> str:
    """Why `status` cannot stand between `previous` and `following` in a case's history (empty:
    it can)."""
    if previous is None and not transition_allowed(None, status):  # before the application
        return gettext("The time is before the case's first status: only received or "
                       "registered can come first.")
    if not transition_allowed(previous, status):
        return gettext("A case cannot go from %(before)s to %(after)s.") % {
            "before": previous, "after": status}
    if following is not None and not transition_allowed(status, following):
        return gettext("A case cannot go from %(before)s to %(after)s, which the history has "
                       "after this time.") % {"before": status, "after": following}
    return ""


def _status_histories(cases: list[ServiceCase]
                      ) -> dict[int, list[tuple[datetime.datetime, str]]]:
    """The stored status history of each case (time order, as the timeline shows it), for the
    cases that have events arriving late: one query."""
    histories: dict[int, list[tuple[datetime.datetime, str]]] = defaultdict(list)
    if not cases:
        return histories
    rows = (CaseEvent.objects.filter(case__id__any_of={c.pk for c in cases}, kind=EventKind.STATUS)
            .order_by("case_id", "occurred_at", "pk").values_list("case_id", "occurred_at", "status"))
    for case_id, at, status in rows:
        histories[case_id].append((at, status))
    return histories


def _store(actor: Actor, accepted: list[_Pending]) -> None:
    if not accepted:
        return
    now = timezone.now()
    bulk.insert([
        CaseEvent(case=p.case, kind=EventKind.STATUS, status=p.status,
                  holder_status=p.event.holder_status, occurred_at=p.event.occurred_at,
                  recorded_at=now, note=p.event.note, dedup_key=p.dedup_key,
                  **_event_actor(actor))
        for p in accepted
    ], ignore_conflicts=True)
    touched = list({p.case.pk: p.case for p in accepted}.values())
    change_xid, changes = next_changes(len(touched))
    for case, change in zip(touched, changes, strict=True):
        case.change_xid, case.change_seq, case.updated_at = change_xid, change, now
    _save_current_status(touched)
    record_many(actor, [
        Entry("register.case.status", "register.servicecase", str(p.case.pk),
              p.case.client_person_id, details={"status": p.status})
        for p in accepted
    ])
    # A late event completes the history without changing the current status: subscribers are
    # told whether the status moved (the client hears only of those that did).
    latest = {(p.case.pk, p.event.occurred_at) for p in accepted}
    publish(actor, CASE_STATUS_CHANGED, [
        _case_event(case, _others(actor, case), status_moved=(case.pk, case.status_at) in latest)
        for case in touched])


def _save_current_status(cases: list[ServiceCase]) -> None:
    """The cases' current status and change position, all in one statement (`core.bulk`)."""
    bulk.update(cases, ["status", "holder_status", "status_at", "change_xid", "change_seq",
                        "updated_at"])


# --- Results, acknowledgements, feedback -------------------------------------------------------

def case_for_update(actor: Actor, number: str) -> ServiceCase:
    """The case to change, by its number as people write it (`9999 76544`), with its service,
    locked (`select_for_update`) until the caller's transaction ends. Raises ValidationError
    saying what is wrong (code `format` or `checksum`, not keyed by a field) for a malformed
    number, and ServiceCase.DoesNotExist for an unknown case and, alike, one the actor may not
    change (`CaseAction.UPDATE_CASE`: not of its institution as holder or provider, outside its
    token's services or `cases:write` scope)."""
    parsed = parse_case_number(number)
    case = (ServiceCase.objects.select_for_update().select_related("service")
            .filter(number=str(parsed)).first())
    if case is None or not decide(actor, CaseAction.UPDATE_CASE, case):
        raise ServiceCase.DoesNotExist
    return case


@transaction.atomic
def record_result(actor: Actor, number: str, *, occurred_at: datetime.datetime, title: str,
                  reference: str = "", note: str = "", event_id: str = "") -> CaseEvent:
    """Record a result of the case (a decision document titled `title`, or where to find it:
    `reference`) that came about at `occurred_at`; audited, and `case.result` is published.
    Repeated (the same `event_id`, or without one the same title, reference and time), it
    returns the stored event and changes nothing. Raises as `case_for_update`: ValidationError
    for a malformed number, ServiceCase.DoesNotExist for an unknown or foreign case; and
    PermissionDenied (with the rule's explanation) when the actor's institution is not the
    holder and has not the service's execution stage (`CaseAction.CASE_STAGE`, A1)."""
    occurred_at = instant("occurred_at", occurred_at)
    case = case_for_update(actor, number)
    require(actor, CaseAction.CASE_STAGE, CaseStage(case, Stage.EXECUTION))
    key = f"result:{event_id}" if event_id else "result:" + hashlib.sha256(
        f"{title}|{reference}|{occurred_at.isoformat()}".encode()).hexdigest()[:40]
    existing = CaseEvent.objects.filter(case=case, dedup_key=key).first()
    if existing:
        return existing
    event = CaseEvent.objects.create(
        case=case, kind=EventKind.RESULT, occurred_at=occurred_at, recorded_at=timezone.now(),
        note=note, data={"title": title, "reference": reference}, dedup_key=key,
        **_event_actor(actor))
    _touch(case)
    record(actor, "register.case.result", case, subject=audit_subject_of(case))
    publish(actor, CASE_RESULT, [_case_event(case, _others(actor, case))])
    return event


@transaction.atomic
def acknowledge(actor: Actor, number: str) -> ServiceCase:
    """The holder's system confirms it received the application (repeating it is harmless);
    audited the first time. Raises as `case_for_update`: ValidationError for a malformed
    number, ServiceCase.DoesNotExist for an unknown or foreign case."""
    case = case_for_update(actor, number)
    if case.acknowledged_at is None:
        case.acknowledged_at = timezone.now()
        CaseEvent.objects.create(
            case=case, kind=EventKind.ACKNOWLEDGED, occurred_at=case.acknowledged_at,
            recorded_at=case.acknowledged_at, dedup_key="acknowledged", **_event_actor(actor))
        _touch(case, "acknowledged_at")
        record(actor, "register.case.acknowledge", case)
    return case


def record_payment_status(actor: Actor, case: ServiceCase, payment_status: str, *,
                          occurred_at: datetime.datetime, dedup_key: str,
                          data: dict[str, Any] | None = None) -> CaseEvent | None:
    """Record the case's payment status (A8, G30: for prepaid services execution depends on the
    payment) as the payments app computes it from the case's invoices: `payment_status` is one
    of the payments app's case statuses (`awaiting_payment`, `partly_paid`, `paid`,
    `overpaid`, `overdue`, `cancelled`, `credited`). Writes a
    `payment` event in the case's history (`data`: the invoice number and amounts, never personal
    data) and moves the case's change position, so the holders' feeds and the e-account see it.
    The caller has checked the policy and holds the case's invoice locked; audited by the
    caller. Repeated with the same `dedup_key`, it changes nothing and returns None."""
    if CaseEvent.objects.filter(case=case, dedup_key=dedup_key).exists():
        return None
    event = CaseEvent.objects.create(
        case=case, kind=EventKind.PAYMENT, occurred_at=occurred_at, recorded_at=timezone.now(),
        holder_status=payment_status, data=data or {}, dedup_key=dedup_key,
        **_event_actor(actor))
    case.payment_status = payment_status
    _touch(case, "payment_status")
    return event


def record_payment_statuses(actor: Actor, changes: Sequence[tuple[ServiceCase, str, str,
                                                                   dict[str, Any]]],
                            *, occurred_at: datetime.datetime) -> int:
    """`record_payment_status` for many cases at once (A8: a bank statement settles thousands
    of invoices in one import): `changes` are `(case, payment status, dedup key, data)`. The same
    rules, batched: a change whose dedup key the case's history has already is skipped; the
    others are written as `payment` events in one insert and the cases' statuses and change
    positions in one update. The caller holds the invoices locked, has checked the policy and
    audits. Returns how many cases changed."""
    if not changes:
        return 0
    seen = set(CaseEvent.objects.filter(
        case__id__any_of={case.pk for case, *_rest in changes},
        dedup_key__any_of={key for _case, _status, key, _data in changes},
    ).values_list("case_id", "dedup_key"))
    fresh = []
    for case, status, key, data in changes:
        if (case.pk, key) not in seen:
            seen.add((case.pk, key))
            fresh.append((case, status, key, data))
    if not fresh:
        return 0
    now = timezone.now()
    who = _event_actor(actor)
    bulk.insert([
        CaseEvent(case=case, kind=EventKind.PAYMENT, occurred_at=occurred_at, recorded_at=now,
                  holder_status=status, data=data, dedup_key=key, **who)
        for case, status, key, data in fresh])
    latest = {case.pk: (case, status) for case, status, _key, _data in fresh}
    xid, seqs = next_changes(len(latest))
    cases = []
    for (case, status), seq in zip(latest.values(), seqs, strict=True):
        case.payment_status, case.change_xid, case.change_seq, case.updated_at = \
            status, xid, seq, now
        cases.append(case)
    bulk.update(cases, ["payment_status", "change_xid", "change_seq", "updated_at"])
    return len(cases)


def _touch(case: ServiceCase, *fields: str) -> None:
    case.change_xid, (case.change_seq,) = next_changes(1)
    case.save(update_fields=["change_xid", "change_seq", "updated_at", *fields])


@transaction.atomic
def give_feedback(actor: Actor, case: ServiceCase, rating: int, comment: str = "") -> Feedback:
    """The client rates a case once, after its result (B1): `rating` 1 to 5, with an optional
    `comment`; audited, and `feedback.received` is published to the holder and the provider.
    The rating records who gave it (`Feedback.given_by`, and the case event's actor: the
    client, a parent, a representative; A2, C1). Raises PermissionDenied unless the actor may
    rate for the case's client (`rules.CaseAction.RATE_CASE`: acting in its name by the base
    registers, not by a mandate; as `access.policy.Refused`, with an explanation for a
    mandate's holder or a company's representative who may act only jointly; an anonymous
    case has no client); ValidationError keyed `rating`:
    `too_early` before the result (the case is not decided, result delivered, closed or
    rejected), `duplicate` when it was given already, `range` outside 1 to 5."""
    client = case.client_company or case.client_person
    if client is None:
        raise PermissionDenied("only the client gives feedback on a case")
    require(actor, CaseAction.RATE_CASE, case, client=client)
    if case.status not in FEEDBACK_STATUSES:
        raise _field_error("rating", gettext("Feedback can be given after the result."), "too_early")
    if Feedback.objects.filter(case=case).exists():
        raise _field_error("rating", gettext("Feedback on this case was given already."), "duplicate")
    if not 1 <= rating <= 5:
        raise _field_error("rating", gettext("The rating is from 1 to 5."), "range")
    feedback = Feedback.objects.create(case=case, rating=rating, comment=comment,
                                       given_by=actor.person)
    CaseEvent.objects.create(case=case, kind=EventKind.FEEDBACK, occurred_at=feedback.given_at,
                             recorded_at=feedback.given_at, data={"rating": rating},
                             dedup_key="feedback", **_event_actor(actor))
    _touch(case)
    record(actor, "register.case.feedback", case, subject=audit_subject_of(case))
    publish(actor, FEEDBACK_RECEIVED, [(f"case:{case.pk}", {
        "rating": rating, "institutions": sorted({case.holder_id, case.provider_id}),
        "webhook": {**_payload(case), "rating": rating}})])
    return feedback


@transaction.atomic
def give_consultation_feedback(actor: Actor, consultation: Consultation, rating: int,
                               comment: str = "") -> Feedback:
    """The client rates a consultation (konsultācija) they received, once (B1): `rating` 1 to
    5, with an optional `comment`; audited, and `feedback.received` is published to the
    provider; `Feedback.given_by` records who gave it. Raises PermissionDenied unless the actor
    may rate for the consultation's client (`rules.CaseAction.RATE_CASE`, as for a case; as
    `access.policy.Refused` with an explanation; an anonymous consultation has no client);
    ValidationError keyed
    `rating`: `duplicate` when it was given already, `range` outside 1 to 5."""
    client = consultation.client_company or consultation.client_person
    if client is None:
        raise PermissionDenied("only the client gives feedback on a consultation")
    require(actor, CaseAction.RATE_CASE, consultation, client=client)
    if Feedback.objects.filter(consultation=consultation).exists():
        raise _field_error("rating", gettext("Feedback on this consultation was given already."),
                           "duplicate")
    if not 1 <= rating <= 5:
        raise _field_error("rating", gettext("The rating is from 1 to 5."), "range")
    feedback = Feedback.objects.create(consultation=consultation, rating=rating, comment=comment,
                                       given_by=actor.person)
    record(actor, "register.consultation.feedback", consultation,
           subject=audit_subject_of(consultation))
    publish(actor, FEEDBACK_RECEIVED, [(f"consultation:{consultation.pk}", {
        "rating": rating, "institutions": [consultation.provider_id],
        "webhook": {"consultation_id": consultation.pk, "rating": rating}})])
    return feedback


# --- Consultations -----------------------------------------------------------------------------

@dataclass(frozen=True)
class NewConsultation:
    """A consultation as a channel registers it (B1, seed §4.2, §4.4.2.1): about a service
    (`service_code`) or a free `topic`; the client named as in `NewCase` or not at all; the
    case it was about (`case_number`, optional); `duration_seconds` of the conversation."""

    channel: str
    identification: str
    outcome: str
    occurred_at: datetime.datetime
    service_code: int | None = None
    topic: str = ""
    personal_code: str = ""
    registration_number: str = ""
    client_phone: str = ""
    agent_reference: str = ""
    duration_seconds: int | None = None
    case_number: str = ""


@transaction.atomic
def register_consultation(actor: Actor, new: NewConsultation) -> Consultation:
    """Register a consultation (konsultācija, B1): information given to a client, identified or
    not, through any channel, by the actor's institution as the provider; audited.

    Raises ValidationError `service_code` (`unknown`) for an unknown service (published or not),
    `topic` (`required`) when neither a service nor a topic is given; PermissionDenied unless
    the actor may register consultations of the service (`CaseAction.REGISTER_CONSULTATION`: a
    system with the `consultations:write` scope covering it, or client-service staff, of its
    holder or one of its providers; any of them for a topic) and has an institution; the
    client refusals of `open_case` (ValidationError `personal_code`, `registration_number`,
    `client_phone`, `identification`); ValidationError `case_number` (`not_found`) for a
    malformed or unknown case number and, alike, a case the actor may not change or one of
    another client than the consultation names (a consultation without an identified client may
    name the case its caller quoted)."""
    occurred_at = instant("occurred_at", new.occurred_at)
    service = None
    if new.service_code is not None:
        service = Service.objects.filter(code=new.service_code).first()
        if service is None:
            raise _field_error("service_code", gettext("No service with this code."), "unknown")
    elif not new.topic:
        raise _field_error("topic", gettext("Name the service or the topic."), "required")
    decision = decide(actor, CaseAction.REGISTER_CONSULTATION, service)
    if not decision:
        raise PermissionDenied(decision.reason)
    if actor.institution_id is None:
        raise PermissionDenied("consultations are registered by an institution")
    person, company, phone = _client(NewCase(
        service_code=0, identification=new.identification, application_channel=new.channel,
        personal_code=new.personal_code, registration_number=new.registration_number,
        client_phone=new.client_phone))
    case = None
    if new.case_number:
        try:
            case = case_for_update(actor, new.case_number)
        except (ServiceCase.DoesNotExist, ValidationError):
            raise _field_error("case_number", gettext("No such case for this client."),
                               "not_found") from None
        if (person or company) and (case.client_person_id, case.client_company_id) != (
                person and person.pk, company and company.pk):
            raise _field_error("case_number", gettext("No such case for this client."),
                               "not_found")
    consultation = Consultation.objects.create(
        service=service, topic=new.topic, channel=new.channel, client_person=person,
        client_company=company, identification=new.identification,
        client_phone=phone, agent=actor.staff.user if actor.staff else None,
        agent_reference=new.agent_reference, provider_id=actor.institution_id,
        duration_seconds=new.duration_seconds, outcome=new.outcome, case=case,
        occurred_at=occurred_at)
    record(actor, "register.consultation.create", consultation, subject=person)
    if actor.staff is not None and new.duration_seconds:
        seconds = min(new.duration_seconds, MAX_WORK_SECONDS)
        record_work(actor.staff, Stage.INFORMATION, occurred_at - datetime.timedelta(
            seconds=seconds), occurred_at, consultation=consultation, service=service)
    return consultation


@transaction.atomic
def map_holder_status(actor: Actor, service: Service, holder_status: str, status: str
                      ) -> StatusMapping:
    """An institution names its own detailed status (`holder_status`) and the standard status
    (a `CaseStatus`) it means, for one of its services; status events may then carry only the
    holder status. Audited. Raises PermissionDenied unless the actor is the administrator of
    the service's holder (`CatalogAction.CHANGE_SERVICE`), and ValidationError keyed `status`
    (`invalid`) for a status that is not a standard one or an empty own status."""
    if not decide(actor, CatalogAction.CHANGE_SERVICE, service):
        raise PermissionDenied("only the holder's administrator maps its statuses")
    if status not in CaseStatus.values or not holder_status.strip():
        raise _field_error("status", gettext("Choose a standard status and name your own."),
                           "invalid")
    mapping, _ = StatusMapping.objects.update_or_create(
        service=service, holder_status=holder_status.strip(), defaults={"status": status})
    record(actor, "register.status_mapping.set", mapping,
           details={"service": service.code, "holder_status": mapping.holder_status,
                    "status": status})
    return mapping


@transaction.atomic
def delete_status_mapping(actor: Actor, mapping: StatusMapping) -> None:
    """Delete an institution's own status name (`holder_status`) of one of its services: later
    status events that carry only that name are refused (`unmapped_status`), as if never mapped;
    cases already moved keep their status. Audited. Raises PermissionDenied unless the actor is
    the administrator of the service's holder (`CatalogAction.CHANGE_SERVICE`)."""
    if not decide(actor, CatalogAction.CHANGE_SERVICE, mapping.service):
        raise PermissionDenied("only the holder's administrator maps its statuses")
    record(actor, "register.status_mapping.delete", mapping,
           details={"service": mapping.service.code, "holder_status": mapping.holder_status,
                    "status": mapping.status})
    mapping.delete()




@transaction.atomic
def deliver_result_in_person(actor: Actor, case: ServiceCase, *, document_number: str,
                             started_at: datetime.datetime | None = None) -> ServiceCase:
    """An agent hands the decided case's result to its client at the counter (B3; seed 4.4.2:
    result delivery is a stage a provider may do): the case's status becomes
    `result_delivered` with the channel in person and the agent's service point in its history,
    the agent's time at the `result_delivery` stage is recorded from `started_at` (when given),
    audited with the identity document's number's last four characters only. Raises
    PermissionDenied (`CaseAction.DELIVER_RESULT`), ValidationError keyed `document_number`
    (`required`: the document the client showed) or `status` (`not_decided`: only a decided
    case's result is handed out)."""
    require(actor, CaseAction.DELIVER_RESULT, case)
    number = "".join((document_number or "").split()).upper()
    if not 6 <= len(number) <= 20 or not number.isalnum():
        raise _field_error("document_number", gettext(
            "Give the number of the identity document the client showed."), "required")
    locked = ServiceCase.objects.select_for_update().get(pk=case.pk)
    if locked.status != CaseStatus.DECIDED:
        raise _field_error("status", gettext(
            "Only the result of a decided case is handed out."), "not_decided")
    now = timezone.now()
    point = actor.staff.service_point if actor.staff else ""
    note = point  # an address, in no language: the status itself says "handed out"
    ServiceCase.objects.filter(pk=locked.pk).update(result_channel=RegisterChannel.CENTRE)
    (result,) = record_status_events(actor, [StatusEvent(
        locked.number, now, status=CaseStatus.RESULT_DELIVERED, note=note)])
    if result.outcome == "rejected":
        raise _field_error("status", "; ".join(e["msg"] for e in result.errors),
                           result.errors[0]["type"])
    if actor.staff is not None and started_at is not None and started_at <= now:
        record_work(actor.staff, Stage.RESULT_DELIVERY, started_at, now, case=locked)
    record(actor, "register.case.result_handed_out", locked, subject=audit_subject_of(locked),
           details={"document": number[-4:], "service_point": point})
    locked.refresh_from_db()
    return locked


# --- Working time ------------------------------------------------------------------------------

def record_work(staff: StaffMember, stage: str, started_at: datetime.datetime,
                ended_at: datetime.datetime, *, case: ServiceCase | None = None,
                consultation: Consultation | None = None, service: Service | None = None,
                step: str = "") -> WorkTime:
    """Record that `staff` worked on a case or a consultation at `stage` (a `Stage`) from
    `started_at` to `ended_at` (D2: time recorded automatically from opening to closing), at
    the staff member's current service point and for their institution. A stretch longer than
    `MAX_WORK_SECONDS` (12 h) is counted as that much: a task left open overnight is not a
    night's work, and its holder corrects it. Raises ValueError for an unknown stage, an end
    before the start or neither a case nor a consultation (callers pass what they recorded)."""
    if stage not in Stage.values or ended_at < started_at or not (case or consultation):
        raise ValueError("a stage, an ordered period and a case or consultation")
    seconds = min(int((ended_at - started_at).total_seconds()), MAX_WORK_SECONDS)
    return WorkTime.objects.create(
        case=case, consultation=consultation, staff=staff, institution_id=staff.institution_id,
        service=service or (case.service if case else None), stage=stage, step=step,
        service_point=staff.service_point, started_at=started_at, ended_at=ended_at,
        seconds=seconds)


@transaction.atomic
def correct_work(actor: Actor, work: WorkTime, minutes: int, reason: str) -> WorkTime:
    """The one who worked corrects a recorded time to `minutes` (0 to 12 h) with a `reason`
    (D2: "correctable by the agent with a reason"); the recorded figure stays beside it;
    audited. Raises PermissionDenied (`CaseAction.CORRECT_WORK`), ValidationError keyed
    `minutes` (`invalid`) or `reason` (`required`)."""
    require(actor, CaseAction.CORRECT_WORK, work)
    problems: dict[str, ValidationError] = {}
    if not 0 <= minutes * 60 <= MAX_WORK_SECONDS:
        problems["minutes"] = ValidationError(
            gettext("Give the minutes you worked, from 0 to 720."), code="invalid")
    if len((reason or "").strip()) < 3:
        problems["reason"] = ValidationError(gettext("Say why the time is corrected."),
                                             code="required")
    if problems:
        raise ValidationError(problems)
    locked = WorkTime.objects.select_for_update().get(pk=work.pk)
    locked.corrected_seconds = minutes * 60
    locked.correction_reason = reason.strip()[:500]
    locked.corrected_at = timezone.now()
    locked.save(update_fields=["corrected_seconds", "correction_reason", "corrected_at"])
    record(actor, "register.work_time.correct", locked,
           details={"seconds": locked.seconds, "corrected_seconds": locked.corrected_seconds})
    return locked


def set_service_point(actor: Actor, point: str, points: Sequence[str]) -> None:
    """The staff member says where they work now, one of `points` (the client-service centres),
    or "" for none; their working time is counted there from now on (D2). Raises
    PermissionDenied for an actor who is not staff, ValidationError keyed `service_point`
    (`invalid`) for a place not among `points`."""
    if actor.staff is None:
        raise PermissionDenied("only staff work at a service point")
    if point and point not in points:
        raise _field_error("service_point", gettext("Choose one of the service points."),
                           "invalid")
    StaffMember.objects.filter(pk=actor.staff.pk).update(service_point=point)
    actor.staff.service_point = point
    record(actor, "register.work_time.service_point", actor.staff,
           details={"service_point": point})
