"""Working time (D2, B1; issue 16): recorded automatically from opening to closing — a task
from taking it to moving it on, handing it over or putting it back; a consultation's timed
conversation — per staff member, service point, service and stage; corrected only by the one
who worked, with a reason (the recorded figure kept, the correction audited); a team lead sees
the day's and the week's load per service point; a case's page lists its stages with who worked
on each and how long."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from durvis.audit.models import AuditEvent
from durvis.catalog.models import Stage
from durvis.identity.models import StaffMember
from durvis.register import services as register
from durvis.register.models import WorkTime
from durvis.workflows import services as workflows
from durvis.workflows.models import Task
from tests.workflows.test_workflows import DEFINITION, publish, register_case, world  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("centres")]
POINT = "Rīgas VPVKAC (Pils iela)"  # a point of the register (the `centres` fixture)


@pytest.fixture
def routed(world, worker):  # noqa: F811
    """A case taken by the centre's agent (working at POINT) and moved to the holder's review,
    taken by the reviewer and handed to a colleague, who decides it."""
    StaffMember.objects.filter(pk=world["agent"].staff.pk).update(service_point=POINT)
    world["agent"].staff.refresh_from_db()
    publish(world)
    case = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    review = workflows.take(world["reviewer"], workflows.move(world["agent"], task, 0))
    review = workflows.hand_over(world["reviewer"], review, world["colleague"].staff, "Lūdzu")
    workflows.move(world["colleague"], review, 0)
    return case


def test_each_holding_of_a_task_is_recorded_with_its_stage_and_place(world, routed):  # noqa: F811
    work = list(WorkTime.objects.filter(case=routed).order_by("started_at", "pk"))
    assert [(w.staff, w.stage, w.step) for w in work] == [
        (world["agent"].staff, Stage.APPLICATION, "registration"),
        (world["reviewer"].staff, Stage.EXECUTION, "review"),
        (world["colleague"].staff, Stage.EXECUTION, "review"),
    ]
    assert work[0].service_point == POINT and work[0].institution == world["agent"].staff.institution
    assert all(w.service == routed.service and w.ended_at >= w.started_at for w in work)


def test_a_step_names_its_stage_and_an_unknown_one_is_refused(world, worker):  # noqa: F811
    data = copy.deepcopy(DEFINITION)
    data["steps"]["review"]["stage"] = "result_delivery"
    assert workflows.parse_definition(data).step("review").stage == "result_delivery"
    data["steps"]["review"]["stage"] = "lunch"
    with pytest.raises(ValidationError) as refused:
        workflows.parse_definition(data)
    assert "steps.review.stage" in str(refused.value)


def test_putting_a_task_back_records_the_time_held(world, worker):  # noqa: F811
    publish(world)
    case = register_case(world, worker)
    task = workflows.take(world["agent"], Task.objects.get(case=case))
    workflows.release(world["agent"], task)
    assert WorkTime.objects.filter(case=case, staff=world["agent"].staff).count() == 1


def test_a_timed_consultation_is_recorded_as_information(world):  # noqa: F811
    now = timezone.now()
    consultation = register.register_consultation(world["agent"], register.NewConsultation(
        channel="phone", identification="anonymous", outcome="answered", occurred_at=now,
        service_code=1011, duration_seconds=300))
    work = WorkTime.objects.get(consultation=consultation)
    assert (work.stage, work.seconds, work.ended_at) == (Stage.INFORMATION, 300, now)


def test_only_the_one_who_worked_corrects_with_a_reason(world, routed):  # noqa: F811
    work = WorkTime.objects.get(case=routed, staff=world["agent"].staff)
    with pytest.raises(PermissionDenied):
        register.correct_work(world["reviewer"], work, 10, "Aizmirsu")
    with pytest.raises(ValidationError) as refused:
        register.correct_work(world["agent"], work, 721, "")
    assert set(refused.value.error_dict) == {"minutes", "reason"}
    corrected = register.correct_work(world["agent"], work, 12, "Pusdienu pārtraukums")
    assert (corrected.effective_seconds, corrected.seconds) == (720, work.seconds)
    assert AuditEvent.objects.filter(action="register.work_time.correct").count() == 1


def _as(world, name):  # noqa: F811
    from conftest import sign_in_staff

    return sign_in_staff(Client(), world[name].staff)


def test_my_time_page_lists_corrects_and_sets_the_place(world, routed):  # noqa: F811
    agent = _as(world, "agent")
    page = agent.get(reverse("administration:my-time"))
    assert page.status_code == 200 and routed.number in page.content.decode()
    work = WorkTime.objects.get(case=routed, staff=world["agent"].staff)
    url = reverse("administration:time-correct", args=[work.pk])
    with translation.override("lv"):
        refused = agent.post(url, {"minutes": "-5", "reason": ""})
    assert refused.status_code == 422
    assert "Šis lauks ir nepieciešams" in refused.content.decode()
    assert agent.post(url, {"minutes": "7", "reason": "Zvans pa vidu"}).status_code == 302
    work.refresh_from_db()
    assert work.corrected_seconds == 420
    # Another's record is not found; a place outside the list is refused at its field.
    assert _as(world, "reviewer").get(url).status_code == 404
    refused = agent.post(reverse("administration:my-time"), {"service_point": "Mēness"})
    assert refused.status_code == 422
    assert agent.post(reverse("administration:my-time"),
                      {"service_point": "Valmieras VPVKAC"}).status_code == 302
    assert StaffMember.objects.get(pk=world["agent"].staff.pk).service_point == "Valmieras VPVKAC"


def test_a_lead_sees_the_load_per_service_point_others_do_not(world, routed):  # noqa: F811
    lead = _as(world, "lead")
    page = lead.get(reverse("administration:load"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Izpilde" in text or "Execution" in text  # the back office's stage at VSAA
    from durvis.register import queries as register_queries

    (row,) = register_queries.load(world["reviewer"].staff.institution_id,
                                   timezone.now() - dt.timedelta(days=1),
                                   timezone.now() + dt.timedelta(minutes=1))
    assert (row.items, row.people) == (1, 2)  # one case, worked on by two people
    assert _as(world, "reviewer").get(reverse("administration:load")).status_code == 403
    # The centre's administrator sees the centre's counter work at its place.
    centre = _as(world, "admin").get(reverse("administration:load")).content.decode()
    assert POINT in centre


def test_the_case_page_lists_its_stages_and_who_worked(world, routed):  # noqa: F811
    page = _as(world, "colleague").get(
        reverse("administration:case", args=[routed.number.replace(" ", "-")]))
    assert page.status_code == 200
    assert 'id="case-work"' in page.content.decode()
    assert "colleague.vsaa" in page.content.decode()


def test_an_overlong_holding_counts_at_most_a_working_day(world, worker):  # noqa: F811
    publish(world)
    case = register_case(world, worker)
    started = timezone.now() - dt.timedelta(days=3)
    work = register.record_work(world["agent"].staff, "application", started, timezone.now(),
                                case=case)
    assert work.seconds == 12 * 3600


def test_an_agent_hands_out_a_decided_result_at_the_counter(world, routed, worker):  # noqa: F811
    """B3: "hand out a result at the counter (recorded as result delivery, channel in person)"."""
    agent = _as(world, "agent")
    slug = routed.number.replace(" ", "-")
    page = agent.get(reverse("administration:case", args=[slug])).content.decode()
    assert 'id="hand-out"' in page
    url = reverse("administration:case-hand-out", args=[slug])
    with translation.override("lv"):
        refused = agent.post(url, {"handout-document_number": "x"})
    assert refused.status_code == 422 and "identitātes dokumenta" in refused.content.decode()
    opened = page.split('name="handout-opened" value="')[1].split('"')[0]
    response = agent.post(url, {"handout-document_number": "PA 1234567",
                                "handout-opened": opened})
    assert response.status_code == 302
    routed.refresh_from_db()
    assert (routed.status, routed.result_channel) == ("result_delivered", "centre")
    history = routed.events.filter(status="result_delivered").get()
    assert POINT in history.note
    assert WorkTime.objects.filter(case=routed, stage=Stage.RESULT_DELIVERY).exists()
    audit = AuditEvent.objects.get(action="register.case.result_handed_out")
    assert audit.details["document"] == "4567" and "PA1234567" not in str(audit.details)
    # Once delivered there is nothing more to hand out; the back office never hands out.
    assert 'id="hand-out"' not in agent.get(
        reverse("administration:case", args=[slug])).content.decode()
    with pytest.raises(PermissionDenied):
        register.deliver_result_in_person(world["reviewer"], routed, document_number="PA1234567")
