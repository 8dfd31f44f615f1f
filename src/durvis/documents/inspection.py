"""What a file could do to the person who opens it (C2), checked by kind before it is stored.

`check_kind` proved that a file is what its name says; this module looks inside, by kind, for
what would harm the client or the employee who opens it, and refuses it (or, for a picture,
neutralises it):

- PDF: parsed with pikepdf (qpdf), so that names are read as a PDF reader reads them
  (`/J#61vaScript` is `/JavaScript`). Refused: JavaScript anywhere (a `/JS` entry, a
  `/JavaScript` action or name tree) and launch actions (`/Launch`, which starts programs or
  opens other files); a file that is also a web page (HTML markup in it, which a browser
  would run if the file were ever served or saved as HTML); a file qpdf cannot read (it could
  not be checked) or one locked by a password.
- PNG and JPEG: the picture ends where its format says (PNG's `IEND` chunk, JPEG's end-of-image
  marker); whatever is appended after it (an archive, a script, a phone's motion-photo video)
  is cut off, so that the stored file is only the picture. A picture that is still read as a
  zip archive is refused.
- The zip-based formats (DOCX, ODT, eDoc/ASiC-E), and every zip inside them: limits on the
  number of parts, on the unpacked size of all parts together (all levels counted once,
  `DURVIS_ARCHIVE_MAX_UNPACKED_BYTES`), on each large part's compression ratio
  (`DURVIS_ARCHIVE_MAX_RATIO`: a zip bomb unpacks to a thousand times its size) and on
  nesting, read from the archive's directory before anything is unpacked; a part never
  unpacks beyond the size it declares (zipfile stops there, and the checksum then fails).
  No macros: VBA parts (`vbaProject.bin`, macro-enabled content types), LibreOffice Basic or
  script parts and script event bindings, and VBA projects inside embedded OLE objects, which
  oletools' olevba finds. Every part is unpacked and passes the malware scanner on its own
  (a signature compressed inside a DOCX is not visible in the DOCX's bytes), and a part that
  is a PDF or a zip is inspected by the same rules.

Each refusal is a ValidationError keyed `file` with a stable code (see `store_document`).
"""

from __future__ import annotations

import io
import logging
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pikepdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from durvis.documents import filetypes

log = logging.getLogger(__name__)

# (name, content) -> None; raises the malware refusal (the documents service's `scan`).
Scan = Callable[[str, bytes], object]

MAX_PARTS = 10_000  # far more than any document has (a long DOCX has a few hundred)
MAX_DEPTH = 3  # an eDoc holding a DOCX holding an embedded workbook
RATIO_FLOOR = 1024 * 1024  # a part smaller than this unpacked is harmless at any ratio

# HTML that a browser would run: a PDF that holds it, anywhere in its bytes (an HTML parser
# reads through compressed streams too), is also a web page. Tags of four letters or more, so
# that compressed data does not match by chance (about once in 10^12 positions).
_HTML = re.compile(rb"<(?:script|html|iframe)[\s/>]|<!doctype\s+html", re.IGNORECASE)
# Parts that carry macros: VBA in Office Open XML (ECMA-376 Part 1, 15.2.15), and in ODF the
# Basic and script libraries (`Basic/`, `Scripts/`).
_VBA_PARTS = frozenset({"vbaproject.bin", "vbaprojectsignature.bin", "vbadata.xml"})
_SCRIPT_FOLDERS = ("basic/", "scripts/")
_MACRO_TYPES = (b"macroenabled", b"vbaproject")  # in [Content_Types].xml
# ODF binds events to macros by script address (`vnd.sun.star.script:Library.Module.Macro`),
# of the document's own libraries or of those installed with LibreOffice.
_ODF_SCRIPT_BINDING = b"vnd.sun.star.script:"
_ODF_XML = frozenset({"content.xml", "styles.xml", "settings.xml"})

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def file_error(message: Any, code: str, **params: Any) -> ValidationError:
    """A refusal of the uploaded file, keyed `file` for the form and the API's `loc`."""
    return ValidationError({"file": ValidationError(message, code=code, params=params or None)})


