"""The form builder's pages (A10, A5): every page answers its builder, another institution's
service is a 404, non-builders are refused, every change is audited, and bad input (a route to
an earlier page, a condition on a later question, a duplicate key, a choice without options) is
refused at the field and saves nothing."""

from __future__ import annotations

import html
import re

import pytest

from durvis.audit.models import AuditEvent
from durvis.eforms import services
from durvis.eforms.models import FormVersion, VersionStatus
from durvis.identity import services as identity
from tests.eforms.samples import family_benefit

BASE = "/en/administration/forms/1011"


@pytest.fixture
def builder_member(institutions):
    return identity.record_staff(username="forms.vsaa", password="pw-forms.vsaa-long-enough",
                                 institution=institutions["VSAA"], roles=["form_builder"])


@pytest.fixture
def web(client, staff_login, builder_member, catalogue):
    return staff_login(client, builder_member)


@pytest.fixture
def draft(builder_member, catalogue):
    from durvis.core.actor import Actor

    actor = Actor(kind="staff", staff=builder_member)
    return services.load_definition(actor, catalogue["childbirth"], family_benefit())


def definition():
    return FormVersion.objects.get(status=VersionStatus.DRAFT).definition


def question_data(**more):
    return {"type": "short_text", "key": "city", "label_lv": "Pilsēta", "label_en": "City",
            "help_lv": "", "help_en": "", "error_lv": "", "error_en": "", "min": "", "max": "",
            "condition_question": "", "condition_op": "equals", "condition_value": "",
            "condition_effect": "show", **more}


def test_the_list_shows_own_services_only(web):
    page = web.get("/en/administration/forms/").content.decode()
    assert "Childbirth benefit" in page and "Annual income declaration" not in page
    assert 'href="/en/administration/forms/"' in web.get("/en/staff/").content.decode()


def test_a_draft_is_made_and_every_builder_page_answers(web, catalogue):
    assert web.post(f"{BASE}/draft/").status_code == 302
    pages = [f"{BASE}/", f"{BASE}/pages/new/", f"{BASE}/pages/page_1/",
             f"{BASE}/pages/page_1/questions/new/",
             f"{BASE}/pages/page_1/questions/new/?type=money", f"{BASE}/publish/",
             f"{BASE}/preview/page_1/"]
    for url in pages:
        assert web.get(url).status_code == 200, url


def test_pages_of_a_draft_with_every_part(web, draft):
    for url in (f"{BASE}/", f"{BASE}/pages/family/", f"{BASE}/questions/members/",
                f"{BASE}/questions/members.member_code/", f"{BASE}/questions/children_count/",
                f"{BASE}/pages/family/questions/new/?group=members",
                f"{BASE}/pages/family/questions/new/?group=members&type=date",
                f"{BASE}/publish/", f"{BASE}/preview/applicant/"):
        assert web.get(url).status_code == 200, url
    assert web.get(f"{BASE}/pages/nowhere/").status_code == 404
    assert web.get(f"{BASE}/questions/nobody/").status_code == 404


def test_another_institutions_service_is_a_404_and_non_builders_are_refused(
        web, client, staff, staff_login, catalogue):
    assert web.get("/en/administration/forms/1006/").status_code == 404  # VID's
    assert web.post("/en/administration/forms/1006/draft/").status_code == 404
    assert not FormVersion.objects.exists()
    admin = staff_login(client, staff["vsaa_admin"])
    assert admin.get("/en/administration/forms/").status_code == 403
    assert admin.post(f"{BASE}/draft/").status_code == 403


def test_adding_a_question_is_audited(web, draft):
    response = web.post(f"{BASE}/pages/payment/questions/new/", question_data())
    assert response.status_code == 302
    assert definition()["pages"][2]["questions"][-1]["key"] == "city"
    event = AuditEvent.objects.filter(action="eforms.question.add").get()
    assert event.actor_id.startswith("user:") and event.details["question"] == "city"


