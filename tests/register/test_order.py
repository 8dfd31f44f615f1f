"""Late events keep the history a valid path (issue 10, "Time": late events that break the
order; B1): an event is placed by its time and must be a valid step from the status before it
and to the status after it, whether those are stored or in the same batch; a terminal status
(closed) is followed by nothing."""

import pytest

from durvis.register.services import TERMINAL_STATUSES, transition_allowed
from tests.register.test_api import get, new_case, post, url

T = "2026-11-{:02d}T10:00:00+02:00"


@pytest.fixture
def case(centre, person):
    return post(centre, "/cases", new_case(applied_at=T.format(2)), 201).json()["number"]


def events(vsaa, number, *steps, status=200):
    return post(vsaa, "/case-events", {"events": [
        {"case_number": number, "occurred_at": T.format(day), "status": name}
        for day, name in steps]}, status).json()


def outcomes(answer):
    return [(item["outcome"], [e["type"] for e in item["errors"]]) for item in answer["items"]]


def statuses(vsaa, number):
    return [e["status"] for e in get(vsaa, url(number))["history"] if e["kind"] == "status"]


def test_a_late_closed_between_decided_and_result_delivered_is_refused(vsaa, case):
    events(vsaa, case, (4, "decided"), (8, "result_delivered"))
    answer = post(vsaa, url(case) + "/events",
                  {"occurred_at": T.format(6), "status": "closed"}, 422).json()
    assert answer["detail"][0]["type"] == "invalid_transition"
    assert statuses(vsaa, case) == ["received", "decided", "result_delivered"]


def test_a_late_event_valid_against_both_neighbours_is_kept(vsaa, case):
    events(vsaa, case, (4, "decided"), (8, "closed"))
    assert outcomes(events(vsaa, case, (6, "result_delivered"))) == [("recorded", [])]
    assert statuses(vsaa, case) == ["received", "decided", "result_delivered", "closed"]
    assert get(vsaa, url(case))["status"] == "closed"


def test_a_batch_cannot_slip_a_step_past_a_stored_event(vsaa, case):
    events(vsaa, case, (5, "decided"))
    # The batch's own earlier item is not the neighbour of the later one: decided (stored) is.
    answer = events(vsaa, case, (3, "in_progress"), (7, "waiting_for_client"))
    assert outcomes(answer) == [("recorded", []), ("rejected", ["invalid_transition"])]
    assert statuses(vsaa, case) == ["received", "in_progress", "decided"]


def test_batch_items_are_neighbours_of_each_other(vsaa, case):
    answer = events(vsaa, case, (9, "closed"), (5, "decided"), (7, "in_progress"))
    assert outcomes(answer) == [
        ("recorded", []), ("recorded", []), ("rejected", ["invalid_transition"])]
    assert statuses(vsaa, case) == ["received", "decided", "closed"]


def test_nothing_follows_a_closed_case(vsaa, case):
    events(vsaa, case, (4, "rejected"), (6, "closed"))
    answer = events(vsaa, case, (8, "closed"), (9, "in_progress"))
    assert outcomes(answer) == [("rejected", ["invalid_transition"])] * 2
    assert get(vsaa, url(case))["status"] == "closed"


def test_an_event_before_the_case_began_must_be_a_first_status(vsaa, case):
    answer = events(vsaa, case, (1, "in_progress"), (1, "registered"), (1, "received"))
    assert outcomes(answer) == [("rejected", ["invalid_transition"])] * 2 + [("recorded", [])]
    # The client is told why (it was "A case cannot go from - to in_progress."): a status sent
    # with a time to the second, just after the case was opened, is often before it.
    assert answer["items"][0]["errors"][0]["msg"] == (
        "The time is before the case's first status: only received or registered can come "
        "first.")


def test_terminal_statuses_are_those_nothing_follows():
    assert {"closed"} == TERMINAL_STATUSES
    assert not transition_allowed("closed", "closed")
    assert transition_allowed("in_progress", "in_progress")


def test_repeats_of_a_refused_event_in_one_batch_are_refused_alike(vsaa, case):
    events(vsaa, case, (4, "rejected"), (6, "closed"))
    item = {"case_number": case, "occurred_at": T.format(8), "status": "in_progress",
            "event_id": "zz"}
    answer = post(vsaa, "/case-events", {"events": [item] * 3}, 200).json()
    assert outcomes(answer) == [("rejected", ["invalid_transition"])] * 3
    assert answer["duplicates"] == 0
