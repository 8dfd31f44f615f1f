"""Files for the documents tests, made in memory: valid ones of every allowed kind, and the
dangerous ones of issue 11 (C2): a PDF/HTML polyglot, PDFs with JavaScript or a launch action
(also with escaped names), a DOCX with a macro part, a DOCX embedding a Word 97 file with a VBA
project, a zip bomb named `.docx`, EICAR compressed inside a DOCX, a picture with an archive
appended. Nothing here writes to disk: a bomb of 1 GiB is streamed into a zip in memory
(about 1 MB packed)."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

from durvis.documents.scanning import EICAR

# --- PDF ---------------------------------------------------------------------------------------

def pdf(catalog: bytes = b"", objects: tuple[bytes, ...] = (), page: bytes = b"",
        header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") -> bytes:
    """A valid one-page PDF with its cross-reference table. `catalog` and `page` are more
    entries of the catalogue (object 1) and the page (object 3); `objects` are numbered from 4."""
    bodies = [b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
              b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page + b" >>",
              *objects]
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1, xref)
    return bytes(out)


def stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


PDF = pdf()


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of about `size` bytes (a page with a long comment stream)."""
    return pdf(objects=(stream(b"%" + b"0" * max(size - 600, 0)),), page=b"/Contents 4 0 R")


