"""Fixtures of the documents tests: files of every allowed kind built in memory, and a storage
folder of the test's own (C2)."""

from __future__ import annotations

import io
import zipfile

import pytest

from durvis.core.actor import Actor
from durvis.documents.scanning import EICAR


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
EDOC = _zip([("mimetype", b"application/vnd.etsi.asic-e+zip"),
             ("META-INF/manifest.xml", b"<manifest/>"), ("iesniegums.pdf", PDF),
             ("META-INF/signatures0.xml", b"<XAdESSignatures/>")])
DOCX = _zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
ODT = _zip([("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b"<office:document-content/>")])
TXT = "Iesniegums par bērna piedzimšanas pabalstu.\n".encode()
EICAR_FILE = EICAR


@pytest.fixture
def files():
    """One valid file of each allowed kind: (name, content, declared type)."""
    return {
        "pdf": ("lēmums.pdf", PDF, "application/pdf"),
        "png": ("scan.PNG", PNG, "image/png"),
        "jpeg": ("foto.jpg", JPEG, "image/jpeg"),
        "edoc": ("iesniegums.edoc", EDOC, "application/octet-stream"),
        "asice": ("signed.asice", EDOC, "application/vnd.etsi.asic-e+zip"),
        "docx": ("vēstule.docx", DOCX,
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "odt": ("vēstule.odt", ODT, "application/vnd.oasis.opendocument.text"),
        "txt": ("piezīmes.txt", TXT, "text/plain; charset=utf-8"),
    }


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Every test stores its files in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DURVIS_MALWARE_SCANNER = "durvis.documents.scanning.eicar"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def person_actor():
    def make(person):
        return Actor(kind="person", person=person)

    return make
