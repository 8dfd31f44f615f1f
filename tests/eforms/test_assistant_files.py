"""File questions in the e-service assistant (A3, issue 15): the agent uploads the client's
file on the assistant's page with the same checks as the client's own page (kind, size,
malware); the file is the client's document received by the agent's institution and is linked
to the case on submission. A bad file is refused at the question, nothing stored."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation

from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.documents import services as documents
from durvis.documents.models import Direction, Document
from durvis.eforms.models import AssistedApplication
from durvis.register.models import ActedBy, ServiceCase
from tests.eforms import test_assistant as base
from tests.eforms.journey import PDF, publish_form
from tests.eforms.samples import q, t

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("centres")]

agent, desk = base.agent, base.desk


def file_form():
    return {"format": "durvis-form/1", "pages": [
        {"key": "proof", "title": t("Izziņa", "Certificate"), "questions": [
            q("name", "short_text", required=True),
            q("certificate", "file", required=True),
        ]},
    ]}


@pytest.fixture
def service(institutions, catalogue):
    childbirth = catalogue["childbirth"]
    publish_form(institutions, childbirth, file_form())
    Service.objects.filter(pk=childbirth.pk).update(assistant_allowed=True)
    childbirth.refresh_from_db()
    return childbirth


def _started(desk, service, person):
    response = base._start(desk, service, person)
    assert response.status_code == 302, response.content.decode()[-2000:]
    return AssistedApplication.objects.get()


def _pdf(name="izzina.pdf", content=PDF):
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def test_http_the_agent_uploads_the_clients_file_and_it_goes_with_the_case(
        desk, service, family, sign_in):
    parent = family["parent"]
    assisted = _started(desk, service, parent)
    reference = assisted.application.reference
    url = reverse("assistant:page", args=[reference, "proof"])
    page = desk.get(url).content.decode()
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    response = desk.post(url, {"name": "Jānis Bērziņš", "certificate": _pdf(), "version": "0"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    assisted.application.refresh_from_db()
    answer = assisted.application.answers["certificate"]
    document = Document.objects.get(pk=answer["document_id"])
    assert answer["name"] == "izzina.pdf" and document.client_person == parent
    assert document.direction == Direction.RECEIVED and document.institution.code == "VDAA"
    check = reverse("assistant:check", args=[reference])
    assert "izzina.pdf" in desk.get(check).content.decode()
    desk.get(reverse("assistant:summary", args=[reference]))
    assert desk.post(reverse("assistant:scan", args=[reference]),
                     {"scan": _pdf("signed.pdf")}).status_code == 302
    response = desk.post(check, {"result_channel": "eaccount", "signed": "yes"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    case = ServiceCase.objects.get(acted_by=ActedBy.AGENT)
    document.refresh_from_db()
    assert document.case == case


@pytest.mark.parametrize(("language", "says"), [("en", "Error:"), ("lv", "Kļūda:")])
def test_http_a_file_that_is_not_what_its_name_says_is_refused_at_the_question(
        desk, service, family, language, says):
    assisted = _started(desk, service, family["parent"])
    with translation.override(language):
        url = reverse("assistant:page", args=[assisted.application.reference, "proof"])
    response = desk.post(url, {"name": "Jānis Bērziņš", "version": "0",
                               "certificate": _pdf(content=b"not a pdf at all")})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="f-certificate-error"' in html and says in html
    assert not Document.objects.filter(client_person=family["parent"]).exists()
    assisted.application.refresh_from_db()
    assert "certificate" not in assisted.application.answers


def test_http_without_the_required_file_the_page_is_not_saved(desk, service, family):
    assisted = _started(desk, service, family["parent"])
    url = reverse("assistant:page", args=[assisted.application.reference, "proof"])
    response = desk.post(url, {"name": "Jānis Bērziņš", "version": "0"})
    assert response.status_code == 422
    assert 'id="f-certificate-error"' in response.content.decode()


def test_http_an_uploaded_file_is_removable_and_another_clients_document_is_refused(
        desk, service, family):
    assisted = _started(desk, service, family["parent"])
    url = reverse("assistant:page", args=[assisted.application.reference, "proof"])
    assert desk.post(url, {"name": "Jānis Bērziņš", "certificate": _pdf(),
                           "version": "0"}).status_code == 302
    assisted.application.refresh_from_db()
    document_id = assisted.application.answers["certificate"]["document_id"]
    shown = desk.post(url, {"name": "Jānis Bērziņš", "certificate": str(document_id),
                            "remove_file": "certificate", "version": "1"})
    assert shown.status_code == 200 and 'type="file"' in shown.content.decode()
    # A document the client sent themself (not received at the centre) is not the agent's.
    parent = family["parent"]
    theirs = documents.store_document(Actor(kind="person", person=parent), client=parent,
                                      name="x.pdf", content=PDF, content_type="application/pdf",
                                      title="x", direction="sent")
    refused = desk.post(url, {"name": "Jānis Bērziņš", "certificate": str(theirs.pk),
                              "version": "1"})
    assert refused.status_code == 422
