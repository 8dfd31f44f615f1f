"""Files dangerous to the people who open them (issue 11, C2): refused by kind on every path
that stores a file (the documents service, the e-account's upload, the documents API, the
messages API), each with a stable code and a message in the person's language, and nothing
stored; a picture with something appended is stored as the picture alone."""

from __future__ import annotations

import base64
import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from durvis.core.actor import Actor
from durvis.documents import services as documents
from durvis.documents.models import Document
from durvis.documents.scanning import ScanResult
from durvis.messaging.models import InboxMessage
from tests.documents import samples
from tests.documents.conftest import stored_files
from tests.documents.samples import PDF, PNG, docx, edoc, odt, pdf, zip_bomb, zip_of

pytestmark = pytest.mark.django_db

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def encrypted_pdf() -> bytes:
    with pikepdf.open(io.BytesIO(PDF)) as document:
        buffer = io.BytesIO()
        document.save(buffer, encryption=pikepdf.Encryption(owner="īpašnieks", user="parole"))
    return buffer.getvalue()


def zip_with_encrypted_part() -> bytes:
    """A DOCX whose main part says it is encrypted (bit 0 of its flags, in the local header
    and in the central directory): no reader of ours can look inside."""
    content = bytearray(docx())
    local = content.rfind(b"PK\x03\x04")
    central = content.rfind(b"PK\x01\x02")
    content[local + 6] |= 0x1
    content[central + 8] |= 0x1
    return bytes(content)


def nested(depth: int) -> bytes:
    inner = zip_of([("a.txt", b"a")])
    for level in range(depth):
        inner = zip_of([(f"level{level}.zip", inner)])
    return edoc(("archive.zip", inner))


# (file name, content, code): every dangerous file of the issue, and the ways around a check.
DANGEROUS = [
    pytest.param("lēmums.pdf", samples.PDF_HTML_BEFORE, "polyglot", id="html-before-pdf"),
    pytest.param("lēmums.pdf", samples.PDF_HTML_INSIDE, "polyglot", id="html-inside-pdf"),
    pytest.param("lēmums.pdf", samples.PDF_OPEN_JAVASCRIPT, "javascript", id="pdf-openaction-js"),
    pytest.param("lēmums.pdf", samples.PDF_ESCAPED_JAVASCRIPT, "javascript",
                 id="pdf-js-hex-escaped-names"),
    pytest.param("lēmums.pdf", samples.PDF_NAMED_JAVASCRIPT, "javascript", id="pdf-js-name-tree"),
    pytest.param("lēmums.pdf", samples.PDF_SPACED_NAMES, "javascript", id="pdf-js-no-spaces"),
    pytest.param("lēmums.pdf", samples.PDF_ORPHAN_JAVASCRIPT, "javascript", id="pdf-js-orphan"),
    pytest.param("lēmums.pdf", samples.PDF_LAUNCH, "launch_action", id="pdf-launch"),
    pytest.param("lēmums.pdf", samples.PDF_PAGE_ACTION_LAUNCH, "launch_action",
                 id="pdf-page-action-launch-escaped"),
    pytest.param("lēmums.pdf", encrypted_pdf(), "encrypted", id="pdf-password"),
    pytest.param("lēmums.pdf", b"%PDF-1.7\nnot a pdf at all\n", "damaged", id="pdf-damaged"),
    pytest.param("vēstule.docx", samples.DOCX_VBA_PART, "macro", id="docx-vbaproject-part"),
    pytest.param("vēstule.docx", samples.DOCX_MACRO_TYPE, "macro", id="docx-macro-enabled"),
    pytest.param("vēstule.docx", samples.DOCX_EMBEDDED_VBA, "macro", id="docx-embedded-ole-vba"),
    pytest.param("vēstule.odt", samples.ODT_BASIC, "macro", id="odt-basic"),
    pytest.param("vēstule.odt", samples.ODT_EVENT_SCRIPT, "macro", id="odt-event-script"),
    pytest.param("vēstule.docx", samples.DOCX_EICAR, "malware", id="docx-eicar-compressed"),
    pytest.param("vēstule.docx", zip_with_encrypted_part(), "encrypted", id="docx-encrypted-part"),
    pytest.param("signed.edoc", edoc(("lēmums.pdf", samples.PDF_OPEN_JAVASCRIPT)), "javascript",
                 id="edoc-with-pdf-js"),
    pytest.param("signed.edoc", edoc(("vēstule.docx", samples.DOCX_VBA_PART)), "macro",
                 id="edoc-with-docx-macro"),
    pytest.param("signed.edoc", edoc(("vēstule.docx", samples.DOCX_EICAR)), "malware",
                 id="edoc-with-docx-eicar"),
    pytest.param("signed.edoc", nested(3), "archive_nested", id="edoc-nested-archives"),
    pytest.param("bilde.png", PNG[:-12], "damaged", id="png-without-end"),
    pytest.param("bilde.png", samples.png_hiding_a_zip(), "polyglot", id="png-zip-in-a-chunk"),
]
BOMBS = [
    pytest.param("vēstule.docx", lambda: zip_bomb(), "archive_too_large", id="docx-1-gib-bomb"),
    pytest.param("vēstule.docx", lambda: zip_bomb(50 * 1024 * 1024), "archive_ratio",
                 id="docx-dense-50-mib"),
    pytest.param("vēstule.docx", lambda: zip_bomb(50 * 1024 * 1024, declared=1000), "damaged",
                 id="docx-bomb-understating-its-size"),
]