def size_label(size: int) -> str:
    """A limit as people write it: "10 MB", "512 KB"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return str(filesizeformat(size))


def _damaged() -> ValidationError:
    return file_error(_("The file is damaged or incomplete, so it cannot be checked."), "damaged")


def max_unpacked_bytes() -> int:
    return int(settings.DURVIS_ARCHIVE_MAX_UNPACKED_BYTES)


def max_ratio() -> int:
    return int(settings.DURVIS_ARCHIVE_MAX_RATIO)


def inspect(kind: filetypes.FileKind, name: str, content: bytes, scan: Scan) -> bytes:
    """Check `content` (a file of `kind`, as `check_kind` found it) for what would harm the
    person who opens it; `scan` is run on every part of an archive. Returns what is to be
    stored: the file itself, or a picture without what was appended after its end. Raises
    ValidationError keyed `file` (the codes are listed at `store_document`)."""
    if kind is filetypes.PDF:
        inspect_pdf(content)
    elif kind in (filetypes.PNG, filetypes.JPEG):
        return only_the_picture(kind, content)
    elif kind in (filetypes.DOCX, filetypes.ODT, filetypes.ASICE):
        inspect_archive(name, content, scan, _Budget(max_unpacked_bytes()), depth=0)
    return content


# --- PDF ---------------------------------------------------------------------------------------

def inspect_pdf(content: bytes) -> None:
    """Refuse a PDF that is also HTML, that qpdf cannot read or that is locked, or whose objects
    hold JavaScript or a launch action (see the module's docstring)."""
    if _HTML.search(content):
        raise file_error(_("The file is both a PDF and a web page; only plain PDF files can be "
                           "uploaded."), "polyglot")
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError:
        raise file_error(_("Password-protected files cannot be checked; upload the file "
                           "without a password."), "encrypted") from None
    except (pikepdf.PdfError, ValueError, RecursionError):
        raise _damaged() from None
    with pdf:
        found = _active_content(pdf)
    if found == "javascript":
        raise file_error(_("PDF files with JavaScript cannot be uploaded; print the document "
                           "to a new PDF and upload that."), "javascript")
    if found == "launch_action":
        raise file_error(_("PDF files that start programs or open other files cannot be "
                           "uploaded; print the document to a new PDF and upload that."),
                         "launch_action")


def _active_content(pdf: pikepdf.Pdf) -> str | None:
    """"javascript" or "launch_action" if any object of the file (reachable or not) is or names
    one, else None. Every indirect object is visited once; direct ones inside it are walked."""
    stack: list[Any] = list(pdf.objects)
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Array):
            children = list(obj)
        elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            keys = set(obj.keys())
            action = obj.get("/S")
            if "/JS" in keys or "/JavaScript" in keys or action == pikepdf.Name.JavaScript:
                return "javascript"
            if action == pikepdf.Name.Launch:
                return "launch_action"
            children = [obj[key] for key in keys]
        else:
            continue
        stack.extend(child for child in children if isinstance(
            child, (pikepdf.Array, pikepdf.Dictionary)) and not child.is_indirect)
    return None


# --- Pictures ----------------------------------------------------------------------------------

def only_the_picture(kind: filetypes.FileKind, content: bytes) -> bytes:
    """The picture up to the end its format marks, without anything appended. Raises
    ValidationError `damaged` when the structure does not reach its end, and `polyglot` when
    what remains is still read as a zip archive."""
    end = _png_end(content) if kind is filetypes.PNG else _jpeg_end(content)
    if end is None:
        raise _damaged()
    picture = content[:end]
    if end < len(content):
        log.info("cut %d bytes appended after a %s picture", len(content) - end, kind.label)
    if _is_zip(picture):
        raise file_error(_("The picture is also an archive; only plain pictures can be "
                           "uploaded."), "polyglot")
    return picture