@pytest.mark.parametrize(("data", "field", "text"), [
    (question_data(key="iban"), "key", "Another question already has the key"),
    (question_data(type="single_choice", options=""), "options", "Give at least 2 options"),
    (question_data(type="multiple_choice", options="a | A\na | B"), "options",
     "Each option needs its own value"),
    (question_data(key="Bad key"), "key", "Use 1 to 40 small Latin letters"),
    (question_data(type="number", min="5", max="1"), "max", "smaller than the smallest"),
    (question_data(type="money", min="1.005"), "min", "at most 2 decimals"),
    (question_data(condition_question="has_children", condition_value="maybe"),
     "condition_value", "Compare a yes/no question with yes or no"),
])
def test_bad_input_is_refused_at_the_field_and_saves_nothing(web, draft, data, field, text):
    before = (definition(), AuditEvent.objects.count())
    response = web.post(f"{BASE}/pages/payment/questions/new/", data)
    page = response.content.decode()
    assert response.status_code == 422 and text in page
    assert f'id="id_{field}_error"' in page
    assert (definition(), AuditEvent.objects.count()) == before


def test_a_condition_on_a_later_question_is_refused(web, draft):
    # name is the first question: nothing before it may be named; tampering the choice fails.
    response = web.post(f"{BASE}/questions/name/", question_data(
        key="name", condition_question="has_children", condition_value="yes"))
    assert response.status_code == 422
    assert "condition_question" in response.content.decode()
    assert definition() == family_benefit()


def test_a_route_to_an_earlier_page_is_refused_at_the_field(web, draft):
    before = AuditEvent.objects.count()
    response = web.post(f"{BASE}/pages/payment/routes/", {
        "when_question": "resident", "when_op": "equals", "when_value": "no", "action": "goto",
        "goto": "family", "end_lv": "", "end_en": ""})
    page = response.content.decode()
    assert response.status_code == 422 and "A route can only skip forward" in page
    assert 'id="id_goto_error"' in page
    assert definition() == family_benefit() and AuditEvent.objects.count() == before


def test_a_route_and_a_page_are_added_and_reordered(web, draft):
    assert web.post(f"{BASE}/pages/new/", {"key": "extra", "title_lv": "Papildu",
                                            "title_en": "Extra"}).status_code == 302
    response = web.post(f"{BASE}/pages/family/routes/", {
        "when_question": "resident", "when_op": "equals", "when_value": "yes", "action": "goto",
        "goto": "extra", "end_lv": "", "end_en": ""})
    assert response.status_code == 302
    assert definition()["pages"][1]["routing"] == [
        {"when": {"question": "resident", "op": "equals", "value": True}, "goto": "extra"}]
    web.post(f"{BASE}/questions/phone/move/", {"step": "up"})
    assert [q["key"] for q in definition()["pages"][0]["questions"]][:3] == [
        "name", "phone", "resident"]
    web.post(f"{BASE}/pages/family/routes/0/remove/")
    assert "routing" not in definition()["pages"][1] or not definition()["pages"][1]["routing"]


def test_removing_asks_first_and_refuses_what_others_depend_on(web, draft):
    response = web.post(f"{BASE}/questions/has_children/remove/")
    assert response.status_code == 200 and "confirmed" in response.content.decode()
    response = web.post(f"{BASE}/questions/has_children/remove/", {"confirmed": "yes"},
                        follow=True)
    assert "depend" in response.content.decode() or "There is no question" in response.content.decode()
    assert definition() == family_benefit()
    web.post(f"{BASE}/questions/phone/remove/", {"confirmed": "yes"})
    assert "phone" not in [q["key"] for q in definition()["pages"][0]["questions"]]


def test_publish_shows_the_difference_then_publishes(web, draft, catalogue):
    page = web.get(f"{BASE}/publish/").content.decode()
    assert "Nothing is published yet" in page and "Question “Question iban” (iban)" in page
    assert web.post(f"{BASE}/publish/").status_code == 302
    assert FormVersion.objects.get().status == VersionStatus.PUBLISHED
    web.post(f"{BASE}/draft/")
    web.post(f"{BASE}/pages/payment/questions/new/", question_data())
    web.post(f"{BASE}/questions/name/", question_data(key="name", label_en="Your name",
                                                      required="on"))
    page = web.get(f"{BASE}/publish/").content.decode()
    assert "Changes against the live version 1" in page
    assert "Question “City” (city)" in page and "question text" in page
    web.post(f"{BASE}/publish/")
    assert list(FormVersion.objects.order_by("number").values_list("status", flat=True)) == [
        "retired", "published"]
    assert AuditEvent.objects.filter(action="eforms.version.publish").count() == 2


