"""The ClamAV adapter (C2) against a small TCP server on loopback that speaks clamd's INSTREAM
protocol: it reassembles the chunks and answers as clamd does."""

from __future__ import annotations

import socketserver
import struct
import threading

import pytest
from django.core.exceptions import ValidationError

from durvis.core.actor import Actor
from durvis.documents import services as documents
from durvis.documents.models import Document
from durvis.documents.scanning import EICAR, ScannerUnavailable, clamav
from tests.documents.conftest import PDF, stored_files


class FakeClamd(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, answer: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), ClamdHandler)
        self.answer = answer  # None: answer as clamd would (EICAR found, else OK)
        self.received: list[bytes] = []


class ClamdHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: FakeClamd = self.server  # type: ignore[assignment]
        command = b""
        while not command.endswith(b"\0"):
            command += self.rfile.read(1)
        assert command == b"zINSTREAM\0"
        data = b""
        while True:
            (length,) = struct.unpack("!L", self.rfile.read(4))
            if length == 0:
                break
            data += self.rfile.read(length)
        server.received.append(data)
        answer = server.answer or ("stream: Win.Test.EICAR_HDB-1 FOUND" if EICAR in data
                                   else "stream: OK")
        self.wfile.write(answer.encode() + b"\0")


@pytest.fixture
def clamd(settings):
    servers = []

    def start(answer=None):
        server = FakeClamd(answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        settings.DURVIS_CLAMD_ADDRESS = f"127.0.0.1:{server.server_address[1]}"
        settings.DURVIS_CLAMD_TIMEOUT = 5
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_clean_file_is_streamed_in_chunks_and_passes(clamd):
    server = clamd()
    content = PDF + b"x" * 200_000  # more than one chunk
    result = clamav("a.pdf", content)
    assert (result.clean, result.scanner) == (True, "clamav")
    assert server.received == [content]


def test_a_found_signature_is_reported(clamd):
    clamd()
    result = clamav("eicar.txt", EICAR)
    assert (result.clean, result.threat) == (False, "Win.Test.EICAR_HDB-1")


def test_an_error_answer_is_no_verdict(clamd):
    clamd("INSTREAM size limit exceeded. ERROR")
    with pytest.raises(ScannerUnavailable):
        clamav("a.pdf", PDF)


def test_documents_use_clamd_when_configured(clamd, settings, family, media):
    clamd()
    settings.DURVIS_MALWARE_SCANNER = "durvis.documents.scanning.clamav"
    actor = Actor(kind="person", person=family["parent"])
    document = documents.store_document(
        actor, client=family["parent"], name="a.pdf", content=PDF,
        content_type="application/pdf", title="Izziņa", direction="sent")
    assert document.scanned_by == "clamav"
    with pytest.raises(ValidationError) as excinfo:
        documents.store_document(
            actor, client=family["parent"], name="b.pdf", content=PDF + EICAR,
            content_type="application/pdf", title="Izziņa", direction="sent")
    assert excinfo.value.error_dict["file"][0].code == "malware"
    assert Document.objects.count() == 1 and len(stored_files(media)) == 1
