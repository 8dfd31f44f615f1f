"""Which files a client's e-account accepts (C2, A11) and how a file proves what it is.

A file is accepted only when its name's extension and its content agree on one allowed kind:
a name alone is a claim anybody can make (an executable renamed `.pdf`), and content alone
would let a file be opened by the wrong program on the client's computer. The content is
recognised by its leading bytes; the zip-based formats (eDoc/ASiC-E, DOCX, ODT) by the entries
that their standards require, read without unpacking the rest (a zip bomb costs nothing here).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

ASICE_MIMETYPE = b"application/vnd.etsi.asic-e+zip"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
MIMETYPE_READ = 100  # more than any media type it may hold; a bigger entry is not one
# What browsers and systems send when they do not know a file's type: it names no other kind.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream",
                           "application/zip", "application/x-zip-compressed",
                           "application/force-download"})


@dataclass(frozen=True)
class FileKind:
    """One allowed kind of file: its canonical media type (stored and sent on download), the
    extensions that name it, and other media types that senders use for it."""

    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    def accepts_declared(self, declared: str) -> bool:
        media_type = declared.split(";", 1)[0].strip().lower()
        return (media_type in GENERIC_TYPES or media_type == self.content_type
                or media_type in self.aliases)


PDF = FileKind("pdf", "PDF", "application/pdf", (".pdf",), ("application/x-pdf",))
PNG = FileKind("png", "PNG", "image/png", (".png",))
JPEG = FileKind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg"), ("image/jpg", "image/pjpeg"))
ASICE = FileKind("asice", "eDoc (ASiC-E)", ASICE_MIMETYPE.decode(), (".edoc", ".asice"),
                 ("application/vnd.etsi.asic-e", "application/x-edoc"))
DOCX = FileKind("docx", "DOCX",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                (".docx",))
ODT = FileKind("odt", "ODT", ODT_MIMETYPE.decode(), (".odt",))
TXT = FileKind("txt", "TXT", "text/plain", (".txt",))

KINDS = (PDF, PNG, JPEG, ASICE, DOCX, ODT, TXT)
_BY_EXTENSION = {extension: kind for kind in KINDS for extension in kind.extensions}


def allowed_extensions() -> list[str]:
    return sorted(_BY_EXTENSION)


def allowed_labels() -> str:
    """The allowed kinds for messages to people ("PDF, PNG, ...")."""
    return ", ".join(kind.label for kind in KINDS)


def kind_of_name(name: str) -> FileKind | None:
    """The kind a file name claims by its extension (case does not matter)."""
    dot = name.rfind(".")
    return _BY_EXTENSION.get(name[dot:].lower()) if dot > 0 else None


def sniff(content: bytes) -> FileKind | None:
    """The kind the content shows itself to be, or None if it is none of the allowed kinds."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _sniff_zip(content)
    return TXT if _is_text(content) else None


# PDF readers look for the header in the first kilobyte; what comes before it is another file.
PDF_HEADER_WINDOW = 1024


def is_pdf_behind_something(content: bytes) -> bool:
    """A PDF header after other content (`<html>...%PDF-`): a file that a PDF reader opens as
    a PDF and a browser as what comes first."""
    return content.find(b"%PDF-", 1, PDF_HEADER_WINDOW) > 0


def _sniff_zip(content: bytes) -> FileKind | None:
    """ASiC-E and ODT name themselves in a first entry `mimetype` (ETSI EN 319 162, ODF 1.2);
    DOCX has the package's content types and a main document part (ECMA-376)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                with archive.open("mimetype") as entry:
                    declared = entry.read(MIMETYPE_READ).strip()
                if declared == ASICE_MIMETYPE and "META-INF/manifest.xml" in names:
                    return ASICE
                if declared == ODT_MIMETYPE:
                    return ODT
                return None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    return None


# Control characters that plain text has no use for (tab, line feed, form feed and carriage
# return are allowed).
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")


def _is_text(content: bytes) -> bool:
    """UTF-8 text (with or without a byte-order mark) without binary control bytes."""
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return _BINARY_BYTES.search(content) is None
