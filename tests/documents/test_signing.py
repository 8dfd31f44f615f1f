"""Signing a document in the e-account (C1, C2, issue 15): an institution asks the client to sign
a document it sends (the staff's message page, the API); the client, or whoever may sign in the
client's name — a parent of a minor, a company's representative who may act alone, a
representative whose mandate has the right `sign` for the document's service — confirms it on a
page that shows the document, "I sign this document" and the signer's name. One signature row
(who, in whose name, when, the SHA-256, the mandate relied on), audited, published as
`document.signed` to the institution's webhook, and shown on the document in the e-account, on
the staff's case page and in the API. Signing twice, a document that asks no signature, and a
representative without the right are refused with a clear message, nothing stored."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.core.models import DomainEvent
from durvis.documents import services as documents
from durvis.documents.models import Document, Signature
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxChannel, OutboxMessage
from durvis.mandates import services as mandates
from tests.documents.samples import PDF
from tests.integrations.event_checks import check_stored_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(api_client_factory, family):
    """VSAA's system with the scope to write to clients."""
    return api_client_factory("VSAA", operations=("cases:read", "messages:write"))


@pytest.fixture
def helper(family):
    return identity.record_person(personal_code="05118012342", given_name="Ilze",
                                  family_name="Palīdze", email="ilze@example.lv")


def as_person(person):
    return Actor(kind="person", person=person)


def grant(grantor, grantee, rights, **terms):
    return mandates.grant(as_person(grantor), grantor, grantee.personal_code,
                          mandates.Terms(rights=rights, **terms))


