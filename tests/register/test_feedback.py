"""Client feedback on a case (B1): once, after the result, by the client only."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage
from durvis.register import queries as register_queries
from durvis.register import services as register
from durvis.register.models import Feedback
from tests.integrations.event_checks import check_stored_events


@pytest.fixture
def case_and_client(catalogue, api_client_factory, institutions):
    person = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                    family_name="Bērziņš")
    centre = integrations.api_actor(api_client_factory("VDAA").api_client)
    case = register.open_case(centre, register.NewCase(
        service_code=1011, identification="signed_in", application_channel="eaccount",
        personal_code=person.personal_code))
    return case, Actor(kind="person", person=person), centre


def decide(case, actor):
    register.record_status_events(actor, [register.StatusEvent(
        case.number, occurred_at=case.applied_at + datetime.timedelta(seconds=1), status="decided")])
    case.refresh_from_db()


def test_feedback_after_the_result_once(case_and_client, staff, institutions, worker):
    case, client, centre = case_and_client
    integrations.register_webhook(Actor(kind="staff", staff=staff["vsaa_admin"]),
                                  institutions["VSAA"], "http://127.0.0.1:9/", ["feedback.received"])
    with pytest.raises(ValidationError):
        register.give_feedback(client, case, 5)  # not decided yet
    decide(case, centre)
    register.give_feedback(client, case, 4, "Ātri un skaidri.")
    assert Feedback.objects.get(case=case).rating == 4
    worker.events()
    assert OutboxMessage.objects.filter(event="feedback.received").count() == 1
    assert check_stored_events() >= 2  # the webhook's CloudEvent and the feed's (issue 20)
    with pytest.raises(ValidationError):
        register.give_feedback(client, case, 5)


def test_only_the_client_gives_feedback(case_and_client, institutions):
    case, _, centre = case_and_client
    decide(case, centre)
    stranger = identity.record_person(personal_code="32503511782", given_name="Olena",
                                      family_name="K")
    with pytest.raises(PermissionDenied):
        register.give_feedback(Actor(kind="person", person=stranger), case, 1)


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_is_one_to_five(case_and_client, rating):
    case, client, centre = case_and_client
    decide(case, centre)
    with pytest.raises(ValidationError):
        register.give_feedback(client, case, rating)


def test_client_history_lists_the_clients_cases_newest_first(case_and_client):
    case, client, centre = case_and_client
    second = register.open_case(centre, register.NewCase(
        service_code=1006, identification="signed_in", application_channel="eaccount",
        personal_code=client.person.personal_code))
    assert list(register_queries.client_history(client.person)) == [second, case]


def test_consultation_feedback_once(catalogue, api_client_factory):
    from django.utils import timezone

    person = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                    family_name="Bērziņš")
    centre = integrations.api_actor(api_client_factory("VDAA").api_client)
    consultation = register.register_consultation(centre, register.NewConsultation(
        channel="phone", identification="identified_by_agent", outcome="answered",
        occurred_at=timezone.now(), service_code=1011, personal_code=person.personal_code))
    client = Actor(kind="person", person=person)
    register.give_consultation_feedback(client, consultation, 5, "Paldies!")
    with pytest.raises(ValidationError):
        register.give_consultation_feedback(client, consultation, 4)
    with pytest.raises(PermissionDenied):
        register.give_consultation_feedback(Actor(kind="person", person=identity.record_person(
            personal_code="32503511782", given_name="O", family_name="K")), consultation, 1)
