"""Joint representation and the acting person (issue 12; C1, A12, A2): a company's
representative whom the enterprise register allows to act only jointly (`may_act_alone:
false`) sees the company's cases, messages and documents, but every act in its name (a message,
an answer, an upload, a rating) is refused with the reason shown, in Latvian and English; a
representative who may act alone acts, and the institution and the client's history show who
acted for the client, and as whom."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.documents.models import Document
from durvis.identity import services as identity
from durvis.messaging.models import InboxMessage, Thread
from durvis.register import services as register
from durvis.register.models import Consultation, Feedback
from tests.documents.samples import PDF
from tests.messaging.sending import send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

REFUSAL_LV = "tikai kopā ar citu pārstāvi"
REFUSAL_EN = "only jointly with another representative"


def company_role(family):
    return f"company:{family['company'].pk}"


def upload(browser, case=None, title="Izziņa"):
    data = {"title": title, "file": _pdf()}
    if case is not None:
        data["case"] = str(case.pk)
    return browser.post(reverse("documents:upload"), data)


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("izzina.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def joint(family, joint_representative, sign_in):
    return sign_in(joint_representative, role=company_role(family))


@pytest.fixture
def vid_back_office(institutions, staff_login):
    member = identity.record_staff(username="bo.vid", password="pw-long-enough-for-tests",
                                   institution=institutions["VID"], roles=["back_office"])
    return staff_login(Client(), member)


def test_a_joint_representative_sees_the_companys_records(family, joint, vsaa_api):
    company = family["company"]
    thread_id = send(vsaa_api, registration_number=company.registration_number
                     ).json()["conversation_id"]
    history = joint.get(reverse("eaccount:history")).content.decode()
    assert family["companys"].number in history
    case = joint.get(reverse("eaccount:case", args=[family["companys"].number]))
    assert case.status_code == 200
    thread = joint.get(reverse("inbox:thread", args=[thread_id])).content.decode()
    assert "Lūdzu iesniedziet izziņu." in thread
    assert joint.get(reverse("documents:list")).status_code == 200
    # Every page of the role says that acting in its name needs someone else.
    assert "Kopīgā pārstāvība" in joint.get(reverse("eaccount:overview")).content.decode()


def test_writing_in_the_companys_name_is_refused_with_the_reason(family, joint):
    page = joint.get(reverse("inbox:write")).content.decode()
    assert REFUSAL_LV in page and "SIA Zaļā Pļava" in page
    assert 'action="/eaccount/messages/new/"' not in page  # no form to fill in for nothing
    response = joint.post(reverse("inbox:write"), {
        "institution": str(family["company"].pk), "subject": "Iesniegums", "body": "Teksts"})
    assert response.status_code == 403
    assert REFUSAL_LV in response.content.decode()
    assert not InboxMessage.objects.filter(direction="from_client").exists()


def test_answering_in_the_companys_name_is_refused_with_the_reason(family, joint, vsaa_api):
    company = family["company"]
    thread_id = send(vsaa_api, registration_number=company.registration_number
                     ).json()["conversation_id"]
    page = joint.get(reverse("inbox:thread", args=[thread_id])).content.decode()
    assert REFUSAL_LV in page and "Nosūtīt atbildi" not in page
    response = joint.post(reverse("inbox:reply", args=[thread_id]), {"body": "Atbilde"})
    assert response.status_code == 403 and REFUSAL_LV in response.content.decode()
    assert not InboxMessage.objects.filter(direction="from_client").exists()


def test_uploading_in_the_companys_name_is_refused_with_the_reason(family, joint):
    page = joint.get(reverse("documents:upload")).content.decode()
    assert REFUSAL_LV in page and 'enctype="multipart/form-data"' not in page
    response = upload(joint, case=family["companys"])
    assert response.status_code == 403 and REFUSAL_LV in response.content.decode()
    assert not Document.objects.exists()


def test_rating_in_the_companys_name_is_refused_with_the_reason(family, joint, decide_case):
    case = family["companys"]
    decide_case(family["vid"], case)
    page = joint.get(reverse("eaccount:case", args=[case.number])).content.decode()
    assert REFUSAL_LV in page and "Nosūtīt vērtējumu" not in page
    response = joint.post(reverse("eaccount:case-feedback", args=[case.number]),
                          {"rating": "5"})
    assert response.status_code == 403 and REFUSAL_LV in response.content.decode()
    assert not Feedback.objects.exists()


def test_rating_a_consultation_in_the_companys_name_is_refused(family, joint):
    consultation = register.register_consultation(family["vid"], register.NewConsultation(
        channel="phone", identification="identified_by_agent", outcome="answered",
        occurred_at=timezone.now(), service_code=1101,
        registration_number=family["company"].registration_number))
    url = reverse("eaccount:consultation-feedback", args=[consultation.pk])
    assert REFUSAL_LV in joint.get(url).content.decode()
    response = joint.post(url, {"rating": "4"})
    assert response.status_code == 403 and REFUSAL_LV in response.content.decode()
    assert not Feedback.objects.filter(consultation=consultation).exists()
    assert Consultation.objects.filter(pk=consultation.pk).exists()


def test_the_reason_is_in_english_too(family, joint):
    page = joint.get("/en/eaccount/messages/new/").content.decode()
    assert REFUSAL_EN in page and "SIA Zaļā Pļava" in page


def test_a_second_role_that_may_act_alone_lets_him_act(family, joint_representative, joint):
    identity.record_representation(family["company"], joint_representative, "procurator",
                                   may_act_alone=True, valid_from=datetime.date(2021, 1, 1))
    response = upload(joint, case=family["companys"])
    assert response.status_code == 302
    assert Document.objects.get().uploaded_by == joint_representative


def test_the_service_refuses_whatever_the_page(family, joint_representative):
    """The rule is the policy's, not the page's: the services refuse too, with the reason."""
    from durvis.access.policy import Refused
    from durvis.messaging import services as messaging

    actor = Actor(kind="person", person=joint_representative)
    with pytest.raises(Refused) as refused:
        messaging.write_to_institution(actor, family["company"], None, "Temats", "Teksts",
                                       case=family["companys"])
    assert "SIA Zaļā Pļava" in str(refused.value.decision.explanation)
    assert not Thread.objects.exists()


def test_the_institution_sees_who_wrote_for_the_company(family, sign_in, vid_back_office,
                                                        api_client_factory):
    case = family["companys"]
    janis = sign_in(family["parent"], role=company_role(family))
    response = janis.post(reverse("inbox:write"), {"case": str(case.pk), "subject": "PVN",
                                                   "body": "Lūdzu reģistrējiet."})
    assert response.status_code == 302
    assert upload(janis, case=case, title="Statūti").status_code == 302

    vid = api_client_factory("VID", operations=("messages:read",))
    item, = vid.get("/api/v1/messages/replies?since=0").json()["items"]
    assert item["acting_person"] == {"personal_code": family["parent"].personal_code,
                                     "name": "Jānis Bērziņš", "relation": "representative"}
    assert item["client"]["registration_number"] == family["company"].registration_number
    detail = vid.get(f"/api/v1/messages/{item['id']}").json()
    assert detail["acting_person"]["name"] == "Jānis Bērziņš" and detail["reads"] == []

    page = vid_back_office.get(reverse("administration:case", args=[case.number])
                               ).content.decode()
    assert "rakstīja Jānis Bērziņš (pārstāvis)" in page
    assert "Statūti" in page and "Jānis Bērziņš (pārstāvis)" in page.split("Statūti", 1)[1]


def test_the_history_shows_who_acted_for_the_child(family, sign_in, vsaa_api):
    child, case = family["child"], family["childs"]
    parent = sign_in(family["parent"], role=f"person:{child.pk}")
    assert parent.post(reverse("inbox:write"), {"case": str(case.pk), "subject": "Pase",
                                                "body": "Kad būs gatava?"}).status_code == 302
    assert upload(parent, case=case, title="Foto").status_code == 302

    item, = vsaa_api.get("/api/v1/messages/replies?since=0").json()["items"]
    assert item["acting_person"]["relation"] == "parent"
    assert item["client"]["personal_code"] == child.personal_code

    page = sign_in(child).get(reverse("eaccount:case", args=[case.number])).content.decode()
    assert "rakstīja Jānis Bērziņš (vecāks)" in page
    assert "augšupielādēja Jānis Bērziņš (vecāks)" in page
    documents = sign_in(child).get(reverse("documents:list")).content.decode()
    assert "augšupielādēja Jānis Bērziņš (vecāks)" in documents


def test_a_rating_shows_who_gave_it(family, sign_in, decide_case, vid_back_office,
                                    api_client_factory):
    case = family["companys"]
    decide_case(family["vid"], case)
    janis = sign_in(family["parent"], role=company_role(family))
    response = janis.post(reverse("eaccount:case-feedback", args=[case.number]),
                          {"rating": "5"})
    assert response.status_code == 302
    assert Feedback.objects.get(case=case).given_by == family["parent"]

    page = janis.get(reverse("eaccount:case", args=[case.number])).content.decode()
    assert "veica Jānis Bērziņš (pārstāvis)" in page
    staff_page = vid_back_office.get(reverse("administration:case", args=[case.number])
                                     ).content.decode()
    assert "veica Jānis Bērziņš (pārstāvis)" in staff_page
    vid = api_client_factory("VID", operations=("cases:read",))
    history = vid.get(f"/api/v1/cases/{case.number.replace(' ', '-')}").json()["history"]
    rated, = [e for e in history if e["kind"] == "feedback"]
    assert rated["acting_person"]["personal_code"] == family["parent"].personal_code
    assert all(e["acting_person"] is None for e in history if e["kind"] != "feedback")
