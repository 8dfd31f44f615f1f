"""Document storage (C2): what is accepted, what is refused, the digest, the malware hook, and
that a failure stores nothing."""

from __future__ import annotations

import datetime
import hashlib
import os
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation

from durvis.audit.models import AuditEvent
from durvis.documents import queries as document_queries
from durvis.documents import services as documents
from durvis.documents.models import Document
from tests.documents.conftest import DOCX, EDOC, EICAR_FILE, PDF, PNG, _zip, stored_files


@pytest.fixture
def store(family, person_actor):
    """Store a file as the parent for themself (direction sent) unless told otherwise."""
    def run(name, content, content_type="application/octet-stream", **kwargs):
        options = {"actor": person_actor(family["parent"]), "client": family["parent"],
                   "title": "Izziņa", "direction": "sent", **kwargs}
        return documents.store_document(options.pop("actor"), name=name, content=content,
                                        content_type=content_type, **options)

    return run


def file_errors(excinfo):
    return [(e.code, str(e.message % (e.params or {}))) for e in excinfo.value.error_dict["file"]]


@pytest.mark.parametrize("kind", ["pdf", "png", "jpeg", "edoc", "asice", "docx", "odt", "txt"])
def test_every_allowed_kind_is_stored_with_its_digest_and_canonical_type(store, files, media,
                                                                         kind):
    name, content, declared = files[kind]
    document = store(name, content, declared)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert document.file_name == name
    assert document.scanned_by == "eicar"
    with document.file.open("rb") as stored:
        assert stored.read() == content
    assert name not in document.file.name  # stored under a random name, not the client's
    assert len(stored_files(media)) == 1


def test_oversized_file_is_refused_with_the_limit_in_the_users_language(store, settings, media):
    settings.DURVIS_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
    big = b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024)
    with translation.override("en"):
        with pytest.raises(ValidationError) as excinfo:
            store("big.pdf", big, "application/pdf")
        assert file_errors(excinfo) == [("too_large", "The file is larger than 10 MB.")]
    assert not Document.objects.exists() and stored_files(media) == []


def test_a_file_exactly_at_the_limit_is_accepted(store, settings):
    settings.DURVIS_DOCUMENT_MAX_BYTES = 1000
    assert store("a.txt", b"a" * 1000, "text/plain").size == 1000


def test_empty_file_is_refused(store, media):
    with pytest.raises(ValidationError) as excinfo:
        store("empty.pdf", b"", "application/pdf")
    assert file_errors(excinfo)[0][0] == "empty"
    assert stored_files(media) == []


@pytest.mark.parametrize(("name", "content", "declared"), [
    ("program.exe", b"MZ\x90\x00\x03", "application/octet-stream"),  # a forbidden kind
    ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ("no-extension", PDF, "application/pdf"),
    ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf"),  # an executable disguised
    ("photo.png", PDF, "image/png"),  # a PDF named as a picture
    ("letter.docx", EDOC, "application/octet-stream"),  # an eDoc named as DOCX
    ("signed.edoc", DOCX, "application/octet-stream"),  # a DOCX named as eDoc
    ("signed.edoc", _zip([("mimetype", b"application/zip"), ("x", b"y")]), ""),
    ("broken.edoc", b"PK\x03\x04garbage", ""),
    ("notes.txt", b"text\x00with a NUL byte", "text/plain"),
    ("notes.txt", b"\xff\xfe latin-1 or worse", "text/plain"),
    ("scan.pdf", PDF, "text/html"),  # the sender says it is something else
])
def test_forbidden_and_disguised_files_are_refused_naming_the_allowed_kinds(store, media, name,
                                                                            content, declared):
    with translation.override("en"):
        with pytest.raises(ValidationError) as excinfo:
            store(name, content, declared)
        ((code, message),) = file_errors(excinfo)
    assert code == "forbidden_type"
    assert message.startswith("Files of this type cannot be uploaded; allowed: PDF, PNG, JPEG")
    assert not Document.objects.exists() and stored_files(media) == []


def test_messages_are_translated_to_latvian(store):
    with translation.override("lv"):
        with pytest.raises(ValidationError) as excinfo:
            store("program.exe", b"MZ", "")
        ((code, message),) = file_errors(excinfo)
    assert code == "forbidden_type" and message.startswith("Šāda veida datnes")


def test_eicar_test_file_is_refused_and_nothing_is_stored(store, media):
    with pytest.raises(ValidationError) as excinfo:
        store("eicar.txt", EICAR_FILE, "text/plain")
    assert file_errors(excinfo)[0][0] == "malware"
    assert not Document.objects.exists() and stored_files(media) == []


def test_eicar_inside_an_allowed_file_is_refused(store):
    with pytest.raises(ValidationError) as excinfo:
        store("report.pdf", PDF + EICAR_FILE, "application/pdf")
    assert file_errors(excinfo)[0][0] == "malware"


def test_the_scanner_is_pluggable_and_an_unavailable_scanner_stores_nothing(store, settings,
                                                                            media):
    settings.DURVIS_MALWARE_SCANNER = "durvis.documents.scanning.clamav"
    settings.DURVIS_CLAMD_ADDRESS = "127.0.0.1:1"  # nothing listens there
    settings.DURVIS_CLAMD_TIMEOUT = 2
    with pytest.raises(ValidationError) as excinfo:
        store("a.pdf", PDF, "application/pdf")
    assert file_errors(excinfo)[0][0] == "scan_unavailable"
    assert stored_files(media) == []


