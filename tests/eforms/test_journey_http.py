"""The application journey through HTTP (A10, A3, B1): start, pages, refusals, check your
answers, submit (the case, the PDF, the event), the e-account's list, discard."""

from __future__ import annotations

import io
import uuid

import pikepdf
import pytest
from django.urls import reverse

from durvis.core.events import dispatch_due
from durvis.core.models import DomainEvent
from durvis.documents.models import Document
from durvis.eforms.models import Application, ApplicationStatus
from durvis.register.models import ServiceCase
from tests.eforms.journey import PDF, publish_form
from tests.eforms.samples import q

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(family, institutions, catalogue):
    publish_form(institutions, catalogue["childbirth"])
    return catalogue["childbirth"]


def _start(browser, service):
    response = browser.post(reverse("eforms:start", args=[service.code]), {})
    assert response.status_code == 302, response.content[:500]
    return Application.objects.latest("pk"), response["Location"]


def _page(app, page):
    return reverse("eforms:page", args=[app.reference, page])


APPLICANT = {"name": "Jānis Bērziņš", "personal_code": "140386-12043", "resident": "yes",
             "has_children": "yes"}


def test_service_page_offers_apply_only_with_a_live_form(client, family, institutions, catalogue):
    page = client.get(reverse("catalog:service", args=[1011]))
    assert reverse("eforms:start", args=[1011]) not in page.content.decode()
    publish_form(institutions, catalogue["childbirth"])
    page = client.get(reverse("catalog:service", args=[1011]))
    assert reverse("eforms:start", args=[1011]) in page.content.decode()


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, form):
    response = client.get(reverse("eforms:start", args=[1011]))
    assert response.status_code == 302
    assert "next=" in response["Location"] and "apply" in response["Location"]


