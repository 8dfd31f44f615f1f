"""The integration API of the request register (B9), for back-office and front-office systems.

Authenticated with a client's bearer token. Every write accepts an `Idempotency-Key` header: a
retry with the same key and body gets the first answer and changes nothing; the same key with
another body is a 409. Case numbers go in paths with a hyphen instead of the space
(`/cases/9999-76544`).

Batches (`POST /case-events`) are answered per item, not all-or-nothing: valid events are
stored (together, in one transaction) and each item says `recorded`, `duplicate` or `rejected`
with its errors.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from durvis.integrations.http import (
    ERRORS,
    PARAGRAPHS,
    ActingPersonOut,
    ApiClientAuth,
    CaseNumber,
    Cursor,
    Instant,
    Limit,
    OneOf,
    acting_person_out,
    actor_of,
    idempotent_write,
    scopes,
)
from durvis.register import queries as register_queries
from durvis.register import services as register
from durvis.register.changes import ChangeCursor
from durvis.register.models import (
    ActedBy,
    CaseEvent,
    CaseStatus,
    ConsultationOutcome,
    IdentificationLevel,
    RegisterChannel,
    ServiceCase,
)
from durvis.register.rules import CASES_READ, CASES_WRITE, CONSULTATIONS_WRITE

router = Router(tags=["register"], auth=ApiClientAuth())

PHONE = ("The caller's number, as people write it: with its country code (`+37061234567`, "
         "`00370 612 34567`) or Latvian without it (`29123456`); the digits 0–9 only. Stored "
         "and answered in E.164 (`+37129123456`)")



class CaseIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"service_code": 1011,
         "identification": "identified_by_agent",
         "application_channel": "centre",
         "acted_by": "agent",
         "personal_code": "161175-19997",
         "result_channel": "eaccount",
         "service_point": "Rīga, Pils iela 1",
         "holder_reference": "VSAA-2026-1",
         "note": ""}]})

    service_code: int = Field(..., ge=1, le=2_147_483_647)
    identification: IdentificationLevel
    application_channel: RegisterChannel
    acted_by: ActedBy = ActedBy.CLIENT
    personal_code: str = Field("", max_length=20)
    registration_number: str = Field("", max_length=20)
    client_phone: str = Field("", max_length=30, description=PHONE)
    representative_code: str = Field("", max_length=20)
    mandate_reference: str = Field("", max_length=64)
    result_channel: Annotated[str, OneOf("", *RegisterChannel.values)] = ""
    provider_code: str = Field("", max_length=20)
    service_point: str = Field("", max_length=100)
    holder_reference: str = Field("", max_length=100)
    applied_at: Instant | None = None
    status: Literal["received", "registered"] = "received"
    holder_status: str = Field("", max_length=100)
    note: str = Field("", max_length=2000, json_schema_extra=PARAGRAPHS)


class CaseClientOut(Schema):
    kind: Literal["person", "company", "phone", "anonymous"]
    personal_code: str | None = None
    registration_number: str | None = None
    name: str | None = None
    phone: str | None = None


class CaseOut(Schema):
    number: str
    service_code: int
    status: str
    holder_status: str
    status_at: datetime.datetime
    applied_at: datetime.datetime
    identification: str
    client: CaseClientOut
    acted_by: str
    mandate_reference: str
    application_channel: str
    result_channel: str
    provider: str
    service_point: str
    holder: str
    holder_reference: str
    payment_status: str
    acknowledged_at: datetime.datetime | None
    change_seq: int


class EventOut(Schema):
    kind: str
    status: str
    holder_status: str
    occurred_at: datetime.datetime
    recorded_at: datetime.datetime
    actor_kind: str
    actor_institution: str
    acting_person: ActingPersonOut | None = Field(
        None, description="Who acted for the client, when a person did (a rating)")
    note: str
    data: dict[str, Any]


class CaseDetail(CaseOut):
    history: list[EventOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str = Field(..., description=(
        "Ask again with since=next_cursor (opaque: keep it as given). A change still being "
        "committed is never passed: it comes on a later page"))


class StatusEventIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "in_progress",
         "occurred_at": "2026-11-21T10:00:00+02:00",
         "note": "",
         "event_id": "E-1"}]})

    occurred_at: Instant
    status: Annotated[str, OneOf("", *CaseStatus.values)] = Field(
        "", description="A standard status, or give holder_status mapped for the service")
    holder_status: str = Field("", max_length=100)
    note: str = Field("", max_length=2000, json_schema_extra=PARAGRAPHS)
    event_id: str = Field("", max_length=90, description="Your id of the event: a repeat is "
                          "recognised by it (without it: by status and time)")


class BatchEventIn(StatusEventIn):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"case_number": "9999 76544", "status": "in_progress",
         "occurred_at": "2026-11-21T10:00:00+02:00", "event_id": "E-1"}]})

    case_number: str = Field(..., max_length=40)


class BatchIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"events": [{"case_number": "9999 76544",
                     "status": "in_progress",
                     "occurred_at": "2026-11-21T10:00:00+02:00",
                     "event_id": "E-1"},
                    {"case_number": "9999 76544",
                     "holder_status": "IZSK",
                     "occurred_at": "2026-11-21T11:00:00+02:00",
                     "event_id": "E-2"}]}]})

    events: list[BatchEventIn] = Field(..., min_length=1, max_length=register.MAX_BATCH)


class ItemError(Schema):
    field: str
    msg: str
    type: str


class ItemOut(Schema):
    index: int
    case_number: str
    outcome: Literal["recorded", "duplicate", "rejected"]
    errors: list[ItemError]


class BatchOut(Schema):
    recorded: int
    duplicates: int
    rejected: int
    items: list[ItemOut]


class ResultIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"occurred_at": "2026-11-25T10:00:00+02:00",
         "title": "Lēmums par pabalsta piešķiršanu",
         "reference": "VSAA-L-2026-1",
         "note": "",
         "event_id": "R-1"}]})

    occurred_at: Instant
    title: str = Field(..., min_length=1, max_length=300)
    reference: str = Field("", max_length=500, description="Where the result document is")
    note: str = Field("", max_length=2000, json_schema_extra=PARAGRAPHS)
    event_id: str = Field("", max_length=90)


class ConsultationIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"channel": "phone",
         "identification": "anonymous",
         "outcome": "answered",
         "occurred_at": "2026-11-21T10:00:00+02:00",
         "topic": "Adreses maiņa",
         "agent_reference": "A-1"}]})

    channel: RegisterChannel
    identification: IdentificationLevel
    outcome: ConsultationOutcome
    occurred_at: Instant
    service_code: int | None = Field(None, ge=1, le=2_147_483_647)
    topic: str = Field("", max_length=200)
    personal_code: str = Field("", max_length=20)
    registration_number: str = Field("", max_length=20)
    client_phone: str = Field("", max_length=30, description=PHONE)
    agent_reference: str = Field("", max_length=64)
    duration_seconds: int | None = Field(None, ge=0, le=86_400)
    case_number: str = Field("", max_length=40)


class ConsultationOut(Schema):
    id: int
    outcome: str
    case_number: str | None


class ListQuery(Schema):
    since: Cursor = "0"
    limit: Limit = 100


def _client_out(case: ServiceCase) -> dict[str, Any]:
    if case.client_person is not None:
        return {"kind": "person", "personal_code": case.client_person.personal_code,
                "name": str(case.client_person)}
    if case.client_company is not None:
        return {"kind": "company", "registration_number": case.client_company.registration_number,
                "name": case.client_company.name}
    if case.client_phone:
        return {"kind": "phone", "phone": case.client_phone}
    return {"kind": "anonymous"}


def case_out(case: ServiceCase) -> dict[str, Any]:
    return {
        "number": case.number, "service_code": case.service.code, "status": case.status,
        "holder_status": case.holder_status, "status_at": case.status_at,
        "applied_at": case.applied_at, "identification": case.identification,
        "client": _client_out(case), "acted_by": case.acted_by,
        "mandate_reference": case.mandate_reference,
        "application_channel": case.application_channel, "result_channel": case.result_channel,
        "provider": case.provider.code, "service_point": case.service_point,
        "holder": case.holder.code, "holder_reference": case.holder_reference,
        "payment_status": case.payment_status, "acknowledged_at": case.acknowledged_at,
        "change_seq": case.change_seq,
    }


def _event_out(event: CaseEvent) -> dict[str, Any]:
    return {"kind": event.kind, "status": event.status, "holder_status": event.holder_status,
            "occurred_at": event.occurred_at, "recorded_at": event.recorded_at,
            "actor_kind": event.actor_kind, "actor_institution": event.actor_institution,
            "acting_person": acting_person_out(event.acting), "note": event.note,
            "data": event.data}


@router.post("/cases", response={201: CaseOut, **ERRORS}, summary="Register a case",
             openapi_extra=scopes(CASES_WRITE))
def create_case(request: HttpRequest, payload: CaseIn) -> Status[Any]:
    """Register an application; the answer carries its case number. Accepts `Idempotency-Key`."""
    def handler() -> tuple[int, Any]:
        case = register.open_case(actor_of(request), register.NewCase(**payload.dict()))
        return 201, case_out(case)  # as stored: open_case returns it with its related rows

    return idempotent_write(request, handler)


@router.get("/cases", response={200: CasePage, **ERRORS},
            summary="Cases changed since a cursor (synchronisation)", openapi_extra=scopes(CASES_READ))
def list_cases(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    """Cases of your institution (as holder or provider, within your client's services) changed
    after the cursor `since`; ask again with `next_cursor`. Every committed change comes once,
    as the case's latest state; while a change is being committed the pages stop before it."""
    cases, cursor = register_queries.changed_cases(
        actor_of(request), ChangeCursor.parse(query.since), query.limit)
    return {"items": [case_out(c) for c in cases], "next_cursor": str(cursor)}


@router.get("/cases/{number}", response={200: CaseDetail, **ERRORS},
            summary="A case and its history", openapi_extra=scopes(CASES_READ))
def get_case(request: HttpRequest, number: CaseNumber) -> dict[str, Any]:
    case, history = register_queries.read_case(actor_of(request), number)
    return {**case_out(case), "history": [_event_out(e) for e in history]}


def _event_loc(field: str) -> list[str | int]:
    """Where a refused field of one event came from: the case number is the path's."""
    return ["path", "number"] if field == "case_number" else ["body", field]


@router.post("/cases/{number}/events", response={201: ItemOut, 200: ItemOut, **ERRORS},
             summary="Post one status event", openapi_extra=scopes(CASES_WRITE),
             operation_id="postCaseEvent")
def post_event(request: HttpRequest, payload: StatusEventIn,
               number: CaseNumber) -> Status[Any]:
    def handler() -> tuple[int, Any]:
        event = register.StatusEvent(case_number=number, **payload.dict())
        (result,) = register.record_status_events(actor_of(request), [event])
        if result.outcome == "rejected":
            error = result.errors[0]
            status = 404 if error["type"] == "not_found" else 422
            return status, {"detail": [{"loc": _event_loc(error["field"]), "msg": error["msg"],
                                        "type": error["type"]} for error in result.errors]}
        return (201 if result.outcome == "recorded" else 200), result.__dict__

    return idempotent_write(request, handler)


@router.post("/case-events", response={200: BatchOut, **ERRORS},
             summary="Post up to 1,000 status events (answered per item)", openapi_extra=scopes(CASES_WRITE),
             operation_id="postCaseEvents")
def post_events(request: HttpRequest, payload: BatchIn) -> Status[Any]:
    """Answered per item, not all-or-nothing: every valid event is stored (all of them in one
    transaction) and each item says `recorded`, `duplicate` (already stored: a retry) or
    `rejected` with its errors. Events may arrive out of order; the history is ordered by
    `occurred_at` and the current status is the latest event's."""
    def handler() -> tuple[int, Any]:
        events = [register.StatusEvent(**e.dict()) for e in payload.events]
        results = register.record_status_events(actor_of(request), events)
        counts = {o: sum(1 for r in results if r.outcome == o)
                  for o in ("recorded", "duplicate", "rejected")}
        return 200, {"recorded": counts["recorded"], "duplicates": counts["duplicate"],
                     "rejected": counts["rejected"], "items": [r.__dict__ for r in results]}

    return idempotent_write(request, handler)


@router.post("/cases/{number}/result", response={201: EventOut, **ERRORS},
             summary="Post a result of the case", openapi_extra=scopes(CASES_WRITE),
             operation_id="postCaseResult")
def post_result(request: HttpRequest, payload: ResultIn,
                number: CaseNumber) -> Status[Any]:
    def handler() -> tuple[int, Any]:
        event = register.record_result(actor_of(request), number, **payload.dict())
        return 201, _event_out(event)

    return idempotent_write(request, handler)


@router.post("/cases/{number}/acknowledge", response={200: CaseOut, **ERRORS},
             summary="Acknowledge an application delivered to your system", openapi_extra=scopes(CASES_WRITE),
             operation_id="acknowledgeCase")
def acknowledge(request: HttpRequest, number: CaseNumber
                ) -> Status[Any]:
    def handler() -> tuple[int, Any]:
        case = register.acknowledge(actor_of(request), number)
        case = ServiceCase.objects.select_related(
            "service", "client_person", "client_company", "provider", "holder").get(pk=case.pk)
        return 200, case_out(case)

    return idempotent_write(request, handler)


@router.post("/consultations", response={201: ConsultationOut, **ERRORS},
             summary="Register a consultation", openapi_extra=scopes(CONSULTATIONS_WRITE))
def create_consultation(request: HttpRequest, payload: ConsultationIn) -> Status[Any]:
    def handler() -> tuple[int, Any]:
        data = payload.dict()
        consultation = register.register_consultation(
            actor_of(request), register.NewConsultation(**data))
        return 201, {"id": consultation.pk, "outcome": consultation.outcome,
                     "case_number": consultation.case.number if consultation.case else None}

    return idempotent_write(request, handler)
