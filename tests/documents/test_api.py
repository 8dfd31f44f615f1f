"""The documents API for institutions (C2) through HTTP: a back-office system delivers a result
document about a case; it appears in the client's documents and its case, the client is told;
idempotent retries, scopes and refusals in the one error body."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from durvis.documents.models import Document
from durvis.integrations.models import OutboxMessage
from tests.documents.conftest import EDOC, EICAR_FILE, PDF, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(api_client_factory, family):
    """VSAA's system with the scope to write to clients."""
    return api_client_factory("VSAA", operations=("cases:read", "messages:write"))


def post_document(http, case, *, name="lēmums.pdf", content=PDF, content_type="application/pdf",
                  title="Lēmums par pabalstu", is_result=True, **headers):
    from django.core.files.uploadedfile import SimpleUploadedFile

    number = case.number.replace(" ", "-") if hasattr(case, "number") else case
    return http.post(
        f"/api/v1/cases/{number}/documents",
        {"title": title, "is_result": "true" if is_result else "false",
         "file": SimpleUploadedFile(name, content, content_type=content_type)},
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})


def test_a_result_document_reaches_the_clients_documents_and_case(writer, family, client_login):
    response = post_document(writer, family["own"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (body["size"], body["content_type"], body["title"]) == (
        len(PDF), "application/pdf", "Lēmums par pabalstu")
    assert body["is_result"] is True and body["case_number"] == family["own"].number
    assert {"id", "created_at"} <= set(body)
    document = Document.objects.get(pk=body["id"])
    assert (document.direction, document.client_person, document.institution.code) == (
        "received", family["parent"], "VSAA")

    client = client_login(family["parent"])
    listing = client.get(reverse("documents:list")).content.decode()
    assert "Lēmums par pabalstu" in listing
    case_page = client.get(reverse("eaccount:case", args=[family["own"].number])).content.decode()
    assert reverse("documents:download", args=[document.pk]) in case_page
    download = client.get(reverse("documents:download", args=[document.pk]))
    assert download.status_code == 200 and download.content == PDF


def test_the_client_is_told_without_personal_data(writer, family, worker):
    post_document(writer, family["own"])
    worker.events()
    (mail,) = OutboxMessage.objects.filter(channel="email", event="results")
    assert mail.recipient == family["parent"].email
    text = mail.payload["subject"] + mail.payload["body"]
    assert family["own"].number in text
    assert family["parent"].personal_code not in text and "Jānis" not in text
    post_document(writer, family["own"], is_result=False, title="Paskaidrojums")
    worker.events()
    assert OutboxMessage.objects.filter(channel="email", event="messages").count() == 1


def test_a_retry_with_the_same_key_stores_one_document(writer, family, media):
    first = post_document(writer, family["own"], **{"Idempotency-Key": "doc-1"})
    again = post_document(writer, family["own"], **{"Idempotency-Key": "doc-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Document.objects.count() == 1 and len(stored_files(media)) == 1
    other = post_document(writer, family["own"], content=PDF + b"\n%another",
                          **{"Idempotency-Key": "doc-1"})
    assert other.status_code == 409
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_without_the_messages_write_scope_it_is_403(family, api_client_factory):
    reader = api_client_factory("VSAA", operations=("cases:read",))
    response = post_document(reader, family["own"])
    assert response.status_code == 403
    assert response.json()["detail"][0]["type"] == "forbidden"
    assert not Document.objects.exists()


def test_without_a_token_it_is_401(client, family):
    assert post_document(client, family["own"]).status_code == 401


def test_a_case_of_another_institution_is_404(writer, family):
    response = post_document(writer, family["companys"])  # a VID case
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"
    assert post_document(writer, "1011-00000").status_code in (404, 422)
    assert not Document.objects.exists()


def test_an_oversized_file_is_413(writer, family, settings, media):
    settings.DURVIS_DOCUMENT_MAX_BYTES = 1024
    response = post_document(writer, family["own"], content=PDF + b"0" * 2000,
                             accept_language="en")
    assert response.status_code == 413
    assert response.json() == {"detail": [{"loc": ["body", "file"], "type": "too_large",
                                           "msg": "The file is larger than 1 KB."}]}
    assert stored_files(media) == []


@pytest.mark.parametrize(("name", "content", "type_"), [
    ("decision.exe", b"MZ\x90\x00", "forbidden_type"),
    ("decision.pdf", EDOC, "forbidden_type"),  # an eDoc disguised as a PDF
    ("decision.pdf", b"", "empty"),
    ("eicar.txt", EICAR_FILE, "malware"),
])
def test_forbidden_files_are_422_in_the_one_error_body(writer, family, media, name, content,
                                                       type_):
    response = post_document(writer, family["own"], name=name, content=content,
                             content_type="application/octet-stream")
    assert response.status_code == 422, response.content
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "file"], type_)
    assert not Document.objects.exists() and stored_files(media) == []


def test_an_edoc_is_delivered(writer, family):
    response = post_document(writer, family["own"], name="lēmums.edoc", content=EDOC,
                             content_type="application/vnd.etsi.asic-e+zip")
    assert response.status_code == 201
    assert response.json()["content_type"] == "application/vnd.etsi.asic-e+zip"


def test_a_title_is_required(writer, family):
    response = post_document(writer, family["own"], title="")
    assert response.status_code == 422


def test_a_delivery_that_fails_after_the_file_was_written_leaves_no_file(writer, family, media,
                                                                        monkeypatch):
    from durvis.documents import services as documents

    def broken_publish(*args, **kwargs):
        assert len(stored_files(media)) == 1  # the file was written before the failure
        raise RuntimeError("event store unavailable")

    monkeypatch.setattr(documents, "publish", broken_publish)
    with pytest.raises(RuntimeError):
        post_document(writer, family["own"], **{"Idempotency-Key": "doc-2"})
    assert not Document.objects.exists() and stored_files(media) == []