# JavaScript run when the file opens, written in the ways a byte search would miss.
PDF_OPEN_JAVASCRIPT = pdf(catalog=b"/OpenAction 4 0 R",
                          objects=(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",))
PDF_ESCAPED_JAVASCRIPT = pdf(catalog=b"/OpenAction 4 0 R",
                             objects=(b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",))
PDF_NAMED_JAVASCRIPT = pdf(catalog=b"/Names << /J#61va#53cript 4 0 R >>",
                           objects=(b"<< /Names [(run) 5 0 R] >>",
                                    b"<< /S /JavaScript /J#53 5 0 R >>"))
PDF_LAUNCH = pdf(catalog=b"/OpenAction << /S /Launch /Win << /F (cmd.exe) >> >>")
PDF_PAGE_ACTION_LAUNCH = pdf(page=b"/AA << /O << /S /La#75nch /F (calc.exe) >> >>")
# A stream the reader never shows, unreferenced: still refused.
PDF_ORPHAN_JAVASCRIPT = pdf(objects=(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",))
PDF_HTML_BEFORE = b"<html><body><script>alert(1)</script>\n" + PDF
PDF_HTML_INSIDE = pdf(objects=(stream(b"<html><script>alert(document.cookie)</script></html>"),))
PDF_SPACED_NAMES = pdf(catalog=b"/OpenAction<</S/JavaScript/JS(x)>>")


# --- Pictures ----------------------------------------------------------------------------------

def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid greyscale PNG."""
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b""))


def jpeg(progressive: bool = False) -> bytes:
    """A valid JPEG, made by Pillow (baseline, or progressive with several scans)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, "JPEG", progressive=progressive)
    return buffer.getvalue()


PNG = png()
JPEG = jpeg()


# --- Archives ----------------------------------------------------------------------------------

def zip_of(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


CONTENT_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                 b'2006/content-types"><Override PartName="/word/document.xml" ContentType="'
                 b'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main'
                 b'+xml"/></Types>')


def docx(*more: tuple[str, bytes], document: bytes = b"<w:document/>",
         content_types: bytes = CONTENT_TYPES) -> bytes:
    return zip_of([("[Content_Types].xml", content_types), ("word/document.xml", document),
                   *more])


def odt(*more: tuple[str, bytes], content: bytes = b"<office:document-content/>") -> bytes:
    return zip_of([("mimetype", b"application/vnd.oasis.opendocument.text"),
                   ("content.xml", content), *more])


def edoc(*more: tuple[str, bytes]) -> bytes:
    return zip_of([("mimetype", b"application/vnd.etsi.asic-e+zip"),
                   ("META-INF/manifest.xml", b"<manifest/>"), *more,
                   ("META-INF/signatures0.xml", b"<XAdESSignatures/>")])


DOCX = docx()
ODT = odt()
EDOC = edoc(("iesniegums.pdf", PDF))

DOCX_EICAR = docx(document=b"<w:document><w:t>" + EICAR + b"</w:t></w:document>")
DOCX_VBA_PART = docx(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504))
DOCX_MACRO_TYPE = docx(content_types=CONTENT_TYPES.replace(
    b"wordprocessingml.document.main+xml",
    b"wordprocessingml.document.macroEnabled.main+xml"))
ODT_BASIC = odt(("Basic/Standard/Module1.xml", b"<script:module>Sub Main</script:module>"))
ODT_EVENT_SCRIPT = odt(content=b'<office:document-content><office:event-listeners>'
                               b'<script:event-listener script:event-name="dom:load" xlink:href='
                               b'"vnd.sun.star.script:LibreLogo.LibreLogo.py$run?language=Python'
                               b'&amp;location=share"/></office:event-listeners>'
                               b'</office:document-content>')


def _zip_entries(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of deflated parts given packed: (name, raw deflate data, CRC-32, unpacked size)."""
    out, central = bytearray(), bytearray()
    for name, packed, crc, size in entries:
        encoded = name.encode()
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0x21, crc, len(packed), size,
                             len(encoded), 0)
        central += (b"PK\x01\x02" + struct.pack("<H", 20) + fields
                    + struct.pack("<HHHII", 0, 0, 0, 0, len(out)) + encoded)
        out += b"PK\x03\x04" + fields + encoded + packed
    return bytes(out + central + b"PK\x05\x06" + struct.pack(
        "<HHHHIIH", 0, 0, len(entries), len(entries), len(central), len(out), 0))


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


@functools.cache
def _zeros(size: int) -> tuple[bytes, int, int]:
    """`size` zero bytes (a multiple of 1 MiB) deflated without ever holding them: a megabyte
    of zeros deflated and fully flushed is the same block every time."""
    chunk = bytes(1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    return block * (size // len(chunk)) + packer.flush(), crc, size


def zip_bomb(size: int = 1024 ** 3, declared: int | None = None) -> bytes:
    """A DOCX-shaped zip with a part `word/media/image1.bin` of `size` zero bytes (1 GiB packs
    to about 1 MB). With `declared`, the bomb lies: the part holds `size` bytes but its headers
    say `declared`, so that limits read from the directory pass."""
    packed, crc, _size = _zeros(size)
    return _zip_entries([
        ("[Content_Types].xml", *_deflated(CONTENT_TYPES)),
        ("word/document.xml", *_deflated(b"<w:document/>")),
        ("word/media/image1.bin", packed, crc, size if declared is None else declared)])


# --- An OLE compound file with a VBA project ----------------------------------------------------

SECTOR = 512
END_OF_CHAIN, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _directory_entry(name: str, kind: int, child: int = NO_STREAM, right: int = NO_STREAM,
                     start: int = END_OF_CHAIN, size: int = 0) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", NO_STREAM, right, child) + bytes(16) + bytes(4) + bytes(16)
            + struct.pack("<IQ", start, size))


def ole_with_vba() -> bytes:
    """A compound file (MS-CFB, version 3) holding what olevba takes for a VBA project: a
    `VBA` storage with `dir` and `_VBA_PROJECT` streams, and a `PROJECT` stream, as an
    embedded Word 97 document with macros has. Each stream fills 4,096 bytes (8 sectors), so
    that it lives in the file's sectors rather than in the mini stream."""
    stream_sectors = 8
    streams = ["PROJECT", "dir", "_VBA_PROJECT"]
    directory_sectors = 2  # 6 entries of 128 bytes
    first_stream = 1 + directory_sectors
    starts = [first_stream + index * stream_sectors for index in range(len(streams))]
    entries = [
        _directory_entry("Root Entry", 5, child=1),
        _directory_entry("VBA", 1, child=3, right=2),
        _directory_entry("PROJECT", 2, start=starts[0], size=stream_sectors * SECTOR),
        _directory_entry("dir", 2, right=4, start=starts[1], size=stream_sectors * SECTOR),
        _directory_entry("_VBA_PROJECT", 2, start=starts[2], size=stream_sectors * SECTOR),
    ]
    directory = b"".join(entries).ljust(directory_sectors * SECTOR, b"\0")
    total = first_stream + len(streams) * stream_sectors
    fat = [FAT_SECTOR, 2, END_OF_CHAIN]
    for start in starts:
        fat += [*range(start + 1, start + stream_sectors), END_OF_CHAIN]
    fat_sector = struct.pack("<128I", *(fat + [FREE] * (128 - total)))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
              + struct.pack("<109I", 0, *([FREE] * 108)))
    return header + fat_sector + directory + bytes(len(streams) * stream_sectors * SECTOR)


DOCX_EMBEDDED_VBA = docx(("word/embeddings/oleObject1.bin", ole_with_vba()))


def png_hiding_a_zip() -> bytes:
    """A PNG whose text chunk, just before the end, holds a zip: zip readers find it from the
    end of the file, so it is a zip archive without anything appended."""
    archive = zip_of([("payload.html", b"<script>alert(1)</script>")])
    return PNG[:-12] + png_chunk(b"tEXt", b"Comment\x00" + archive) + PNG[-12:]