def test_a_failure_after_the_file_was_written_leaves_no_file_and_no_row(store, media,
                                                                       monkeypatch):
    def broken_audit(*args, **kwargs):
        assert len(stored_files(media)) == 1  # the file was written before the failure
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(documents, "record", broken_audit)
    with pytest.raises(RuntimeError):
        store("a.pdf", PDF, "application/pdf")
    assert not Document.objects.exists()
    assert stored_files(media) == []


def test_the_store_is_audited_without_personal_codes(store, family):
    document = store("a.pdf", PDF, "application/pdf")
    event = AuditEvent.objects.get(action="documents.document.store", object_id=str(document.pk))
    assert event.subject_person_id == family["parent"].pk
    assert family["parent"].personal_code not in str(event.details)
    assert event.details["sha256"] == document.sha256


def test_files_left_by_a_rolled_back_outer_transaction_are_swept(store, media):
    """A caller (an inbox message) wraps several documents in its transaction; when it rolls
    back, the sweep removes the files no row names, once they are old enough."""
    kept = store("kept.pdf", PDF, "application/pdf")
    with pytest.raises(RuntimeError), transaction.atomic():
        store("lost.png", PNG, "image/png")
        raise RuntimeError("the message failed")
    assert len(stored_files(media)) == 2
    assert documents.sweep_orphan_files() == 0  # too young: may belong to a transaction
    old = time.time() - 2 * 3600
    for path in stored_files(media):
        os.utime(path, (old, old))
    assert documents.sweep_orphan_files(datetime.timedelta(hours=1)) == 1
    assert [p.name for p in stored_files(media)] == [kept.file.name.rsplit("/", 1)[-1]]


def test_file_names_are_cleaned(store):
    document = store("C:\\Users\\janis\\..\\lēmums\x07.pdf", PDF, "application/pdf")
    assert document.file_name == "lēmums.pdf"
    long = store("x" * 300 + ".pdf", PDF, "application/pdf")
    assert len(long.file_name) == 200 and long.file_name.endswith(".pdf")


def test_a_title_is_required(store):
    with pytest.raises(ValidationError) as excinfo:
        store("a.pdf", PDF, "application/pdf", title="   ")
    assert "title" in excinfo.value.error_dict


def test_a_person_stores_only_for_clients_they_act_for(store, family, person_actor):
    with pytest.raises(PermissionDenied):
        store("a.pdf", PDF, "application/pdf", client=family["stranger"])
    with pytest.raises(PermissionDenied):
        store("a.pdf", PDF, "application/pdf", case=family["strangers"])
    with pytest.raises(PermissionDenied):  # a person does not deliver as an institution
        store("a.pdf", PDF, "application/pdf", direction="received")
    for_child = store("a.pdf", PDF, "application/pdf", client=family["child"],
                      case=family["childs"])
    for_company = store("a.pdf", PDF, "application/pdf", client=family["company"],
                        case=family["companys"])
    assert (for_child.client_person, for_child.uploaded_by) == (family["child"], family["parent"])
    assert (for_company.client_company, for_company.client_person) == (family["company"], None)


def test_an_institution_delivers_to_the_client_of_its_own_case_only(family, api_client_factory):
    from durvis.integrations import services as integrations

    writer = integrations.api_actor(api_client_factory(
        "VSAA", operations=("messages:write",)).api_client)
    document = documents.store_document(
        writer, client=family["parent"], name="lēmums.pdf", content=PDF,
        content_type="application/pdf", title="Lēmums", direction="received",
        case=family["own"], is_result=True)
    assert document.institution.code == "VSAA" and document.uploaded_by is None
    with pytest.raises(PermissionDenied):  # the case is the stranger's, not the parent's
        documents.store_document(
            writer, client=family["parent"], name="a.pdf", content=PDF,
            content_type="application/pdf", title="x", direction="received",
            case=family["strangers"])
    with pytest.raises(PermissionDenied):  # a case of VID
        documents.store_document(
            writer, client=family["company"], name="a.pdf", content=PDF,
            content_type="application/pdf", title="x", direction="received",
            case=family["companys"])
    with pytest.raises(PermissionDenied):  # the scope is missing
        documents.store_document(
            family["system"], client=family["parent"], name="a.pdf", content=PDF,
            content_type="application/pdf", title="x", direction="received")


def test_documents_of_a_client_by_role_direction_and_case(store, family, person_actor):
    mine = store("a.pdf", PDF, "application/pdf", case=family["own"])
    company = store("b.pdf", PDF, "application/pdf", client=family["company"])
    assert list(document_queries.documents_of_client(family["parent"])) == [mine]
    assert list(document_queries.documents_of_client(family["company"])) == [company]
    assert list(document_queries.documents_of_client(family["parent"], direction="received")) == []
    assert list(document_queries.documents_of_client(family["parent"], case=family["own"])) == [mine]
    parent = person_actor(family["parent"])
    assert document_queries.documents_of_case(parent, family["own"], family["parent"]) == [mine]
    with pytest.raises(PermissionDenied):
        document_queries.documents_of_case(parent, family["strangers"], family["stranger"])
    stranger = person_actor(family["stranger"])
    with pytest.raises(Document.DoesNotExist):
        document_queries.open_for_download(stranger, mine.pk, family["stranger"])
    assert document_queries.open_for_download(parent, mine.pk, family["parent"]) == mine


def test_the_sweep_command_reports_what_it_removed(store, media):
    from io import StringIO

    from django.core.management import call_command

    store("a.pdf", PDF, "application/pdf")
    orphan = media / "documents" / "2020" / "01" / "0123abcd"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(PDF)
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    out = StringIO()
    call_command("sweep_document_files", "--minutes", "60", stdout=out)
    assert "removed 1" in out.getvalue()
    assert not orphan.exists() and len(stored_files(media)) == 1