def _is_zip(content: bytes) -> bool:
    """Whether a zip reader finds an archive with parts in `content` (from its end, where
    `zipfile.is_zipfile` would also take four random bytes of picture data for one)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return bool(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        return False


def _png_end(content: bytes) -> int | None:
    """After the `IEND` chunk: chunks are length (4 bytes), type (4), data, CRC (4)."""
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(content):
        length = int.from_bytes(content[position:position + 4], "big")
        chunk_type = content[position + 4:position + 8]
        position += 12 + length
        if chunk_type == b"IEND":
            return position if position <= len(content) else None
    return None


def _jpeg_end(content: bytes) -> int | None:
    """After the end-of-image marker (FF D9): segments carry their length, except the markers
    without one (RSTn, TEM); after a start-of-scan the entropy-coded data runs to the next
    marker that is not a stuffed FF 00 nor a restart marker."""
    position, size = 2, len(content)
    while position < size:
        if content[position] != 0xFF:
            return None
        while position < size and content[position] == 0xFF:  # fill bytes
            position += 1
        if position >= size:
            return None
        marker = content[position]
        position += 1
        if marker == 0xD9:
            return position
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        length = int.from_bytes(content[position:position + 2], "big")
        if length < 2 or position + length > size:
            return None
        position += length
        if marker == 0xDA:
            position = _scan_data_end(content, position)
    return None


def _scan_data_end(content: bytes, position: int) -> int:
    while True:
        position = content.find(b"\xff", position)
        if position < 0 or position + 1 >= len(content):
            return len(content)
        following = content[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
        elif following == 0xFF:
            position += 1
        else:
            return position


# --- Archives ----------------------------------------------------------------------------------

@dataclass
class _Budget:
    """What may still be unpacked, over all the levels of one file."""

    left: int


def inspect_archive(name: str, content: bytes, scan: Scan, budget: _Budget, depth: int) -> None:
    """Check one zip (the file, or a part of it at `depth`) as the module's docstring says."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _damaged() from None
    with archive:
        parts = [info for info in archive.infolist() if not info.is_dir()]
        _check_limits(parts, budget)
        if _has_macro_parts(archive, parts):
            raise _macro()
        for info in parts:
            _inspect_part(f"{name}/{info.filename}", _read(archive, info), scan, budget, depth)
    if _has_vba(name, content):
        raise _macro()


def _check_limits(parts: list[zipfile.ZipInfo], budget: _Budget) -> None:
    if len(parts) > MAX_PARTS:
        raise file_error(_("The file holds more than %(limit)s parts."), "archive_too_large",
                         limit=MAX_PARTS)
    if any(info.flag_bits & 0x1 for info in parts):
        raise file_error(_("Password-protected files cannot be checked; upload the file "
                           "without a password."), "encrypted")
    unpacked = sum(info.file_size for info in parts)
    if unpacked > budget.left:
        raise file_error(_("Unpacked, the file would be larger than %(limit)s."),
                         "archive_too_large", limit=size_label(max_unpacked_bytes()))
    ratio = max_ratio()
    if any(info.file_size > RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1)
           for info in parts):
        raise file_error(_("Part of the file unpacks to more than %(ratio)s times its packed "
                           "size, which can stop the computer that opens it (a zip bomb)."),
                         "archive_ratio", ratio=ratio)
    budget.left -= unpacked


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The part, unpacked; never more than its declared size (zipfile stops there, and the
    checksum fails on a part that declared less than it holds)."""
    try:
        with archive.open(info) as part:
            return part.read()
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
            RuntimeError, ValueError):
        raise _damaged() from None


def _inspect_part(name: str, data: bytes, scan: Scan, budget: _Budget, depth: int) -> None:
    scan(name, data)
    if data.startswith(b"PK\x03\x04"):
        if depth + 1 >= MAX_DEPTH:
            raise file_error(_("The file holds archives nested too deep to be checked."),
                             "archive_nested")
        inspect_archive(name, data, scan, budget, depth + 1)
    elif data.startswith(b"%PDF-"):
        inspect_pdf(data)


def _macro() -> ValidationError:
    return file_error(_("Documents with macros cannot be uploaded; save the document without "
                        "macros (as .docx or .odt) and upload that."), "macro")


def _has_macro_parts(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo]) -> bool:
    """VBA or script parts by name, macro-enabled content types, ODF script event bindings.
    The XML read here is small: the limits were checked first."""
    for info in parts:
        lower = info.filename.lower()
        if lower.rsplit("/", 1)[-1] in _VBA_PARTS or lower.startswith(_SCRIPT_FOLDERS):
            return True
        if lower == "[content_types].xml":
            declared = _read(archive, info).lower()
            if any(marker in declared for marker in _MACRO_TYPES):
                return True
        if lower in _ODF_XML and _ODF_SCRIPT_BINDING in _read(archive, info):
            return True
    return False


def _has_vba(name: str, content: bytes) -> bool:
    """Whether oletools' olevba finds a VBA project in the zip's OLE parts (an embedded Word or
    Excel 97 file with macros, a VBA project under another name). A zip that olevba cannot
    read is refused as damaged: it could not be checked."""
    with warnings.catch_warnings():
        # olevba's grammar uses pyparsing names that pyparsing 3.3 reports as deprecated.
        warnings.simplefilter("ignore", DeprecationWarning)
        from oletools.olevba import VBA_Parser
    try:
        parser = VBA_Parser(name, data=content)
        try:
            return bool(parser.detect_vba_macros())
        finally:
            parser.close()
    except Exception:  # olevba raises many kinds; any of them means no answer
        log.warning("olevba could not read %s", name, exc_info=True)
        raise _damaged() from None
