"""Workflows (B2, B3, B7; issue 16): a provider defines a workflow in versions without code; a
case registered on the platform starts on it; staff take, hand over and move tasks (the exit
sets the register status); the scheduler warns before a task's time and escalates after it,
counted in working time by the Latvian business calendar."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.core.events import DomainEvent
from durvis.core.working_time import ZONE
from durvis.identity.services import record_staff
from durvis.register import services as register
from durvis.workflows import services as workflows
from durvis.workflows.models import Task, TaskEvent, TaskState, Team

pytestmark = pytest.mark.django_db


def names(lv: str, en: str) -> dict[str, str]:
    return {"lv": lv, "en": en}


DEFINITION = {
    "format": "durvis-workflow/1",
    "first": "registration",
    "steps": {
        "registration": {
            "name": names("Reģistrācija", "Registration"),
            "queue": {"institution": "provider"}, "role": "agent",
            "first_response": "2h", "resolution": "1d",
            "next": [{"step": "review", "status": "registered",
                      "name": names("Nodot izskatīšanai", "Send for review")},
                     {"step": None, "status": "rejected", "name": names("Noraidīt", "Reject")}]},
        "review": {
            "name": names("Izskatīšana", "Review"),
            "queue": {"institution": "holder", "team": "benefits"}, "role": "back_office",
            "resolution": "4h", "warn_before": "1h",
            "next": [{"step": None, "status": "decided", "name": names("Lemt", "Decide")},
                     {"step": "registration", "status": "",
                      "name": names("Atpakaļ", "Back to registration")}]},
    },
}


@pytest.fixture
def world(catalogue, institutions, api_client_factory):
    def staff(username, institution, roles):
        member = record_staff(username=username, password=f"pw-{username}-long-enough",
                              institution=institutions[institution], roles=roles)
        return member, Actor(kind="staff", staff=member)

    admin = staff("admin.centre", "VDAA", ["institution_admin"])
    agent = staff("agent.centre", "VDAA", ["agent"])
    reviewer = staff("review.vsaa", "VSAA", ["back_office"])
    colleague = staff("colleague.vsaa", "VSAA", ["back_office"])
    outsider = staff("other.vsaa", "VSAA", ["back_office"])
    lead = staff("lead.vsaa", "VSAA", ["back_office"])
    team = Team.objects.create(institution=institutions["VSAA"], key="benefits",
                               name_lv="Pabalsti", name_en="Benefits")
    team.members.add(reviewer[0], colleague[0])
    team.leads.add(lead[0])
    return {"admin": admin[1], "agent": agent[1], "reviewer": reviewer[1],
            "colleague": colleague[1], "outsider": outsider[1], "lead": lead[1],
            "institutions": institutions, "service": catalogue["childbirth"]}


def publish(world, data=None):
    return workflows.publish_version(world["admin"], world["institutions"]["VDAA"],
                                     world["service"], "Pabalsts centrā",
                                     copy.deepcopy(data or DEFINITION))


def register_case(world, worker):
    from durvis.identity.services import record_person

    person = record_person(personal_code="14038612043", given_name="Jānis",
                           family_name="Bērziņš")
    case = register.open_case(world["agent"], register.NewCase(
        service_code=1011, identification="signed_in", application_channel="centre",
        personal_code=person.personal_code))
    worker.events()
    return case


def test_a_case_registered_at_the_provider_starts_on_its_workflow(world, worker):
    version = publish(world)
    case = register_case(world, worker)
    task = Task.objects.get(case=case)
    assert (task.version, task.step, task.state) == (version, "registration", TaskState.QUEUED)
    assert task.institution == world["institutions"]["VDAA"] and task.role == "agent"
    assert task.first_response_due is not None and task.resolution_due is not None
    # The same case is never started twice (a redelivered event).
    assert workflows.start_cases([case]) == []


def test_the_journey_through_the_steps_sets_the_register_statuses(world, worker):
    publish(world)
    case = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    review = workflows.move(world["agent"], task, 0, comment="Viss kārtībā")
    case.refresh_from_db()
    assert case.status == "registered"
    assert review.institution == world["institutions"]["VSAA"] and review.team.key == "benefits"
    # The reviewer takes it and hands it to a colleague with a comment; the colleague decides.
    review = workflows.take(world["reviewer"], review)
    review = workflows.hand_over(world["reviewer"], review, world["colleague"].staff,
                                 "Atvaļinājums")
    assert review.assignee == world["colleague"].staff
    assert workflows.move(world["colleague"], review, 0) is None
    case.refresh_from_db()
    assert case.status == "decided"
    kinds = list(TaskEvent.objects.filter(task__case=case).values_list("kind", flat=True))
    assert kinds == ["created", "taken", "moved", "created", "taken", "handed_over", "moved"]
    assert AuditEvent.objects.filter(action="workflows.task.handed_over",
                                     subject_person_id=case.client_person_id).exists()


def test_only_the_right_staff_work_on_a_task(world, worker):
    publish(world)
    case = register_case(world, worker)
    task = Task.objects.get(case=case)
    with pytest.raises(PermissionDenied):  # another institution's staff
        workflows.take(world["reviewer"], task)
    task = workflows.take(world["agent"], task)
    review = workflows.move(world["agent"], task, 0)
    with pytest.raises(PermissionDenied):  # not a member of the step's team
        workflows.take(world["outsider"], review)
    with pytest.raises(PermissionDenied):  # the step needs the back-office role
        workflows.take(world["agent"], review)
    review = workflows.take(world["reviewer"], review)
    with pytest.raises(ValidationError) as refused:  # a colleague outside the team
        workflows.hand_over(world["reviewer"], review, world["outsider"].staff, "Lūdzu")
    assert refused.value.error_dict["to"][0].code == "not_eligible"
    with pytest.raises(ValidationError) as refused:
        workflows.hand_over(world["reviewer"], review, world["colleague"].staff, " ")
    assert refused.value.error_dict["comment"][0].code == "required"
    with pytest.raises(PermissionDenied):  # only the one working on it moves it on
        workflows.move(world["colleague"], review, 0)
    # The team's lead may take it back to the queue.
    assert workflows.release(world["lead"], review).state == TaskState.QUEUED


def test_a_move_the_register_refuses_changes_nothing(world, worker):
    publish(world)
    case = register_case(world, worker)
    register.record_status_events(world["agent"], [register.StatusEvent(
        case.number, dt.datetime.now(dt.UTC), status="withdrawn")])
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    with pytest.raises(ValidationError) as refused:
        workflows.move(world["agent"], task, 0)
    assert "status" in refused.value.error_dict
    task.refresh_from_db()
    assert task.state == TaskState.TAKEN and Task.objects.filter(case=case).count() == 1


def test_a_stale_form_cannot_move_a_task_someone_changed(world, worker):
    publish(world)
    case = register_case(world, worker)
    task = Task.objects.get(case=case)
    seen = task.version_no
    workflows.take(world["agent"], task)
    with pytest.raises(ValidationError) as refused:
        workflows.release(world["agent"], task, version_no=seen)
    assert refused.value.code == "stale"


def test_the_scheduler_warns_then_escalates_by_working_time(world, worker):
    publish(world)
    case = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    review = workflows.take(world["reviewer"], workflows.move(world["agent"], task, 0))
    # Four working hours from the review's start, a warning one hour before.
    assert review.resolution_due is not None and review.warn_at is not None
    calendar = workflows.calendar_for(review.institution_id)
    assert calendar.worked_between(review.created_at, review.resolution_due) == dt.timedelta(
        hours=4)
    assert calendar.worked_between(review.warn_at, review.resolution_due) == dt.timedelta(hours=1)
    assert workflows.escalate_due(review.warn_at - dt.timedelta(seconds=1)) == 0
    assert workflows.escalate_due(review.warn_at) == 1
    assert workflows.escalate_due(review.resolution_due) == 1
    assert workflows.escalate_due(review.resolution_due + dt.timedelta(days=30)) == 0
    seen = review.version_no
    review.refresh_from_db()
    assert review.warned_at == review.warn_at and review.escalated_at == review.resolution_due
    assert review.version_no == seen + 2  # each mark moves the task on: an open form is stale
    marks = list(TaskEvent.objects.filter(task=review, kind__in=("warned", "escalated"))
                 .values_list("kind", "at", "actor_id"))
    assert marks == [("warned", review.warn_at, ""), ("escalated", review.resolution_due, "")]
    # The activity log names the case and its client, without reading the client's row.
    audited = AuditEvent.objects.filter(action__in=("workflows.task.warned",
                                                    "workflows.task.escalated"))
    assert {(a.object_type, a.object_id, a.subject_person_id, a.details["task"])
            for a in audited} == {("register.servicecase", str(case.pk), case.client_person_id,
                                   review.pk)}
    assert audited.count() == 2
    escalated = DomainEvent.objects.get(name="task.escalated")
    assert escalated.payload["lead_ids"] == [world["lead"].staff.pk]
    assert escalated.payload["assignee_id"] == world["reviewer"].staff.pk
    assert escalated.payload["by_hand"] is False


def test_the_queue_pages_the_most_urgent_first_and_only_what_the_agent_may_take(world, worker):
    from durvis.identity.services import record_person
    from durvis.workflows import queries

    publish(world)
    person = record_person(personal_code="14038612043", given_name="Jānis",
                           family_name="Bērziņš")
    cases = [register.open_case(world["agent"], register.NewCase(
        service_code=1011, identification="signed_in", application_channel="centre",
        personal_code=person.personal_code)) for _ in range(5)]
    worker.events()
    tasks = [Task.objects.get(case=case) for case in cases]
    due = tasks[0].resolution_due
    # The last case is the most urgent; another's role and a held task are not in the queue.
    for n, task in enumerate(tasks):
        Task.objects.filter(pk=task.pk).update(resolution_due=due - dt.timedelta(hours=n))
    Task.objects.filter(pk=tasks[0].pk).update(role="back_office")
    workflows.take(world["agent"], tasks[1])
    first = queries.queue_page(world["agent"], 1, size=2)
    assert [t.case_id for t in first] == [cases[4].pk, cases[3].pk]
    assert first.paginator.count == 3 and first.has_next()
    last = queries.queue_page(world["agent"], 2, size=2)
    assert [t.case_id for t in last] == [cases[2].pk] and not last.has_next()
    assert list(queries.queue_page(world["agent"], 99, size=2)) == list(last)  # past the last
    assert queries.queue_page(world["reviewer"], 1).paginator.count == 0  # another institution
    assert queries.queue_page(Actor(kind="person", person=person), 1).paginator.count == 0
    # The names of the steps are read once for a whole list, whatever its length.
    listed = list(first)
    queries.with_step_names(listed, "en")
    assert {t.step_name for t in listed} == {"Registration"}


def test_an_unclear_task_is_escalated_by_hand_with_a_comment(world, worker):
    publish(world)
    case = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    with pytest.raises(ValidationError):
        workflows.escalate(world["agent"], task, "")
    task = workflows.escalate(world["agent"], task, "Neskaidrs gadījums")
    assert task.escalated_at is not None
    assert DomainEvent.objects.get(name="task.escalated").payload["by_hand"] is True


def test_a_running_case_stays_on_its_version(world, worker):
    first = publish(world)
    case = register_case(world, worker)
    changed = copy.deepcopy(DEFINITION)
    changed["steps"]["registration"]["resolution"] = "3d"
    second = publish(world, changed)
    assert second.number == first.number + 1
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    review = workflows.move(world["agent"], task, 0)
    assert review.version == first


def test_only_the_providers_administrator_defines_its_workflow(world, institutions):
    with pytest.raises(PermissionDenied):
        workflows.publish_version(world["agent"], institutions["VDAA"], world["service"], "X",
                                  DEFINITION)
    vid_admin = Actor(kind="staff", staff=record_staff(
        username="admin.vid", password="pw-admin-vid-long-enough", institution=institutions["VID"],
        roles=["institution_admin"]))
    with pytest.raises(PermissionDenied):  # VID neither holds nor provides the service
        workflows.publish_version(vid_admin, institutions["VID"], world["service"], "X",
                                  DEFINITION)


def _problems(world, data) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        publish(world, data)
    return [m for error in refused.value.error_dict["definition"] for m in error.messages]


@pytest.mark.parametrize(("change", "problem"), [
    (lambda d: d.update(first="nowhere"), "first: no step 'nowhere'"),
    (lambda d: d["steps"]["review"]["next"].__setitem__(0, {
        "step": "decision", "status": "decided", "name": names("L", "D")}),
     "steps.review.next[0].step: no step 'decision'"),
    (lambda d: d["steps"]["review"].update(resolution="4 hours"),
     "steps.review.resolution: a working time such as 90m, 4h or 3d"),
    (lambda d: d["steps"]["review"].update(role="cleaner"), "steps.review.role: one of"),
    (lambda d: d["steps"]["review"]["next"][0].update(status="done"),
     "steps.review.next[0].status: one of"),
    (lambda d: d["steps"]["review"]["name"].pop("en"), "steps.review.name.en"),
    (lambda d: d["steps"]["review"]["queue"].update(team="nobody"),
     "steps.review.queue.team: no team 'nobody' there"),
    (lambda d: d["steps"]["review"]["queue"].update(institution="NOPE"),
     "steps.review.queue.institution: no institution 'NOPE'"),
    (lambda d: d["steps"].update(orphan=copy.deepcopy(d["steps"]["review"])),
     "steps.orphan: no step leads here"),
    (lambda d: d["steps"]["review"].update(next=[{"step": "registration", "status": "",
                                                  "name": names("A", "B")}])
     or d["steps"]["registration"].update(next=[{"step": "review", "status": "",
                                                "name": names("A", "B")}]),
     "no way from here to the end"),
])
def test_a_broken_definition_is_refused_with_every_problem_named(world, change, problem):
    data = copy.deepcopy(DEFINITION)
    change(data)
    with translation.override("en"):
        found = _problems(world, data)
    assert any(problem in p for p in found), found
    assert not Task.objects.exists()


def test_the_problems_are_said_in_the_readers_language_at_their_json_path(world):
    data = copy.deepcopy(DEFINITION)
    data["steps"]["review"]["queue"]["team"] = "nobody"
    data["steps"]["review"]["resolution"] = "4 hours"
    assert _problems(world, data) == [
        "steps.review.resolution: darba laiks, piemēram, 90m, 4h vai 3d"]
    data["steps"]["review"]["resolution"] = "4h"
    assert _problems(world, data) == ["steps.review.queue.team: šajā iestādē nav komandas 'nobody'"]


def test_working_days_end_at_the_close_of_the_last_one():
    step = workflows.parse_definition({**DEFINITION}).step("registration")
    start = dt.datetime(2026, 12, 23, 10, 0, tzinfo=ZONE)  # before Christmas Eve
    first, resolution, warn = workflows.deadlines(step, start, workflows.BusinessCalendar())
    assert first == dt.datetime(2026, 12, 23, 12, 0, tzinfo=ZONE)
    assert resolution == dt.datetime(2026, 12, 28, 17, 0, tzinfo=ZONE)
    assert warn is None


def test_the_assignee_and_the_leads_are_told_by_e_mail(world, worker):
    from durvis.integrations.models import OutboxMessage

    for name in ("reviewer", "lead"):
        member = world[name].staff
        member.user.email = f"{member.user.username}@vsaa.example.lv"
        member.user.save(update_fields=["email"])
    publish(world)
    case = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    review = workflows.take(world["reviewer"], workflows.move(world["agent"], task, 0))
    workflows.escalate_due(review.warn_at)
    worker.events()
    warned = OutboxMessage.objects.get(event="task.breach_warning")
    assert warned.recipient == "review.vsaa@vsaa.example.lv"
    assert case.number in warned.payload["subject"]
    assert f"/staff/tasks/{review.pk}/" in warned.payload["body"]
    workflows.escalate_due(review.resolution_due)
    worker.events()
    escalated = set(OutboxMessage.objects.filter(event="task.escalated")
                    .values_list("recipient", flat=True))
    assert escalated == {"review.vsaa@vsaa.example.lv", "lead.vsaa@vsaa.example.lv"}


def test_a_missing_first_step_is_named_in_words(world):
    data = copy.deepcopy(DEFINITION)
    del data["first"]
    assert "first: pirmā soļa atslēga" in _problems(world, data)


def test_a_case_settled_outside_its_workflow_closes_its_open_task(world, worker):
    """A result handed out at the counter or a withdrawal settles the case: its open task is
    closed, neither worked on nor escalated later (a fresh tester's finding)."""
    publish(world)
    case = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    register.record_status_events(world["agent"], [register.StatusEvent(
        case.number, dt.datetime.now(dt.UTC), status="withdrawn")])
    worker.events()
    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED
    assert TaskEvent.objects.filter(task=task, kind="cancelled").exists()
    assert task.case.work.filter(staff=world["agent"].staff).exists()  # the time it was held
    assert workflows.escalate_due(task.resolution_due + dt.timedelta(days=1)) == 0


def test_a_queue_counts_the_time_allowed_in_its_institutions_office_hours(world, worker):
    """B7: the holder's back office open one hour on Saturdays and Sundays only, and closed on
    the first of those weekend days: four working hours run over at least two weekends."""
    from durvis.identity.services import set_office_hours

    vsaa = world["institutions"]["VSAA"]
    platform = Actor(kind="staff", staff=record_staff(
        username="platform.admin", password="pw-platform-admin-long-enough",
        institution=world["institutions"]["VDAA"], roles=["platform_admin"]))
    first_weekend_day = dt.date.today() + dt.timedelta(days=(5 - dt.date.today().weekday()) % 7)
    set_office_hours(platform, vsaa, office_hours="sat-sun 10:00-11:00",
                     closed_days=first_weekend_day.isoformat())
    publish(world)
    case = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    review = workflows.move(world["agent"], task, 0)
    due = review.resolution_due.astimezone(ZONE)
    assert due.weekday() in (5, 6) and dt.time(10) < due.time() <= dt.time(11)
    assert due.date() > first_weekend_day + dt.timedelta(days=7)
    calendar = workflows.calendar_for(vsaa.pk)
    assert calendar.worked_between(review.created_at, review.resolution_due) == dt.timedelta(
        hours=4)
    assert not calendar.is_working_day(first_weekend_day)