def test_retire_asks_then_retires(web, draft):
    web.post(f"{BASE}/publish/")
    assert web.post(f"{BASE}/retire/").status_code == 200
    web.post(f"{BASE}/retire/", {"confirmed": "yes"})
    assert FormVersion.objects.get().status == VersionStatus.RETIRED


def test_preview_checks_routes_and_ends(web, draft):
    web.get(f"{BASE}/preview/")
    response = web.post(f"{BASE}/preview/applicant/", {
        "name": "Anna", "resident": "yes", "has_children": "yes", "children_count": "0",
        "phone": "123"})
    page = response.content.decode()
    assert response.status_code == 422 and "There is a problem" in page
    assert 'href="#f-phone"' in page and 'href="#f-email"' in page  # required on has_children
    response = web.post(f"{BASE}/preview/applicant/", {
        "name": "Anna", "resident": "yes", "has_children": "no"})
    assert response["Location"].endswith("/preview/payment/")  # the route skipped a page
    response = web.post(f"{BASE}/preview/applicant/", {
        "name": "Anna", "resident": "no", "has_children": "no"})
    assert response["Location"].endswith("/preview/end/")
    assert "Only residents of Latvia" in web.get(f"{BASE}/preview/end/").content.decode()


def test_preview_of_a_group_adds_items_and_checks_each(web, draft):
    web.get(f"{BASE}/preview/")
    web.post(f"{BASE}/preview/applicant/", {"name": "A", "resident": "yes", "has_children": "yes",
                                            "children_count": "1", "email": "a@example.lv"})
    response = web.post(f"{BASE}/preview/family/", {"members-count": "1", "add_item": "members",
                                                    "members-0-member_name": "Jānis"})
    assert 'name="members-1-member_name"' in response.content.decode()
    response = web.post(f"{BASE}/preview/family/", {
        "members-count": "2", "members-0-member_name": "Jānis",
        "members-0-member_code": "161175-19997", "members-1-member_name": "Anna",
        "members-1-member_code": "161175-19998"})
    assert response.status_code == 422
    assert 'href="#f-members-1-member_code"' in response.content.decode()


@pytest.mark.parametrize(("prefix", "question", "yes", "family", "amount"), [
    ("", "Jautājums", "Jā", "Ģimene", "€\xa012,50"), ("/en", "Question", "Yes", "Family", "€12.50")])
def test_the_preview_ends_with_the_answers_as_the_citizen_reads_them(web, draft, prefix,
                                                                     question, yes, family,
                                                                     amount):
    """The end of the preview is the citizen's "Check your answers", by page: a yes/no answer in
    the page's language (not the radio's value "yes"), a group's items with their questions'
    labels, an amount with €."""
    base = f"{prefix}/administration/forms/1011"
    web.get(f"{base}/preview/")
    web.post(f"{base}/preview/applicant/", {"name": "Anna", "resident": "yes",
                                            "has_children": "yes", "children_count": "1",
                                            "email": "a@example.lv"})
    web.post(f"{base}/preview/family/", {
        "members-count": "1", "members-0-member_name": "Jānis",
        "members-0-member_code": "161175-19997"})
    response = web.post(f"{base}/preview/payment/", {"iban": "LV80BANK0000435195001",
                                                     "amount": "12.5"})
    assert response["Location"].endswith("/preview/end/")
    page = web.get(f"{base}/preview/end/").content.decode()
    rows = dict(re.findall(r'__key">([^<]*)</dt>\s*<dd class="govuk-summary-list__value[^"]*">'
                           r"([^<]*)</dd>", page))
    assert rows[f"{question} resident"] == rows[f"{question} has_children"] == yes
    assert rows[f"{question} members"] == (
        f"1. {question} member_name: Jānis; {question} member_code: 16117519997")
    assert html.unescape(rows[f"{question} amount"]) == amount
    assert f">{family}</h2>" in page
