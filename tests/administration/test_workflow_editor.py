"""The workflow step editor (B2, B7; issue 16) through HTTP, in Latvian and English: an
institution's administrator builds a three-step workflow on forms only (no JSON), publishes it,
and a case registered afterwards runs on it; a bad edit is explained at its field and publishes
nothing; another institution's administrator and staff who are not administrators are refused.
And the conversion between the forms' data and the definition."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from durvis.administration.workflow_editor import (
    END,
    problems_of,
    split_time,
    step_data,
    step_initial,
)
from durvis.audit.models import AuditEvent
from durvis.workflows.definition import parse
from durvis.workflows.models import Task, Workflow, WorkflowVersion
from durvis.workflows.services import STATUSES
from tests.workflows.test_workflows import DEFINITION, register_case, world  # noqa: F401

pytestmark = pytest.mark.django_db


def _url(name, language, *args):
    with translation.override(language):
        return reverse(name, args=args)


@pytest.fixture
def admin(world, staff_login):  # noqa: F811
    return staff_login(Client(), world["admin"].staff)


def _step(lv, en, *, institution="provider", team="", role="agent", resolution=("1", "d"),
          exits=(("end", "", "Beigt", "End"),)):
    data = {"name_lv": lv, "name_en": en, "institution": institution, "team": team,
            "role": role, "stage": "", "first_response_amount": "",
            "first_response_unit": "h", "resolution_amount": resolution[0],
            "resolution_unit": resolution[1], "warn_before_amount": "",
            "warn_before_unit": "h"}
    for index, (step, status, name_lv, name_en) in enumerate([*exits, ("", "", "", "")]):
        data.update({f"exit-{index}-step": step, f"exit-{index}-status": status,
                     f"exit-{index}-name_lv": name_lv, f"exit-{index}-name_en": name_en})
    return data


def _build(http, language, service):
    """Three steps on the forms: registration → review (the holder's team) → delivery → end."""
    add = _url("administration:workflow-step-new", language, service.code)
    assert http.get(_url("administration:workflow-draft", language, service.code)
                    ).status_code == 200
    for lv, en, extra in (("Piegāde", "Delivery", {}),
                          ("Izskatīšana", "Review", {
                              "institution": "holder", "team": "benefits",
                              "role": "back_office",
                              "exits": (("delivery", "decided", "Lemt", "Decide"),)}),
                          ("Reģistrācija", "Registration", {
                              "exits": (("review", "registered", "Nodot", "Send on"),
                                        (END, "rejected", "Noraidīt", "Reject"))})):
        response = http.post(add, _step(lv, en, **extra))
        assert response.status_code == 302, response.content.decode()
    return _url("administration:workflow-draft", language, service.code)


@pytest.mark.parametrize("language", ["lv", "en"])
def test_a_workflow_built_on_forms_is_published_and_a_new_case_runs_on_it(
        admin, world, worker, language):  # noqa: F811
    service = world["service"]
    draft = _build(admin, language, service)
    page = admin.get(draft).content.decode()
    # The first step added is the first step until another is chosen: not yet reachable ones
    # are listed as problems of the draft.
    assert "Registration" in page or "Reģistrācija" in page
    published = admin.post(draft, {"name": "Pabalsts", "first": "registration",
                                   "action": "publish"})
    assert published.status_code == 302, published.content.decode()
    version = WorkflowVersion.objects.get()
    definition = version.definition
    assert definition["first"] == "registration"
    assert set(definition["steps"]) == {"delivery", "review", "registration"}
    assert definition["steps"]["review"]["queue"] == {"institution": "holder",
                                                      "team": "benefits"}
    assert definition["steps"]["registration"]["next"][1] == {
        "step": None, "status": "rejected", "name": {"lv": "Noraidīt", "en": "Reject"}}
    assert definition["steps"]["delivery"]["resolution"] == "1d"
    assert AuditEvent.objects.filter(action="workflows.version.publish").count() == 1
    case = register_case(world, worker)
    task = Task.objects.get(case=case)
    assert (task.version, task.step) == (version, "registration")
    # "Change" starts a draft from the live version again.
    again = admin.get(draft).content.decode()
    names = (("Reģistrācija", "Izskatīšana", "Piegāde") if language == "lv"
             else ("Registration", "Review", "Delivery"))
    # The steps in the order a case meets them (the stored JSON keeps none on PostgreSQL).
    assert again.index(names[0]) < again.index(names[1]) < again.index(names[2])


@pytest.mark.parametrize(("language", "texts"), [
    ("lv", {"gone": "nav soļa 'gone'", "time": "darba laiks", "name": "1 līdz 200",
            "unreachable": "neviens solis neved", "leads": "ved"}),
    ("en", {"gone": "no step 'gone'", "time": "a working time such as 90m, 4h or 3d",
            "name": "a name of 1 to 200 characters", "unreachable": "no step leads here",
            "leads": "leads to it"}),
])
def test_a_bad_edit_is_explained_and_publishes_nothing(admin, world, language, texts):  # noqa: F811
    service = world["service"]
    draft = _build(admin, language, service)
    review = _url("administration:workflow-step", language, service.code, "review")
    # An exit to a step that is not there.
    gone = admin.post(review, _step("Izskatīšana", "Review", exits=(("gone", "", "A", "B"),)))
    assert gone.status_code == 422 and escape(texts["gone"]) in gone.content.decode()
    assert 'id="id_exit-0-step_error"' in gone.content.decode()  # at its field
    assert "govuk-error-summary" in gone.content.decode()
    # A resolution time of 0 or "abc", a name missing.
    for amount in ("0", "abc"):
        bad = admin.post(review, _step("Izskatīšana", "Review", resolution=(amount, "h")))
        assert bad.status_code == 422 and texts["time"] in bad.content.decode()
        assert 'id="id_resolution_amount_error"' in bad.content.decode()
    nameless = admin.post(review, _step("", "Review"))
    assert nameless.status_code == 422 and texts["name"] in nameless.content.decode()
    assert 'id="id_name_lv_error"' in nameless.content.decode()
    # Removing a step an exit leads to is refused.
    remove = _url("administration:workflow-step-remove", language, service.code, "delivery")
    refused = admin.post(remove, follow=True).content.decode()
    assert texts["leads"] in refused
    # A step nobody leads to: the draft says so and publishing publishes nothing.
    admin.post(_url("administration:workflow-step-new", language, service.code),
               _step("Arhīvs", "Archive"))
    failed = admin.post(draft, {"name": "Pabalsts", "first": "registration",
                                "action": "publish"})
    assert failed.status_code == 422 and texts["unreachable"] in failed.content.decode()
    assert not Workflow.objects.exists()
    # A workflow without a name is not published either: said at the field and in the summary.
    unnamed = admin.post(draft, {"name": "", "first": "registration", "action": "publish"})
    assert unnamed.status_code == 422 and 'id="id_name_error"' in unnamed.content.decode()
    assert 'href="#id_name"' in unnamed.content.decode()
    # Removed, the draft publishes.
    removed = _url("administration:workflow-step-remove", language, service.code, "archive")
    assert admin.post(removed).status_code == 302
    assert admin.post(draft, {"name": "Pabalsts", "first": "registration",
                              "action": "publish"}).status_code == 302
    assert WorkflowVersion.objects.count() == 1


def test_others_are_refused(world, staff, staff_login):  # noqa: F811
    service = world["service"]
    draft = reverse("administration:workflow-draft", args=[service.code])
    agent = staff_login(Client(), world["agent"].staff)
    assert agent.get(draft).status_code == 403
    vid = staff_login(Client(), staff["vid_admin"])  # neither holds nor provides the service
    assert vid.get(draft).status_code == 404
    assert vid.post(reverse("administration:workflow-step-new", args=[service.code]),
                    _step("A", "B")).status_code == 404


def test_the_draft_is_kept_between_requests_and_discarded(admin, world):  # noqa: F811
    service = world["service"]
    draft = _build(admin, "lv", service)
    assert "Izskatīšana" in admin.get(draft).content.decode()
    asked = admin.post(draft, {"action": "discard"})  # asked again first
    assert asked.status_code == 200 and 'name="confirmed"' in asked.content.decode()
    assert "Izskatīšana" in admin.get(draft).content.decode()
    assert admin.post(draft, {"action": "discard", "confirmed": "yes"}).status_code == 302
    assert "Izskatīšana" not in admin.get(draft).content.decode()


# --- The conversion between the forms' data and the definition ---------------------------------

def test_a_step_goes_to_the_forms_and_back_unchanged():
    for step in DEFINITION["steps"].values():
        fields, exits = step_initial(step)
        assert step_data(fields, exits) == step
    fields, exits = step_initial(DEFINITION["steps"]["review"])
    assert fields["resolution_amount"] == "4" and fields["resolution_unit"] == "h"
    assert fields["team"] == "benefits" and exits[0]["step"] == END


def test_the_forms_data_becomes_a_definition_the_one_check_reads():
    data = step_data({"name_lv": "A", "name_en": "B", "institution": "holder", "team": "",
                      "role": "back_office", "stage": "execution",
                      "resolution_amount": " 90 ", "resolution_unit": "m",
                      "warn_before_amount": "", "warn_before_unit": "h"},
                     [{"step": END, "status": "decided", "name_lv": "L", "name_en": "D"},
                      {"step": "", "status": "", "name_lv": "", "name_en": ""}])
    assert data == {"name": {"lv": "A", "en": "B"}, "queue": {"institution": "holder"},
                    "role": "back_office", "stage": "execution", "resolution": "90m",
                    "next": [{"step": None, "status": "decided",
                              "name": {"lv": "L", "en": "D"}}]}
    parse({"format": "durvis-workflow/1", "first": "a", "steps": {"a": data}},
          statuses=STATUSES)


def test_times_split_and_problems_are_taken_apart():
    assert split_time("90m") == ("90", "m") and split_time(None) == ("", "h")
    assert split_time("abch") == ("abc", "h") and split_time("x") == ("x", "h")
    broken = copy.deepcopy(DEFINITION)
    broken["steps"]["review"]["next"][1]["step"] = "gone"
    broken["steps"]["review"]["resolution"] = "0h"
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        parse(broken, statuses=STATUSES)
    found = {(p.step, p.exit, p.rest) for p in problems_of(raised.value)}
    assert found == {("review", None, "resolution"), ("review", 1, "step")}
