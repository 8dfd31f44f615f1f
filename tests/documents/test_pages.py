"""The e-account's documents pages (C2) through HTTP: the list of the role's documents, the
upload with its refusals said next to the field, and the download; another client's document
answers 404 in every role."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.documents import services as documents
from durvis.documents.models import Document
from tests.documents.conftest import EICAR_FILE, PDF, stored_files

pytestmark = pytest.mark.django_db


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def store_for(family, client, **kwargs):
    return documents.store_document(
        Actor(kind="person", person=family["parent"]), client=client, name="a.pdf",
        content=PDF, content_type="application/pdf", title=kwargs.pop("title", "Izziņa"),
        direction="sent", **kwargs)


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def test_signed_out_visitor_is_sent_to_sign_in(client):
    for url in (reverse("documents:list"), reverse("documents:upload"),
                reverse("documents:download", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("client-signin"))


def test_upload_then_list_then_download(client_login, family, media):
    client = client_login(family["parent"])
    form = client.get(reverse("documents:upload")).content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert family["own"].number in form and family["strangers"].number not in form  # own cases
    response = client.post(reverse("documents:upload"), {
        "title": "Izziņa par ienākumiem", "file": upload("izziņa.pdf", PDF),
        "case": family["own"].pk, "opened_as": "self"})
    assert response.status_code == 302 and response["Location"] == reverse("documents:list")
    document = Document.objects.get()
    assert (document.direction, document.case, document.institution.code) == (
        "sent", family["own"], "VSAA")  # a document about a case is for its holder

    page = client.get(reverse("documents:list")).content.decode()
    assert "Izziņa par ienākumiem" in page
    assert reverse("eaccount:case", args=[family["own"].number]) in page
    assert 'aria-current="page"' in page and reverse("documents:list") in page

    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''izzi%C5%86a.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="documents.document.download",
                                     object_id=str(document.pk)).exists()
    case_page = client.get(reverse("eaccount:case", args=[family["own"].number])).content.decode()
    assert reverse("documents:download", args=[document.pk]) in case_page


def test_list_filters_by_direction(client_login, family):
    sent = store_for(family, family["parent"], title="Mans iesniegums")
    client = client_login(family["parent"])
    page = client.get(reverse("documents:list"), {"direction": "received"}).content.decode()
    assert sent.title not in page
    page = client.get(reverse("documents:list"), {"direction": "sent"}).content.decode()
    assert sent.title in page


@pytest.mark.parametrize(("name", "content", "message"), [
    ("program.exe", b"MZ\x90\x00", "Files of this type cannot be uploaded; allowed: PDF"),
    ("invoice.pdf", b"MZ\x90\x00", "Files of this type cannot be uploaded; allowed: PDF"),
    ("eicar.txt", EICAR_FILE, "The file was refused by the malware check."),
])
def test_a_refused_file_is_said_next_to_the_field_and_the_title_stays(client_login, family,
                                                                      media, name, content,
                                                                      message):
    response = client_login(family["parent"]).post(en("documents:upload"), {
        "title": "Mans iesniegums", "opened_as": "self",
        "file": upload(name, content, "application/octet-stream")})
    assert response.status_code == 422
    page = response.content.decode()
    field_block = page[page.index('for="id_file"'):page.index('name="file"')]
    assert message in field_block
    assert 'value="Mans iesniegums"' in page
    assert not Document.objects.exists() and stored_files(media) == []


def test_an_oversized_file_is_refused_before_it_is_read(client_login, family, settings, media):
    settings.DURVIS_DOCUMENT_MAX_BYTES = 1024 * 1024
    response = client_login(family["parent"]).post(en("documents:upload"), {
        "title": "Liels", "opened_as": "self", "file": upload("big.pdf", b"%PDF-" + b"0" * (1024 * 1024))})
    assert response.status_code == 422
    assert "The file is larger than 1 MB." in response.content.decode()
    assert stored_files(media) == []


def test_another_clients_case_cannot_be_chosen(client_login, family):
    response = client_login(family["parent"]).post(reverse("documents:upload"), {
        "title": "X", "file": upload("a.pdf", PDF), "case": family["strangers"].pk,
        "opened_as": "self"})
    assert response.status_code == 422 and not Document.objects.exists()


@pytest.mark.parametrize("role", ["self", "child", "company"])
def test_another_clients_document_answers_404_in_every_role(client_login, family, role):
    own = {"self": family["parent"], "child": family["child"], "company": family["company"]}
    key = {"self": None, "child": f"person:{family['child'].pk}",
           "company": f"company:{family['company'].pk}"}[role]
    documents_by_role = {name: store_for(family, client) for name, client in own.items()}
    stranger = documents.store_document(
        Actor(kind="person", person=family["stranger"]), client=family["stranger"],
        name="a.pdf", content=PDF, content_type="application/pdf", title="Svešs",
        direction="sent")
    client = client_login(family["parent"], role=key)
    mine = documents_by_role[role]
    assert client.get(reverse("documents:download", args=[mine.pk])).status_code == 200
    for other in [stranger, *(d for name, d in documents_by_role.items() if name != role)]:
        assert client.get(reverse("documents:download", args=[other.pk])).status_code == 404
    assert client.get(reverse("documents:download", args=[999_999])).status_code == 404
    page = client.get(reverse("documents:list")).content.decode()
    assert reverse("documents:download", args=[mine.pk]) in page
    assert reverse("documents:download", args=[stranger.pk]) not in page


def test_the_company_role_uploads_for_the_company(client_login, family):
    client = client_login(family["parent"], role=f"company:{family['company'].pk}")
    response = client.post(reverse("documents:upload"), {
        "title": "Gada pārskats", "file": upload("parskats.pdf", PDF),
        "case": family["companys"].pk, "opened_as": f"company:{family['company'].pk}"})
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.client_company, document.client_person) == (family["company"], None)
    assert document.uploaded_by == family["parent"]
