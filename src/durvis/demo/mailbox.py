"""The demo mailbox (demo mode only): in demo mode the e-mail backend writes every message the
platform sends into the folder `EMAIL_FILE_PATH` instead of handing it to an SMTP server; these
pages list those messages, newest first, and show one, so that a newcomer reads the
notifications (C1) and the confirmation codes of the profile without a real mailbox. Outside
demo mode the pages do not exist (404); production refuses demo mode."""

from __future__ import annotations

import datetime
import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

# Django's file-based backend writes each message followed by a line of 79 dashes, several
# messages to one file when they share a connection.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
FILE_NAME = re.compile(r"[\w-]+")
SHOWN = 200


@dataclass(frozen=True)
class MailboxMessage:
    """One e-mail from the mailbox folder; `file` and `index` name it in the page's address."""

    file: str
    index: int
    recipients: str
    sender: str
    subject: str
    sent_at: datetime.datetime | None
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[attr-defined]


def _folder() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def _sent_at(date: str) -> datetime.datetime | None:
    """The Date header as an aware time; Django writes UTC as "-0000", which Python reads as a
    time without a zone."""
    try:
        sent = email.utils.parsedate_to_datetime(date)
    except ValueError:
        return None
    return sent if sent.tzinfo is not None else sent.replace(tzinfo=datetime.UTC)


def _parse(file: Path) -> list[MailboxMessage]:
    found = []
    chunks = [c for c in file.read_bytes().split(SEPARATOR) if c.strip()]
    for index, chunk in enumerate(chunks):
        message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        date = message.get("Date")
        found.append(MailboxMessage(
            file=file.stem, index=index, recipients=str(message.get("To", "")),
            sender=str(message.get("From", "")), subject=str(message.get("Subject", "")),
            sent_at=_sent_at(str(date)) if date else None,
            message=message))
    return found


def messages_in_mailbox(limit: int = SHOWN) -> list[MailboxMessage]:
    """The latest messages, newest first (the newest files are read, not the whole folder)."""
    folder = _folder()
    if not folder.is_dir():
        return []
    files = sorted(((f.stat().st_mtime_ns, f) for f in folder.glob("*.log")), reverse=True)
    found: list[tuple[int, MailboxMessage]] = []
    for written, file in files:
        if len(found) >= limit:
            break
        found += [(written, m) for m in _parse(file)]
    # The Date header has whole seconds: within one, the later file and the later place in a
    # file come first.
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    found.sort(key=lambda item: (item[1].sent_at or epoch, item[0], item[1].index), reverse=True)
    return [m for _written, m in found[:limit]]


def _demo_only() -> None:
    if not settings.DEMO_MODE:
        raise Http404


@never_cache  # the messages carry codes and personal data: no cache keeps them
def mailbox(request: HttpRequest) -> HttpResponse:
    _demo_only()
    return render(request, "demo/mailbox.html", {
        "mail": messages_in_mailbox(), "folder": _folder(),
        "writes_files": settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"),
    })


@never_cache
def message(request: HttpRequest, file: str, index: int) -> HttpResponse:
    """One message; a made-up file name or index is 404 (and never leaves the folder)."""
    _demo_only()
    path = _folder() / f"{file}.log"
    if not FILE_NAME.fullmatch(file) or not path.is_file():
        raise Http404
    found = _parse(path)
    if index >= len(found):
        raise Http404
    return render(request, "demo/mailbox_message.html", {"mail": found[index]})