def deliver(writer, case, *, signature_requested=True, is_result=False, title="Līgums"):
    number = case.number.replace(" ", "-")
    response = writer.post(f"/api/v1/cases/{number}/documents", {
        "title": title, "is_result": "true" if is_result else "false",
        "signature_requested": "true" if signature_requested else "false",
        "file": SimpleUploadedFile("ligums.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 201, response.content
    return response.json()


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def test_the_client_signs_and_the_institution_hears_and_reads_it(
        writer, family, sign_in, vsaa_admin, institutions, worker, staff, staff_login, client):
    integrations.register_webhook(vsaa_admin, institutions["VSAA"], "https://vsaa.example/hook",
                                  ["document.signed"])
    body = deliver(writer, family["own"])
    assert body["signature_requested"] is True and body["signature"] is None
    assert body["mandate"] is None
    parent = family["parent"]
    browser = sign_in(parent)
    listing = browser.get(reverse("documents:list")).content.decode()
    assert reverse("documents:sign", args=[body["id"]]) in listing
    page = browser.get(reverse("documents:sign", args=[body["id"]]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Parakstu šo dokumentu" in text and "Jānis Bērziņš" in text and "Līgums" in text
    assert "eParaksts" in text

    response = browser.post(reverse("documents:sign", args=[body["id"]]), {})
    assert response.status_code == 302
    signature = Signature.objects.get(document_id=body["id"])
    assert (signature.signed_by, signature.client_person, signature.mandate) == (
        parent, parent, None)
    assert signature.sha256 == hashlib.sha256(PDF).hexdigest()
    entry = AuditEvent.objects.get(action="documents.document.sign")
    assert entry.subject_person_id == parent.pk and parent.personal_code not in str(entry.details)

    listing = browser.get(reverse("documents:list")).content.decode()
    assert "Parakstīja Jānis Bērziņš" in listing
    case_page = browser.get(reverse("eaccount:case", args=[family["own"].number])).content.decode()
    assert "Parakstīja Jānis Bērziņš" in case_page

    worker.events()
    hook = OutboxMessage.objects.get(channel=OutboxChannel.WEBHOOK, event="document.signed")
    item, = hook.payload["items"]
    assert item["document_id"] == body["id"] and item["case_number"] == family["own"].number
    assert parent.personal_code not in str(hook.payload)
    assert check_stored_events() >= 2  # the webhook's CloudEvent and the feed's (issue 20)

    read = writer.get(f"/api/v1/documents/{body['id']}").json()
    assert read["signature"]["signed_by"] == "Jānis Bērziņš"
    assert read["signature"]["mandate"] is None
    assert read["signature"]["sha256"] == hashlib.sha256(PDF).hexdigest()

    officer = identity.record_staff(username="bo.vsaa", password="pw-long-enough-for-tests",
                                    institution=institutions["VSAA"], roles=["back_office"])
    staff_page = staff_login(client, officer).get(
        reverse("administration:case", args=[family["own"].number])).content.decode()
    assert "Parakstīja Jānis Bērziņš" in staff_page


def test_signing_twice_or_a_document_that_asks_none_is_refused_in_both_languages(
        writer, family, sign_in):
    asks = deliver(writer, family["own"])
    plain = deliver(writer, family["own"], signature_requested=False, title="Izziņa")
    browser = sign_in(family["parent"])
    assert browser.post(reverse("documents:sign", args=[asks["id"]]), {}).status_code == 302
    again = browser.post(reverse("documents:sign", args=[asks["id"]]), {})
    assert again.status_code == 422 and "jau ir parakstīts" in again.content.decode()
    again_en = browser.post(en("documents:sign", asks["id"]), {})
    assert again_en.status_code == 422 and "signed already" in again_en.content.decode()
    refused = browser.post(en("documents:sign", plain["id"]), {})
    assert refused.status_code == 422
    assert "did not ask for this document to be signed" in refused.content.decode()
    assert Signature.objects.count() == 1
    assert AuditEvent.objects.filter(action="documents.document.sign").count() == 1
    assert DomainEvent.objects.filter(name="document.signed").count() == 1


def test_another_clients_document_is_not_found(writer, family, sign_in):
    body = deliver(writer, family["strangers"])
    browser = sign_in(family["parent"])
    assert browser.get(reverse("documents:sign", args=[body["id"]])).status_code == 404
    assert browser.post(reverse("documents:sign", args=[body["id"]]), {}).status_code == 404
    assert not Signature.objects.exists()


def test_a_representative_needs_the_sign_right_for_the_service(writer, family, sign_in, helper):
    parent, case = family["parent"], family["own"]
    body = deliver(writer, case)
    grant(parent, helper, ["apply", "read"])
    browser = sign_in(helper, f"person:{parent.pk}")
    page = browser.get(en("documents:sign", body["id"]))
    assert page.status_code == 200 and "needs the right to sign" in page.content.decode()
    refused = browser.post(en("documents:sign", body["id"]), {})
    assert refused.status_code == 403 and "needs the right to sign" in refused.content.decode()
    assert not Signature.objects.exists()
    assert not AuditEvent.objects.filter(action="documents.document.sign").exists()

    # The right to sign, but for another service: still refused.
    other = grant(parent, helper, ["sign"], scope="services", service_ids=[
        family["companys"].service_id])
    assert browser.post(en("documents:sign", body["id"]), {}).status_code == 403
    mandates.revoke(as_person(parent), other)
    signer = grant(parent, helper, ["sign"], scope="services", service_ids=[case.service_id])
    assert browser.post(en("documents:sign", body["id"]), {}).status_code == 302
    signature = Signature.objects.get()
    assert (signature.signed_by, signature.client_person, signature.mandate) == (
        helper, parent, signer)
    listing = sign_in(parent).get(en("documents:list")).content.decode()
    assert "Signed by Ilze Palīdze" in listing and f"mandate no. {signer.pk}" in listing
    read = writer.get(f"/api/v1/documents/{body['id']}").json()
    assert read["signature"]["mandate"] == signer.pk
    assert read["signature"]["signed_by"] == "Ilze Palīdze"


def test_a_parent_signs_for_the_child_and_a_joint_representative_may_not(
        writer, family, sign_in, joint_representative, api_client_factory):
    parent, child, company = family["parent"], family["child"], family["company"]
    childs = deliver(writer, family["childs"])
    browser = sign_in(parent, f"person:{child.pk}")
    assert browser.post(reverse("documents:sign", args=[childs["id"]]), {}).status_code == 302
    signature = Signature.objects.get(document_id=childs["id"])
    assert (signature.signed_by, signature.client_person, signature.mandate) == (
        parent, child, None)

    vid = api_client_factory("VID", operations=("cases:read", "messages:write"))
    doc = Document.objects.get(pk=deliver(vid, family["companys"])["id"])
    joint = sign_in(joint_representative, f"company:{company.pk}")
    refused = joint.post(en("documents:sign", doc.pk), {})
    assert refused.status_code == 403 and "only jointly" in refused.content.decode()
    assert not Signature.objects.filter(document=doc).exists()
    alone = sign_in(parent, f"company:{company.pk}")
    assert alone.post(reverse("documents:sign", args=[doc.pk]), {}).status_code == 302
    signature = Signature.objects.get(document=doc)
    assert (signature.client_company, signature.client_person) == (company, None)


def test_staff_ask_for_a_signature_when_they_send_an_attachment(
        family, institutions, staff_login, client, sign_in):
    officer = identity.record_staff(username="bo.vsaa", password="pw-long-enough-for-tests",
                                    institution=institutions["VSAA"], roles=["back_office"])
    staff_login(client, officer)
    url = reverse("staff-messages:new")
    missing = client.post(url, {"case_number": family["own"].number, "subject": "Līgums",
                                "body": "Lūdzu parakstiet.", "signature_requested": "on"})
    assert missing.status_code == 422 and "Pievienojiet" in missing.content.decode()
    sent = client.post(url, {
        "case_number": family["own"].number, "subject": "Līgums", "body": "Lūdzu parakstiet.",
        "attachment": SimpleUploadedFile("ligums.pdf", PDF, content_type="application/pdf"),
        "attachment_title": "Līgums", "signature_requested": "on"})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    document = Document.objects.get(title="Līgums")
    assert document.signature_requested and document.direction == "received"
    browser = sign_in(family["parent"])
    assert browser.post(reverse("documents:sign", args=[document.pk]), {}).status_code == 302


def test_a_client_cannot_ask_for_a_signature_on_what_they_send(family):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        documents.store_document(as_person(family["parent"]), client=family["parent"],
                                 name="a.pdf", content=PDF, content_type="application/pdf",
                                 title="Mans", direction="sent", signature_requested=True)
    assert "signature_requested" in refused.value.error_dict
    assert not Document.objects.exists()


def test_the_api_document_of_another_institution_is_404(writer, family, api_client_factory):
    body = deliver(writer, family["own"])
    vid = api_client_factory("VID", operations=("cases:read", "messages:write"))
    response = vid.get(f"/api/v1/documents/{body['id']}")
    assert response.status_code == 404 and response.json()["detail"][0]["type"] == "not_found"
    assert writer.get("/api/v1/documents/999999").status_code == 404


def test_a_message_of_the_api_asks_to_sign_its_attachments(family, vsaa_api, sign_in):
    import base64

    response = vsaa_api.post("/api/v1/messages", {
        "personal_code": family["parent"].personal_code, "subject": "Līgums",
        "body": "Lūdzu parakstiet.", "case_number": family["own"].number,
        "signature_requested": True, "attachments": [{
            "name": "ligums.pdf", "content_type": "application/pdf", "title": "Līgums",
            "content": base64.b64encode(PDF).decode()}]}, content_type="application/json")
    assert response.status_code == 201, response.content
    attachment, = response.json()["attachments"]
    assert attachment["signature_requested"] is True and attachment["signature"] is None
    browser = sign_in(family["parent"])
    assert browser.post(reverse("documents:sign", args=[attachment["id"]]), {}).status_code == 302
    detail = vsaa_api.get(f"/api/v1/messages/{response.json()['id']}").json()
    assert detail["attachments"][0]["signature"]["signed_by"] == "Jānis Bērziņš"