@pytest.fixture
def store(family):
    def run(name, content, content_type="application/octet-stream"):
        return documents.store_document(
            Actor(kind="person", person=family["parent"]), client=family["parent"], name=name,
            content=content, content_type=content_type, title="Izziņa", direction="sent")

    return run


def refusal(excinfo) -> tuple[str, str]:
    (error,) = excinfo.value.error_dict["file"]
    return error.code, str(error.message % (error.params or {}))


@pytest.mark.parametrize(("name", "content", "code"), DANGEROUS)
def test_a_dangerous_file_is_refused_with_its_code_and_nothing_is_stored(store, media, name,
                                                                         content, code):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        store(name, content)
    assert refusal(excinfo)[0] == code
    assert not Document.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(("name", "make", "code"), BOMBS)
def test_a_zip_bomb_is_refused_before_it_is_unpacked(store, media, name, make, code):
    bomb = make()
    assert len(bomb) < 2 * 1024 * 1024  # it fits well under the upload limit
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        store(name, bomb, DOCX_TYPE)
    assert refusal(excinfo)[0] == code
    assert not Document.objects.exists() and stored_files(media) == []


def test_the_bomb_refusals_name_their_limits(store, settings):
    settings.DURVIS_ARCHIVE_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
    with translation.override("en"):
        with pytest.raises(ValidationError) as too_large:
            store("a.docx", zip_bomb())
        with pytest.raises(ValidationError) as dense:
            store("a.docx", zip_bomb(50 * 1024 * 1024))
        assert refusal(too_large)[1] == "Unpacked, the file would be larger than 100 MB."
        assert refusal(dense)[1].startswith("Part of the file unpacks to more than 100 times")


def test_the_unpacked_limit_counts_archives_inside_archives_once(store, settings):
    settings.DURVIS_ARCHIVE_MAX_UNPACKED_BYTES = 3000
    part = docx(document=b"x" * 1000)  # unpacks to about 1,250 bytes
    assert store("a.edoc", edoc(("a.docx", part))).pk
    with pytest.raises(ValidationError) as excinfo:
        store("b.edoc", edoc(("a.docx", part), ("b.docx", part)))
    assert refusal(excinfo)[0] == "archive_too_large"


@pytest.mark.parametrize(("name", "content"), [
    ("lēmums.pdf", pdf(catalog=b"/OpenAction [3 0 R /Fit]")),  # opens at the page: no action
    ("lēmums.pdf", pdf(page=b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
                            b"/A << /S /URI /URI (https://www.latvija.gov.lv/) >> >>]")),
    ("lēmums.pdf", pdf(catalog=b"/Names << /Dests << /Names [(a) [3 0 R /Fit]] >> >>")),
    ("lēmums.pdf", pdf(objects=(samples.stream(b"BT /F1 12 Tf (JavaScript) Tj ET"),),
                       page=b"/Contents 4 0 R")),  # the word in the text is no script
    ("foto.jpg", samples.jpeg(progressive=True)),
    # picture data that happen to hold a zip's end-of-archive signature are no archive
    ("bilde.png", PNG[:-12] + samples.png_chunk(b"tEXt", b"Comment\x00PK\x05\x06" + b"\x07" * 18)
     + PNG[-12:]),
    ("vēstule.odt", odt(("Pictures/a.png", PNG))),
    ("vēstule.docx", docx(("word/media/image1.png", PNG),
                          ("word/embeddings/Microsoft_Excel_Worksheet.xlsx",
                           zip_of([("[Content_Types].xml", b"<Types/>")])))),
    ("signed.edoc", edoc(("vēstule.docx", docx()), ("lēmums.pdf", PDF))),
    ("signed.edoc", edoc(("vēstule.docx", docx(("word/embeddings/Worksheet.xlsx", zip_of([
        ("[Content_Types].xml", b"<Types/>")])))))),  # the deepest nesting allowed
])
def test_harmless_files_of_the_same_kinds_are_stored(store, name, content):
    document = store(name, content)
    with document.file.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(("name", "picture"), [("bilde.png", PNG), ("foto.jpg", samples.JPEG)])
@pytest.mark.parametrize("appended", [
    zip_of([("payload.html", b"<script>alert(1)</script>")]),
    b"<html><script>alert(1)</script></html>",
    b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64,  # a motion photo's video
])
def test_a_picture_is_stored_without_what_was_appended_after_its_end(store, media, name,
                                                                     picture, appended):
    document = store(name, picture + appended)
    with document.file.open("rb") as stored:
        assert stored.read() == picture
    assert (document.size, len(stored_files(media))) == (len(picture), 1)
    assert not samples.zipfile.is_zipfile(media / document.file.name)


