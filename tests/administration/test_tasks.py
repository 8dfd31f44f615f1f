"""The workplace's task pages (B3, B2, B7; issue 16) through HTTP: the queue and my tasks, the
htmx refresh, a task's actions and their refusals in the person's language, and nothing of
another institution's."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from durvis.workflows.models import Task, TaskState
from tests.workflows.test_workflows import publish, register_case, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(world, worker, staff_login):  # noqa: F811
    publish(world)
    case = register_case(world, worker)

    def signed_in(name: str) -> Client:
        return staff_login(Client(), world[name].staff)

    return {"case": case, "task": Task.objects.get(case=case), "as": signed_in, **world}


def test_the_queue_lists_the_task_and_refreshes_in_place(desk):
    agent = desk["as"]("agent")
    page = agent.get(reverse("administration:tasks"))
    assert page.status_code == 200
    assert desk["case"].number in page.content.decode()
    assert 'hx-trigger="every 30s"' in page.content.decode()
    partial = agent.get(reverse("administration:tasks"), HTTP_HX_REQUEST="true")
    assert desk["case"].number in partial.content.decode()
    assert "<html" not in partial.content.decode()
    # The holder's back office sees nothing of the centre's queue.
    other = desk["as"]("reviewer").get(reverse("administration:tasks")).content.decode()
    assert desk["case"].number not in other


def test_the_queue_pages_and_the_refresh_stays_on_its_page(desk, worker, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from durvis.register import services as register
    from durvis.workflows import queries

    monkeypatch.setattr(queries, "QUEUE_PAGE", 2)
    more = [register.open_case(desk["agent"], register.NewCase(
        service_code=1011, identification="signed_in", application_channel="centre",
        personal_code=desk["case"].client_person.personal_code)) for _ in range(2)]
    worker.events()
    agent = desk["as"]("agent")
    with CaptureQueriesContext(connection) as queries_made:
        first = agent.get("/en/staff/tasks/").content.decode()
    assert "3 tasks are waiting." in first and 'rel="next"' in first and "Less urgent" in first
    assert sum(first.count(c.number) for c in [desk["case"], *more]) == 2
    # One read of the staff record for the whole page (the view, the header, the role switch).
    assert sum('FROM "identity_staffmember"' in q["sql"]
               for q in queries_made.captured_queries) == 1
    second = agent.get("/en/staff/tasks/?page=2").content.decode()
    assert 'rel="prev"' in second and "More urgent" in second and 'rel="next"' not in second
    assert sum(second.count(c.number) for c in [desk["case"], *more]) == 1
    assert 'hx-get="/en/staff/tasks/?page=2"' in second
    refreshed = agent.get("/en/staff/tasks/?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in refreshed and 'rel="prev"' in refreshed
    # A page number that is not one is explained, and the first page shown.
    wrong = agent.get("/en/staff/tasks/?page=x")
    assert wrong.status_code == 200 and "A page number is a whole number" in wrong.content.decode()


def test_take_and_move_on_through_the_page(desk):
    agent = desk["as"]("agent")
    url = reverse("administration:task", args=[desk["task"].pk])
    response = agent.post(url, {"action": "take", "version_no": desk["task"].version_no})
    assert response.status_code == 302
    task = Task.objects.get(pk=desk["task"].pk)
    assert task.state == TaskState.TAKEN
    response = agent.post(url, {"action": "move", "version_no": task.version_no,
                                "move-exit": "0", "move-comment": "Pārbaudīts"})
    assert response.status_code == 302
    desk["case"].refresh_from_db()
    assert desk["case"].status == "registered"
    assert Task.objects.filter(case=desk["case"], state=TaskState.QUEUED, step="review").exists()
    # The finished task offers nothing more; a stale "move on" is explained, not a 403.
    done = agent.get(url).content.decode()
    assert 'value="move"' not in done and 'value="hand_over"' not in done
    again = agent.post(url, {"action": "move", "version_no": task.version_no + 1,
                             "move-exit": "0"})
    assert again.status_code == 422
    # The history names where the case went.
    english = agent.get(f"/en{url}").content.decode()
    assert re.search(r"Moved on \([^)]*\) → Review", english)


def test_the_lists_name_the_step_in_the_readers_language(desk):
    page = desk["as"]("agent").get("/en/staff/tasks/").content.decode()
    assert "Registration" in page and ">registration<" not in page


def test_a_stale_form_and_a_missing_choice_are_explained_not_a_500(desk):
    agent = desk["as"]("agent")
    url = reverse("administration:task", args=[desk["task"].pk])
    stale = desk["task"].version_no
    agent.post(url, {"action": "take", "version_no": stale})
    with translation.override("en"):
        response = agent.post("/en" + url, {"action": "release", "version_no": stale})
    assert response.status_code == 422
    assert "Someone else changed this task meanwhile" in response.content.decode()
    task = Task.objects.get(pk=desk["task"].pk)
    response = agent.post(url, {"action": "move", "version_no": task.version_no})
    assert response.status_code == 422
    assert 'id="id_move-exit_0"' in response.content.decode() or "move-exit" in (
        response.content.decode())
    assert agent.post(url, {"action": "unknown"}).status_code == 404


def test_another_institutions_task_is_not_found(desk):
    response = desk["as"]("reviewer").get(reverse("administration:task", args=[desk["task"].pk]))
    assert response.status_code == 404
    response = desk["as"]("reviewer").post(reverse("administration:task",
                                                   args=[desk["task"].pk]), {"action": "take"})
    assert response.status_code == 404


def test_the_common_actions_have_access_keys_documented_on_the_start_page(desk):
    page = desk["as"]("agent").get("/en/staff/").content.decode()
    for key, address in (("q", "/en/staff/tasks/"), ("n", "/en/staff/consultations/new/"),
                         ("k", "/en/staff/clients/")):
        assert re.search(rf'href="{address}" accesskey="{key}"', page), key
    assert 'id="shortcuts"' in page and "<kbd>K</kbd>" in page


def test_the_lead_sees_the_tasks_escalated_to_them(desk):
    """B7: an escalated task is listed for its team's lead (a fresh tester's finding: the lead
    could reach it only by typing its address)."""
    from durvis.workflows import services

    task = services.take(desk["agent"], desk["task"])
    review = services.take(desk["reviewer"], services.move(desk["agent"], task, 0))
    services.escalate(desk["reviewer"], review, "Neskaidrs pamatojums")
    lead = desk["as"]("lead").get(reverse("administration:tasks")).content.decode()
    assert 'id="escalated"' in lead and desk["case"].number in lead
    other = desk["as"]("colleague").get(reverse("administration:tasks")).content.decode()
    assert 'id="escalated"' not in other