def test_first_page_is_prefilled_from_the_profile(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    assert location == _page(app, "applicant")
    html = browser.get(location).content.decode()
    assert 'value="Jānis Bērziņš"' in html and 'value="14038612043"' in html
    assert 'value="janis@example.lv"' in html


def test_a_wrong_answer_is_said_at_the_field_and_nothing_saved(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    response = browser.post(location, {**APPLICANT, "personal_code": "12345678901",
                                       "version": "0"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'href="#f-personal_code"' in html and 'id="f-personal_code-error"' in html
    app.refresh_from_db()
    assert app.pages_done == [] and app.version == 0


def test_walk_skips_and_refuses_a_page_not_reached(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    # Before the first page is answered, a later page is refused: back to the first.
    response = browser.get(_page(app, "payment"))
    assert response.status_code == 302 and response["Location"] == _page(app, "applicant")
    response = browser.post(location, {**APPLICANT, "has_children": "no", "version": "0"})
    assert response["Location"] == _page(app, "payment")
    # "family" was skipped by the route: it cannot be opened by typing its address.
    response = browser.get(_page(app, "family"))
    assert response["Location"] == _page(app, "payment")
    # A page key the form does not have is refused the same way.
    assert browser.get(_page(app, "nonsense"))["Location"] == _page(app, "payment")


def test_not_eligible_ends_with_the_reason(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    response = browser.post(location, {**APPLICANT, "resident": "no", "version": "0"})
    assert response["Location"] == reverse("eforms:ended", args=[app.reference])
    html = browser.get(response["Location"]).content.decode()
    assert "Pabalstu var saņemt tikai Latvijas iedzīvotāji." in html
    assert browser.get(reverse("eforms:check", args=[app.reference])).status_code == 302


def test_another_clients_draft_is_not_found(sign_in, form, family):
    owner = sign_in(family["parent"])
    app, location = _start(owner, form)
    stranger = sign_in(family["stranger"])
    assert stranger.get(location).status_code == 404
    assert stranger.post(location, {**APPLICANT, "version": "0"}).status_code == 404
    assert stranger.get(reverse("eforms:check", args=[app.reference])).status_code == 404
    assert stranger.get(_page(type("A", (), {"reference": uuid.uuid4()}), "applicant")
                        ).status_code == 404


def test_a_role_switched_in_another_tab_is_refused(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    response = browser.post(location, {**APPLICANT, "version": "0",
                                       "opened_as": f"company:{family['company'].pk}"})
    assert response.status_code == 409
    app.refresh_from_db()
    assert app.pages_done == []


def test_a_stale_version_saves_nothing(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    assert browser.post(location, {**APPLICANT, "version": "0"}).status_code == 302
    response = browser.post(location, {**APPLICANT, "name": "Cits", "version": "0"})
    assert response.status_code == 409
    app.refresh_from_db()
    assert app.answers["name"] == "Jānis Bērziņš"


def test_group_items_are_added_and_removed_without_script(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    browser.post(location, {**APPLICANT, "version": "0"})
    page = _page(app, "family")
    html = browser.post(page, {"members-count": "1", "members-0-member_name": "Emīlija",
                               "add_item": "members", "version": "1"}).content.decode()
    assert 'name="members-1-member_name"' in html and 'value="Emīlija"' in html
    html = browser.post(page, {"members-count": "2", "members-0-member_name": "A",
                               "members-1-member_name": "B", "remove_item": "members-0",
                               "version": "1"}).content.decode()
    assert 'value="B"' in html and 'value="A"' not in html
    app.refresh_from_db()
    assert app.version == 1  # nothing saved by the buttons


def _to_check(browser, app, *, with_file=True):
    browser.post(_page(app, "applicant"), {**APPLICANT, "version": "0"})
    browser.post(_page(app, "family"), {"members-count": "1", "members-0-member_name": "Emīlija",
                                        "members-0-member_code": "220515-20311", "version": "1"})
    data = {"iban": "LV80 BANK 0000 4351 9500 1", "version": "2"}
    if with_file:
        data["certificate"] = io.BytesIO(PDF)
        data["certificate"].name = "izzina.pdf"
    response = browser.post(_page(app, "payment"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("eforms:check", args=[app.reference])


def test_a_file_is_uploaded_shown_by_name_and_removable(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, _location = _start(browser, form)
    _to_check(browser, app)
    app.refresh_from_db()
    document_id = app.answers["certificate"]["document_id"]
    assert app.answers["certificate"]["name"] == "izzina.pdf"
    html = browser.get(_page(app, "payment")).content.decode()
    assert "izzina.pdf" in html and 'name="remove_file"' in html
    html = browser.post(_page(app, "payment"), {"iban": "LV80BANK0000435195001",
                                                "certificate": str(document_id),
                                                "remove_file": "certificate",
                                                "version": str(app.version)}).content.decode()
    assert 'type="file"' in html


def test_a_file_id_not_the_applicants_is_refused(sign_in, form, family):
    from durvis.core.actor import Actor
    from durvis.documents import services as documents
    theirs = documents.store_document(Actor(kind="person", person=family["stranger"]),
                                      client=family["stranger"], name="x.pdf", content=PDF,
                                      content_type="application/pdf", title="x", direction="sent")
    browser = sign_in(family["parent"])
    app, _location = _start(browser, form)
    browser.post(_page(app, "applicant"), {**APPLICANT, "has_children": "no", "version": "0"})
    response = browser.post(_page(app, "payment"), {"iban": "LV80BANK0000435195001",
                                                    "certificate": str(theirs.pk),
                                                    "version": "1"})
    assert response.status_code == 422
    assert 'id="f-certificate-error"' in response.content.decode()


def test_check_change_and_submit_opens_one_case_with_its_pdf(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, _location = _start(browser, form)
    _to_check(browser, app)
    check = reverse("eforms:check", args=[app.reference])
    html = browser.get(check).content.decode()
    assert "Emīlija" in html and "izzina.pdf" in html
    assert f"{_page(app, 'payment')}?check=1" in html
    # A change returns to check your answers.
    app.refresh_from_db()
    response = browser.post(_page(app, "payment"), {
        "iban": "LV80BANK0000435195001", "check": "1", "version": str(app.version),
        "certificate": str(app.answers["certificate"]["document_id"])})
    assert response["Location"] == check
    # Without the declaration: refused at the field.
    response = browser.post(check, {"result_channel": "eaccount"})
    assert response.status_code == 422 and 'href="#f-declaration"' in response.content.decode()
    response = browser.post(check, {"result_channel": "eaccount", "declaration": "yes"})
    assert response["Location"] == reverse("eforms:done", args=[app.reference])
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.submitted_at is not None
    case = app.case
    assert case.client_person == family["parent"] and case.application_channel == "eaccount"
    assert (app.change_xid, app.change_seq) == (case.change_xid, case.change_seq)
    dispatch_due()  # the worker's round: the PDF copy, the notification
    attached = Document.objects.get(pk=app.answers["certificate"]["document_id"])
    assert attached.case == case
    copy = Document.objects.get(case=case, file_name__startswith="application-")
    with copy.file.open("rb") as stored, pikepdf.open(io.BytesIO(stored.read())) as pdf:
        assert len(pdf.pages) >= 1
    event = DomainEvent.objects.get(name="application.submitted")
    assert event.key == f"application:{app.pk}"
    assert event.payload["case_number"] == case.number
    done = browser.get(response["Location"]).content.decode()
    assert case.number in done and reverse("documents:download", args=[copy.pk]) in done
    # A second submit (another tab, a retry) shows the same case.
    again = browser.post(check, {"result_channel": "eaccount", "declaration": "yes"})
    assert again["Location"] == reverse("eforms:done", args=[app.reference])
    assert ServiceCase.objects.filter(pk=case.pk).count() == 1
    assert Application.objects.filter(case__isnull=False).count() == 1
    # A page of the submitted application goes to its confirmation.
    assert browser.get(_page(app, "payment"))["Location"] == response["Location"]


def test_in_progress_list_resume_and_discard(sign_in, form, family):
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    html = browser.get(reverse("eforms:applications")).content.decode()
    assert "Bērna piedzimšanas pabalsts" in html and location in html
    assert "Bērna piedzimšanas pabalsts" in browser.get(reverse("eaccount:overview")
                                                         ).content.decode()
    # "Apply" again resumes: no second draft.
    _start(browser, form)
    assert Application.objects.filter(status="draft").count() == 1
    discard = reverse("eforms:discard", args=[app.reference])
    assert browser.get(discard).status_code == 200
    assert browser.post(discard, {})["Location"] == reverse("eforms:applications")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DISCARDED
    assert browser.get(location).status_code == 410


def test_an_expired_draft_is_a_clear_page(sign_in, form, family):
    import datetime

    from django.utils import timezone
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    Application.objects.filter(pk=app.pk).update(expires_at=timezone.now()
                                                 - datetime.timedelta(minutes=1))
    response = browser.get(location)
    assert response.status_code == 410
    assert reverse("eforms:start", args=[1011]) in response.content.decode()


def test_company_role_for_residents_service_is_refused(sign_in, form, family):
    browser = sign_in(family["parent"], f"company:{family['company'].pk}")
    response = browser.post(reverse("eforms:start", args=[1011]), {})
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_with_a_draft_of_ones_own_the_start_page_offers_to_continue_it(sign_in, form, family):
    """One application of a service in progress at a time: the start page does not offer "Start a
    new application" that would only resume it (found by a tester), but continuing it, or
    discarding it first."""
    browser = sign_in(family["parent"])
    app, location = _start(browser, form)
    html = browser.get(reverse("eforms:start", args=[1011])).content.decode()
    assert f'href="{location}"' in html and "Turpināt pieteikumu" in html
    assert reverse("eforms:discard", args=[app.reference]) in html
    start = reverse("eforms:start", args=[1011])
    assert "Sākt jaunu pieteikumu" not in html and f'action="{start}"' not in html


def test_a_question_an_answer_shows_on_the_same_page_is_asked_not_held_against(
        sign_in, family, institutions, catalogue):
    """Without script, a question shown by an answer on the same page appears only when the page
    is sent: it is asked ("more questions appeared"), not marked as an error; once it was seen,
    leaving it out is an error (found by a tester)."""
    from tests.eforms.journey import journey_form
    definition = journey_form()
    definition["pages"][2]["questions"] = [
        q("born_abroad", "yes_no", required=True),
        q("abroad_country", "short_text", required=True, condition={
            "question": "born_abroad", "op": "equals", "value": True, "effect": "show"}),
    ]
    publish_form(institutions, catalogue["childbirth"], definition)
    browser = sign_in(family["parent"])
    app, location = _start(browser, catalogue["childbirth"])
    browser.post(location, {**APPLICANT, "has_children": "no", "version": "0"})
    payment = _page(app, "payment")
    first = browser.get(payment).content.decode()
    assert 'name="shown" value="born_abroad"' in first
    response = browser.post(payment, {"born_abroad": "yes", "version": "1",
                                      "shown": "born_abroad"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="f-abroad_country"' in html
    assert "govuk-error-summary" not in html and "f-abroad_country-error" not in html
    assert "Jūsu atbildes dēļ šajā lapā parādījās vēl jautājumi" in html
    app.refresh_from_db()
    assert "born_abroad" not in app.answers  # nothing saved yet
    again = browser.post(payment, {"born_abroad": "yes", "version": "1",
                                   "shown": "born_abroad,abroad_country"})
    assert again.status_code == 422 and "f-abroad_country-error" in again.content.decode()
    done = browser.post(payment, {"born_abroad": "yes", "abroad_country": "Igaunija",
                                  "version": "1", "shown": "born_abroad,abroad_country"})
    assert done.status_code == 302
