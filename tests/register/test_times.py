"""Times at the register's boundary (issue 10, "Time"): one instant however it is written, no
time without an offset, nothing in the future beyond the clock-skew tolerance, nothing outside
the range UTC can hold; on every time field of the API, never a 500."""

import datetime

import pytest
from django.utils import timezone

from durvis.register.models import CaseEvent
from tests.register.test_api import get, new_case, post, url

FIELDS = [  # (path for a case number n, body with the time, where the time is)
    (lambda n: "/cases", lambda t: new_case(applied_at=t), ["body", "applied_at"]),
    (lambda n: url(n) + "/events", lambda t: {"occurred_at": t, "status": "in_progress"},
     ["body", "occurred_at"]),
    (lambda n: url(n) + "/result", lambda t: {"occurred_at": t, "title": "Lēmums"},
     ["body", "occurred_at"]),
    (lambda n: "/consultations", lambda t: {
        "channel": "phone", "identification": "anonymous", "outcome": "answered",
        "occurred_at": t, "service_code": 1011}, ["body", "occurred_at"]),
]


def soon(**delta):
    return (timezone.now() + datetime.timedelta(**delta)).isoformat()


@pytest.fixture
def case(centre, person):
    return post(centre, "/cases", new_case(), 201).json()


def test_one_instant_written_three_ways_is_one_event(centre, vsaa, case):
    for written in ("2026-11-23T12:00:00+02:00", "2026-11-23T10:00:00Z",
                    "2026-11-23T13:00:00+03:00"):
        post(vsaa, url(case["number"]) + "/events", {"occurred_at": written,
                                                   "status": "in_progress"})
    assert CaseEvent.objects.filter(case__number=case["number"], status="in_progress").count() == 1
    batch = post(vsaa, "/case-events", {"events": [
        {"case_number": case["number"], "occurred_at": "2026-11-23T11:00:00+01:00",
         "status": "in_progress"}]}, 200).json()
    assert batch["duplicates"] == 1


@pytest.mark.parametrize("path, body, loc", FIELDS)
def test_a_time_without_an_offset_is_refused_naming_the_field(centre, case, path, body, loc):
    response = post(centre, path(case["number"]), body("2026-11-04T03:30:00"), 422)
    assert any(item["loc"] == loc for item in response.json()["detail"])


@pytest.mark.parametrize("path, body, loc", FIELDS)
@pytest.mark.parametrize("written, code", [
    ({"days": 365}, "future"), ({"minutes": 30}, "future"),
    ("9999-12-31T23:59:59-12:00", "out_of_range")])
def test_a_future_or_unrepresentable_time_is_refused(centre, case, path, body, loc, written,
                                                      code):
    # A time ahead of now is computed when the test runs, not when the suite is collected (a
    # long run would have overtaken it).
    written = soon(**written) if isinstance(written, dict) else written
    response = post(centre, path(case["number"]), body(written), 422)
    assert {(tuple(i["loc"][-1:]), i["type"]) for i in response.json()["detail"]} == {
        ((loc[-1],), code)}


def test_a_clock_a_little_ahead_is_tolerated(centre, vsaa, case):
    post(vsaa, url(case["number"]) + "/events", {"occurred_at": soon(minutes=2),
                                               "status": "in_progress"}, 201)


def test_a_batch_refuses_only_the_bad_times(centre, vsaa, case):
    answer = post(vsaa, "/case-events", {"events": [
        {"case_number": case["number"], "occurred_at": soon(days=30), "status": "decided"},
        {"case_number": case["number"], "occurred_at": "9999-12-31T23:59:59-12:00",
         "status": "decided"},
        {"case_number": case["number"], "occurred_at": soon(minutes=-1),
         "status": "in_progress"}]}, 200).json()
    assert [i["outcome"] for i in answer["items"]] == ["rejected", "rejected", "recorded"]
    assert [i["errors"][0]["type"] for i in answer["items"][:2]] == ["future", "out_of_range"]
    assert get(vsaa, url(case["number"]))["status"] == "in_progress"