def test_every_part_of_an_archive_passes_the_scanner(store, settings, monkeypatch):
    seen = []

    def scanner(name, content):
        seen.append(name)
        return ScanResult(clean=True, scanner="test")

    monkeypatch.setattr(documents, "configured_scanner", lambda: scanner)
    store("signed.edoc", edoc(("vēstule.docx", docx()), ("lēmums.pdf", PDF)))
    assert seen == [
        "signed.edoc/mimetype", "signed.edoc/META-INF/manifest.xml", "signed.edoc/vēstule.docx",
        "signed.edoc/vēstule.docx/[Content_Types].xml",
        "signed.edoc/vēstule.docx/word/document.xml", "signed.edoc/lēmums.pdf",
        "signed.edoc/META-INF/signatures0.xml", "signed.edoc"]


# --- Through every path that stores a file ------------------------------------------------------

THROUGH_THE_PATHS = [
    pytest.param("lēmums.pdf", samples.PDF_HTML_BEFORE, "polyglot", id="polyglot"),
    pytest.param("lēmums.pdf", samples.PDF_ESCAPED_JAVASCRIPT, "javascript", id="javascript"),
    pytest.param("lēmums.pdf", samples.PDF_LAUNCH, "launch_action", id="launch"),
    pytest.param("vēstule.docx", samples.DOCX_VBA_PART, "macro", id="macro"),
    pytest.param("vēstule.docx", zip_bomb(), "archive_too_large", id="zip-bomb"),
    pytest.param("vēstule.docx", samples.DOCX_EICAR, "malware", id="eicar-in-docx"),
]


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


ENGLISH = {
    "polyglot": "The file is something else before it is a PDF (a web page, for example)",
    "javascript": "PDF files with JavaScript cannot be uploaded",
    "launch_action": "PDF files that start programs or open other files cannot be uploaded",
    "macro": "Documents with macros cannot be uploaded",
    "archive_too_large": "Unpacked, the file would be larger than 100 MB.",
    "malware": "The file was refused by the malware check.",
}


@pytest.mark.parametrize(("name", "content", "code"), THROUGH_THE_PATHS)
def test_the_eaccount_upload_says_why_next_to_the_field(client_login, family, media, name,
                                                        content, code):
    with translation.override("en"):
        url = reverse("documents:upload")
    response = client_login(family["parent"]).post(url, {"title": "Iesniegums",
                                                         "file": upload(name, content),
                                                         "opened_as": "self"})
    assert response.status_code == 422
    page = response.content.decode()
    assert ENGLISH[code] in page[page.index('for="id_file"'):page.index('name="file"')]
    assert 'value="Iesniegums"' in page
    assert not Document.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(("content", "message"), [
    (samples.PDF_OPEN_JAVASCRIPT, "PDF datnes ar JavaScript nevar augšupielādēt"),
    (samples.PDF_LAUNCH, "PDF datnes, kas palaiž programmas vai atver citas datnes, nevar"),
])
def test_the_eaccount_upload_says_why_in_latvian(client_login, family, media, content, message):
    response = client_login(family["parent"]).post(reverse("documents:upload"), {
        "title": "Iesniegums", "file": upload("lēmums.pdf", content), "opened_as": "self"})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert stored_files(media) == []


@pytest.fixture
def writer(api_client_factory, family):
    return api_client_factory("VSAA", operations=("cases:read", "messages:write"))


@pytest.mark.parametrize(("name", "content", "code"), THROUGH_THE_PATHS)
def test_the_documents_api_answers_422_with_the_code(writer, family, media, name, content,
                                                     code):
    number = family["own"].number.replace(" ", "-")
    response = writer.post(f"/api/v1/cases/{number}/documents", {
        "title": "Lēmums", "file": upload(name, content)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422, response.content
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "file"], code)
    assert error["msg"] and "%(" not in error["msg"]
    assert not Document.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(("name", "content", "code"), THROUGH_THE_PATHS)
def test_the_messages_api_answers_422_naming_the_attachment(writer, family, media, name,
                                                           content, code):
    harmless = {"name": "izzina.pdf", "content_type": "application/pdf",
                "content": base64.b64encode(PDF).decode()}
    dangerous = {"name": name, "content_type": "application/octet-stream",
                 "content": base64.b64encode(content).decode()}
    response = writer.post("/api/v1/messages", {
        "subject": "Lēmums", "body": "Pielikumā lēmums.",
        "personal_code": family["parent"].personal_code,
        "attachments": [harmless, dangerous]}, content_type="application/json")
    assert response.status_code == 422, response.content
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "attachments", 1, "content"], code)
    assert not InboxMessage.objects.exists() and not Document.objects.exists()
    assert stored_files(media) == []
