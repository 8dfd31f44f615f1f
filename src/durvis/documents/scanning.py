"""The malware-scanning hook of document storage (C2).

Every stored file first passes the scanner named by `DURVIS_MALWARE_SCANNER`: a key of the
`SCANNERS` registry, or the dotted path of a callable `(name, content) -> ScanResult`. Two come
with the platform:

- `eicar` (the default) knows one signature, the EICAR anti-virus test file. It stops nothing
  real; it lets every installation prove that a refused file is refused end to end.
- `clamav` asks a ClamAV daemon (clamd) over its socket with the INSTREAM command, at
  `DURVIS_CLAMD_ADDRESS` (`host:port` or `unix:/path/to/clamd.ctl`). This is the production
  choice.

A scanner that cannot give an answer raises `ScannerUnavailable`: the file is then refused for
now (fail closed), never stored unchecked.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from durvis.core.registry import Implementation, Registry, configured


@dataclass(frozen=True)
class ScanResult:
    """What a scanner said: `clean`, which scanner (stored with the document), and the name of
    what it found in a file that is not clean."""

    clean: bool
    scanner: str
    threat: str = ""


class ScannerUnavailable(Exception):
    """The scanner gave no verdict (down, timed out, answered an error)."""


Scanner = Callable[[str, bytes], ScanResult]

# The EICAR test file (eicar.org), split so that this source file is not itself reported.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + rb"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def eicar(name: str, content: bytes) -> ScanResult:
    """The one-signature scanner: refuses any file that contains the EICAR test string."""
    if EICAR in content:
        return ScanResult(clean=False, scanner="eicar", threat="EICAR-Test-File")
    return ScanResult(clean=True, scanner="eicar")


CHUNK = 64 * 1024


def clamav(name: str, content: bytes) -> ScanResult:
    """Scan with clamd's INSTREAM command: `zINSTREAM\\0`, then chunks each preceded by its
    length (4 bytes, network order), a zero length to end; clamd answers `stream: OK`,
    `stream: <signature> FOUND` or `... ERROR`, terminated by a NUL byte."""
    try:
        with _connect(settings.DURVIS_CLAMD_ADDRESS, settings.DURVIS_CLAMD_TIMEOUT) as conn:
            conn.sendall(b"zINSTREAM\0")
            for start in range(0, len(content), CHUNK):
                chunk = content[start:start + CHUNK]
                conn.sendall(struct.pack("!L", len(chunk)) + chunk)
            conn.sendall(struct.pack("!L", 0))
            reply = _read_reply(conn)
    except OSError as error:
        raise ScannerUnavailable(f"clamd did not answer: {error}") from error
    return _verdict(reply)


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("unix:"):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(timeout)
        try:
            conn.connect(address.removeprefix("unix:"))
        except OSError:
            conn.close()
            raise
        return conn
    host, _sep, port = address.rpartition(":")
    return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)


def _read_reply(conn: socket.socket) -> str:
    reply = b""
    while not reply.endswith(b"\0") and len(reply) < 4096:
        data = conn.recv(4096)
        if not data:
            break
        reply += data
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def _verdict(reply: str) -> ScanResult:
    """Read clamd's answer: an OK is clean, a FOUND names the threat, anything else (an ERROR
    such as the stream size limit) is no verdict."""
    _stream, _sep, answer = reply.partition(": ")
    if answer == "OK":
        return ScanResult(clean=True, scanner="clamav")
    if answer.endswith(" FOUND"):
        return ScanResult(clean=False, scanner="clamav", threat=answer.removesuffix(" FOUND"))
    raise ScannerUnavailable(f"clamd answered: {reply[:200]}")


def _clamd_problems() -> list[str]:
    address = str(settings.DURVIS_CLAMD_ADDRESS)
    return [] if address.startswith("unix:") or ":" in address else [
        f"DURVIS_CLAMD_ADDRESS {address!r} is neither host:port nor unix:/path"]


SCANNERS: Registry[Implementation[Scanner]] = Registry("malware scanners")
SCANNERS.register(Implementation("eicar", eicar, "The EICAR test signature only"))
SCANNERS.register(Implementation("clamav", clamav, "A ClamAV daemon (clamd) over INSTREAM",
                                 check=_clamd_problems))


def configured_scanner() -> Scanner:
    """The scanner `DURVIS_MALWARE_SCANNER` names: a key of `SCANNERS` (`eicar`, `clamav`) or
    the dotted path of a callable."""
    scanner: Scanner = configured(SCANNERS, settings.DURVIS_MALWARE_SCANNER)
    return scanner
