"""The register's integration API (B1, B9) through HTTP: cases, events, idempotency, disorder,
scopes and refusals."""

import json

import pytest

from durvis.audit.models import AuditEvent
from durvis.audit.services import verify
from durvis.core.case_numbers import format_case_number
from durvis.identity import services as identity
from durvis.register.models import CaseEvent, ServiceCase, StatusMapping


def post(http, path, body, status=None, **headers):
    response = http.post(f"/api/v1{path}", json.dumps(body), content_type="application/json",
                         **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    if status is not None:
        assert response.status_code == status, response.content
    return response


def get(http, path, status=200, **params):
    response = http.get(f"/api/v1{path}", params)
    assert response.status_code == status, response.content
    return response.json()


def new_case(**overrides):
    body = {"service_code": 1011, "identification": "identified_by_agent",
            "application_channel": "centre", "acted_by": "agent", "personal_code": "161175-19997",
            "result_channel": "eaccount", "service_point": "Rīga, Pils laukums 4",
            "applied_at": "2026-11-20T09:00:00+02:00"}
    body.update(overrides)
    return body


def url(number):
    return f"/cases/{number.replace(' ', '-')}"


def test_open_case_and_read_it(centre, vsaa, person):
    case = post(centre, "/cases", new_case(), 201).json()
    assert case["number"].startswith("1011 ")
    assert case["status"] == "received"
    assert case["provider"] == "VDAA" and case["holder"] == "VSAA"
    assert case["client"] == {"kind": "person", "personal_code": "16117519997",
                              "name": "Jānis Bērziņš", "registration_number": None, "phone": None}
    read = get(vsaa, url(case["number"]))
    assert [h["status"] for h in read["history"]] == ["received"]
    read_event = AuditEvent.objects.filter(action="register.case.read").get()
    assert read_event.subject_person_id == person.pk and read_event.actor_institution == "VSAA"


def test_case_numbers_are_sequential_per_service(centre, person):
    first = post(centre, "/cases", new_case(), 201).json()["number"]
    second = post(centre, "/cases", new_case(), 201).json()["number"]
    assert (first, second) == ("1011 13", "1011 21")


def test_phone_only_and_anonymous_cases(centre):
    phone = post(centre, "/cases", new_case(identification="phone_only", personal_code="",
                                            client_phone="+371 29123456",
                                            application_channel="phone"), 201).json()
    assert phone["client"]["kind"] == "phone"
    anonymous = post(centre, "/cases", new_case(identification="anonymous", personal_code=""),
                     201).json()
    assert anonymous["client"]["kind"] == "anonymous"


@pytest.mark.parametrize(("overrides", "field", "type_"), [
    ({"service_code": 4242}, "service_code", "unknown"),
    ({"personal_code": "161175-19996"}, "personal_code", "checksum"),
    ({"personal_code": "010115-21114"}, "personal_code", "unknown"),
    ({"identification": "phone_only"}, "client_phone", "required"),
    ({"identification": "anonymous"}, "identification", "invalid"),
    ({"provider_code": "VID"}, "provider_code", "not_a_provider"),
    ({"provider_code": "VSAA"}, "provider_code", "foreign_provider"),
    ({"acted_by": "representative"}, "representative_code", "required"),
    ({"status": "decided"}, "status", None),
    ({"application_channel": "pigeon"}, "application_channel", None),
])
def test_bad_case_input_gets_422_naming_the_field(centre, person, overrides, field, type_):
    body = post(centre, "/cases", new_case(**overrides), 422).json()
    assert body["detail"][0]["loc"][-1] == field
    if type_:
        assert body["detail"][0]["type"] == type_
    assert not ServiceCase.objects.exists()


def test_status_history_in_time_order_even_when_events_arrive_late(centre, vsaa, person):
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    post(vsaa, f"{url(number)}/events", {"status": "decided",
                                         "occurred_at": "2026-11-22T10:00:00+02:00"}, 201)
    post(vsaa, f"{url(number)}/events", {"status": "in_progress",
                                         "occurred_at": "2026-11-21T10:00:00+02:00"}, 201)
    case = get(vsaa, url(number))
    assert [h["status"] for h in case["history"]] == ["received", "in_progress", "decided"]
    assert case["status"] == "decided"  # the latest by occurred_at, not by arrival


def test_repeated_event_is_stored_once(centre, vsaa, person):
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    event = {"status": "in_progress", "occurred_at": "2026-11-21T10:00:00+02:00"}
    assert post(vsaa, f"{url(number)}/events", event, 201).json()["outcome"] == "recorded"
    assert post(vsaa, f"{url(number)}/events", event, 200).json()["outcome"] == "duplicate"
    with_id = {**event, "occurred_at": "2026-11-21T11:00:00+02:00", "event_id": "E-1"}
    post(vsaa, f"{url(number)}/events", with_id, 201)
    post(vsaa, f"{url(number)}/events", {**with_id, "note": "resent"}, 200)
    assert CaseEvent.objects.filter(case__number=number).count() == 3


def test_an_event_id_used_for_another_event_is_a_conflict(centre, vsaa, person):
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    event = {"status": "in_progress", "occurred_at": "2026-11-21T10:00:00+02:00",
             "event_id": "E-7"}
    post(vsaa, f"{url(number)}/events", event, 201)
    refused = post(vsaa, f"{url(number)}/events", {**event, "status": "decided"}, 422).json()
    assert refused["detail"][0]["loc"][-1] == "event_id"
    assert refused["detail"][0]["type"] == "conflict"
    batch = post(vsaa, "/case-events", {"events": [
        {**event, "case_number": number, "event_id": "E-8"},
        {**event, "case_number": number, "event_id": "E-8",
         "occurred_at": "2026-11-21T10:30:00+02:00"}]}, 200).json()
    assert [i["outcome"] for i in batch["items"]] == ["recorded", "rejected"]
    assert get(vsaa, url(number))["status"] == "in_progress"


def test_idempotency_key_replays_the_first_answer(centre, person):
    first = post(centre, "/cases", new_case(), 201, **{"Idempotency-Key": "k-1"}).json()
    again = post(centre, "/cases", new_case(), 201, **{"Idempotency-Key": "k-1"}).json()
    assert first == again
    assert ServiceCase.objects.count() == 1
    conflict = post(centre, "/cases", new_case(service_point="elsewhere"), 409,
                    **{"Idempotency-Key": "k-1"}).json()
    assert conflict["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_a_retry_written_differently_is_the_same_request(centre, person):
    body = new_case(note="Rīga")
    first = centre.post("/api/v1/cases", json.dumps(body), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k-3")
    # Another library's writing of the same JSON: keys reordered, spaced, text escaped.
    again = centre.post("/api/v1/cases", json.dumps(dict(reversed(body.items())), indent=2,
                                                    ensure_ascii=True),
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json() and ServiceCase.objects.count() == 1


def test_failed_write_leaves_nothing_and_can_be_retried_with_the_same_key(centre, person):
    post(centre, "/cases", new_case(personal_code="010115-21114"), 422,
         **{"Idempotency-Key": "k-2"})
    assert not ServiceCase.objects.exists() and not AuditEvent.objects.filter(
        action="register.case.open").exists()
    identity.record_person(personal_code="010115-21114", given_name="Anna", family_name="B")
    post(centre, "/cases", new_case(personal_code="010115-21114"), 201,
         **{"Idempotency-Key": "k-2"})


def test_invalid_transition_is_refused(centre, vsaa, person):
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    post(vsaa, f"{url(number)}/events", {"status": "rejected",
                                         "occurred_at": "2026-11-21T10:00:00+02:00"}, 201)
    body = post(vsaa, f"{url(number)}/events", {"status": "in_progress",
                                                "occurred_at": "2026-11-22T10:00:00+02:00"},
                422).json()
    assert body["detail"][0]["type"] == "invalid_transition"


def test_holder_status_names_are_mapped_and_kept(centre, vsaa, person, catalogue):
    StatusMapping.objects.create(service=catalogue["childbirth"], holder_status="Lēmums pieņemts",
                                 status="decided")
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    post(vsaa, f"{url(number)}/events", {"holder_status": "Lēmums pieņemts",
                                         "occurred_at": "2026-11-21T10:00:00+02:00"}, 201)
    case = get(vsaa, url(number))
    assert (case["status"], case["holder_status"]) == ("decided", "Lēmums pieņemts")
    body = post(vsaa, f"{url(number)}/events", {"holder_status": "Nezināms",
                                                "occurred_at": "2026-11-22T10:00:00+02:00"},
                422).json()
    assert body["detail"][0]["loc"][-1] == "holder_status"


def test_batch_is_answered_per_item(centre, vsaa, person):
    a = post(centre, "/cases", new_case(), 201).json()["number"]
    b = post(centre, "/cases", new_case(), 201).json()["number"]
    events = [
        {"case_number": a, "status": "in_progress", "occurred_at": "2026-11-21T10:00:00Z"},
        {"case_number": b, "status": "rejected", "occurred_at": "2026-11-21T10:00:00Z"},
        {"case_number": format_case_number(1011, 999), "status": "in_progress",
         "occurred_at": "2026-11-21T10:00:00Z"},
        {"case_number": a, "status": "in_progress", "occurred_at": "2026-11-21T10:00:00Z"},
        {"case_number": b, "status": "in_progress", "occurred_at": "2026-11-22T10:00:00Z"},
        {"case_number": "nonsense", "status": "in_progress", "occurred_at": "2026-11-21T10:00:00Z"},
    ]
    body = post(vsaa, "/case-events", {"events": events}, 200).json()
    assert [i["outcome"] for i in body["items"]] == [
        "recorded", "recorded", "rejected", "duplicate", "rejected", "rejected"]
    assert (body["recorded"], body["duplicates"], body["rejected"]) == (2, 1, 3)
    assert body["items"][2]["errors"][0]["type"] == "not_found"
    assert body["items"][4]["errors"][0]["type"] == "invalid_transition"
    assert ServiceCase.objects.get(number=b).status == "rejected"
    assert verify() == []


def test_batch_limit(vsaa):
    events = [{"case_number": "1011 13", "status": "closed", "occurred_at": "2026-11-21T10:00:00Z"}]
    body = post(vsaa, "/case-events", {"events": events * 1001}, 422).json()
    assert body["detail"][0]["loc"][-1] == "events"


def test_result_and_acknowledgement(centre, vsaa, person):
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    ack = post(vsaa, f"{url(number)}/acknowledge", {}, 200).json()
    assert ack["acknowledged_at"]
    result = {"occurred_at": "2026-11-25T10:00:00Z", "title": "Lēmums par pabalsta piešķiršanu",
              "reference": "https://vsaa.example.lv/lemumi/123"}
    post(vsaa, f"{url(number)}/result", result, 201)
    post(vsaa, f"{url(number)}/result", result, 201)
    history = get(vsaa, url(number))["history"]
    assert [h["kind"] for h in history] == ["status", "result", "acknowledged"]  # by time


def test_consultation(centre, person):
    body = post(centre, "/consultations", {
        "channel": "phone", "identification": "phone_only", "client_phone": "+371 29123456",
        "outcome": "answered", "occurred_at": "2026-11-21T10:00:00Z", "service_code": 1011,
        "duration_seconds": 240}, 201).json()
    assert body["outcome"] == "answered"
    topic = post(centre, "/consultations", {
        "channel": "centre", "identification": "anonymous", "outcome": "routed",
        "occurred_at": "2026-11-21T10:00:00Z", "topic": "Deklarētā adrese"}, 201).json()
    assert topic["case_number"] is None
    missing = post(centre, "/consultations", {
        "channel": "centre", "identification": "anonymous", "outcome": "routed",
        "occurred_at": "2026-11-21T10:00:00Z"}, 422).json()
    assert missing["detail"][0]["loc"][-1] == "topic"


def test_no_token_no_access(client, catalogue):
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json()["detail"][0]["type"] == "unauthenticated"
    bad = client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer dv_nothing_here")
    assert bad.status_code == 401


def test_another_institutions_case_is_not_found(centre, api_client_factory, person):
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    vid = api_client_factory("VID")
    get(vid, url(number), status=404)
    post(vid, f"{url(number)}/events", {"status": "in_progress",
                                        "occurred_at": "2026-11-21T10:00:00Z"}, 404)
    assert get(vid, "/cases")["items"] == []
    assert CaseEvent.objects.count() == 1


def test_client_without_write_scope_is_refused(api_client_factory, person, centre):
    reader = api_client_factory("VSAA", operations=["cases:read"])
    post(reader, "/cases", new_case(provider_code="VSAA"), 403)
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    post(reader, f"{url(number)}/events", {"status": "in_progress",
                                           "occurred_at": "2026-11-21T10:00:00Z"}, 404)
    assert get(reader, url(number))["number"] == number


def test_service_scope_limits_cases(api_client_factory, catalogue, person, centre):
    scoped = api_client_factory("VDAA", services=[catalogue["kindergarten"]])
    post(scoped, "/cases", new_case(), 403)
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    get(scoped, url(number), status=404)
    assert get(scoped, "/cases")["items"] == []


def test_changed_since_cursor(centre, vsaa, person):
    numbers = [post(centre, "/cases", new_case(), 201).json()["number"] for _ in range(3)]
    page = get(vsaa, "/cases", limit=2)
    assert [c["number"] for c in page["items"]] == numbers[:2]
    rest = get(vsaa, "/cases", since=page["next_cursor"])
    assert [c["number"] for c in rest["items"]] == numbers[2:]
    post(vsaa, f"{url(numbers[0])}/events", {"status": "in_progress",
                                             "occurred_at": "2026-11-21T10:00:00Z"}, 201)
    after = get(vsaa, "/cases", since=rest["next_cursor"])
    assert [c["number"] for c in after["items"]] == [numbers[0]]
    assert get(vsaa, "/cases", since=after["next_cursor"])["items"] == []


def test_the_cursor_is_an_opaque_string_and_0_or_none_is_the_beginning(centre, vsaa, person):
    numbers = [post(centre, "/cases", new_case(), 201).json()["number"] for _ in range(2)]
    first = get(vsaa, "/cases", limit=1)
    assert get(vsaa, "/cases", since="0", limit=1) == first
    assert [c["number"] for c in first["items"]] == numbers[:1]
    assert isinstance(first["next_cursor"], str)
    rest = get(vsaa, "/cases", since=first["next_cursor"])
    assert [c["number"] for c in rest["items"]] == numbers[1:]
    assert get(vsaa, "/cases", since=rest["next_cursor"]) == {
        "items": [], "next_cursor": rest["next_cursor"]}
    assert get(vsaa, "/cases", since="7")["next_cursor"]  # a change number, as cursors were


@pytest.mark.parametrize("since", [
    "", "abc", "-1", "1.", ".1", "1.2.3", "1,2", " 1", "0x10", "١٢",
    "9223372036854775808", "1.9223372036854775808", "9" * 20, "1" * 41])
def test_a_malformed_cursor_is_a_422_naming_since(vsaa, since):
    detail = get(vsaa, "/cases", status=422, since=since)["detail"]
    assert [item["loc"] for item in detail] == [["query", "since"]]


def test_consultation_needs_its_scope(api_client_factory, catalogue):
    reader = api_client_factory("VDAA", operations=["cases:read"])
    post(reader, "/consultations", {
        "channel": "centre", "identification": "anonymous", "outcome": "answered",
        "occurred_at": "2026-11-21T10:00:00Z", "topic": "Deklarētā adrese"}, 403)


def test_whoami(api_client_factory, catalogue):
    scoped = api_client_factory("VDAA", operations=["cases:read"],
                                services=[catalogue["childbirth"]])
    assert get(scoped, "/whoami") == {"client_id": scoped.api_client.pk, "institution": "VDAA",
                                      "operations": ["cases:read"],
                                      "service_ids": [catalogue["childbirth"].pk]}


def test_listing_needs_the_read_scope(api_client_factory, catalogue):
    writer = api_client_factory("VSAA", operations=["cases:write"])
    body = get(writer, "/cases", status=403)
    assert body["detail"][0]["type"] == "forbidden"


def test_a_consultation_cannot_name_another_clients_case(centre, person, institutions):
    from durvis.identity import services as identity

    other = identity.record_person(personal_code="32579461005", given_name="Ilze",
                                   family_name="Cita")
    theirs = post(centre, "/cases", new_case(personal_code=other.personal_code), 201).json()
    consultation = {"channel": "centre", "identification": "identified_by_agent",
                    "personal_code": person.personal_code, "outcome": "answered",
                    "occurred_at": "2026-11-21T10:00:00Z", "service_code": 1011,
                    "case_number": theirs["number"]}
    refused = post(centre, "/consultations", consultation, 422).json()
    assert refused["detail"][0]["loc"][-1] == "case_number"
    own = post(centre, "/cases", new_case(), 201).json()
    post(centre, "/consultations", {**consultation, "case_number": own["number"]}, 201)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_body_with_a_non_json_number_is_a_400_and_writes_nothing(centre, constant):
    """Python reads `NaN` and `Infinity` as JSON; RFC 8259 does not, and PostgreSQL's jsonb
    refuses them: every operation's body is refused like any body that is not JSON."""
    body = json.dumps(new_case()).replace('"applied_at"', f'"extra": {constant}, "applied_at"')
    response = centre.post("/api/v1/cases", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["body"], "bad_request")]
    assert not ServiceCase.objects.exists()


@pytest.mark.parametrize("path", ["/cases", "/events"])
def test_a_cursor_of_a_transaction_no_feed_gave_is_a_422(api_client_factory, catalogue, path):
    """`1.5` names transaction 1: SQLite stamps none (every change is in transaction 0, so it
    hid every change for ever), and on PostgreSQL a transaction that has not begun hides every
    change until the ids catch up; both are refused naming the cursor (issue 20's finding)."""
    from django.db import connection

    reader = api_client_factory("VSAA", operations=["cases:read", "events:read"])
    name = "since" if path == "/cases" else "after"
    future = "1.5" if connection.vendor != "postgresql" else "9223372036854775000.5"
    detail = get(reader, path, status=422, **{name: future})["detail"]
    assert [(item["loc"], item["type"]) for item in detail] == [(["query", name], "cursor")]
    assert "next_after" in get(reader, path, status=422, **{name: "x"})["detail"][0]["msg"]
