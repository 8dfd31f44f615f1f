"""Fixtures of the documents tests: files of every allowed kind built in memory (`samples`), and
a storage folder of the test's own (C2)."""

from __future__ import annotations

import pytest

from durvis.core.actor import Actor
from durvis.documents.scanning import EICAR
from tests.documents.samples import DOCX, EDOC, JPEG, ODT, PDF, PNG, zip_of

_zip = zip_of
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
