"""Sending an e-mail and recording it as sent in one step, so that it never goes out twice.

SMTP has no idempotency key: an e-mail whose sending is not recorded (the worker died, the
database refused the write) would be sent again. So the record is written at the moment the
message becomes sent. Over SMTP that moment is the end of the DATA command: everything is sent
but its last line (`.`), then `record()` commits "delivered", then the last line goes. If the
record fails or the lease was lost (`record()` says False), the connection is dropped before
the last line and the server discards the message: nothing was sent. Over a local backend (the
demo's mailbox folder, the test outbox) the message is written inside the transaction that
records it.

What remains is at most once: a worker killed between the record and the last line (a few
microseconds) loses that e-mail, and a server that refuses the last line is recorded as a
failure afterwards (`SentThenRefused`).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import transaction

from durvis.core.worker import retry_locked

log = logging.getLogger(__name__)


class Withdrawn(Exception):
    """`record()` refused (another worker holds the message now): nothing was sent."""


class SentThenRefused(smtplib.SMTPResponseException):
    """The server refused the message after it was recorded as sent: record the failure."""


def send_recorded(email: EmailMessage, record: Callable[[], bool]) -> bool:
    """Send `email`, calling `record()` (which writes "delivered" and commits) at the moment it
    becomes sent. Returns False, having sent nothing, when `record()` returns False. Raises
    smtplib.SMTPException or OSError when the message was not sent (nothing recorded), except
    SentThenRefused, raised after `record()` when the server refused it in the end; and
    whatever `record()` raises (nothing sent). A connection lost after the record, before the
    server's answer, counts as sent (logged): at most once."""
    backend = get_connection()
    if not isinstance(backend, SmtpBackend):
        return retry_locked(partial(_send_locally, backend, email, record))
    backend.open()
    smtp = backend.connection
    if smtp is None:
        raise smtplib.SMTPServerDisconnected("no connection to the mail server")
    recorded = False

    def data(message: Any) -> tuple[int, bytes]:
        """smtplib's DATA, with the record before the last line."""
        nonlocal recorded
        code, answer = smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, answer)
        quoted = smtplib._quote_periods(message)  # type: ignore[attr-defined]
        smtp.send(quoted if quoted.endswith(b"\r\n") else quoted + b"\r\n")
        if not record():
            raise Withdrawn
        recorded = True
        smtp.send(b".\r\n")
        return smtp.getreply()

    smtp.data = data  # type: ignore[method-assign,assignment]
    try:
        backend.send_messages([email])
    except Withdrawn:
        _drop(backend)
        return False
    except smtplib.SMTPResponseException as error:
        _drop(backend)
        if recorded:
            raise SentThenRefused(error.smtp_code, error.smtp_error) from error
        raise
    except (smtplib.SMTPException, OSError) as error:
        _drop(backend)
        if not recorded:
            raise
        log.warning("e-mail %s recorded as sent; the server's answer was lost: %s",
                    email.extra_headers.get("Message-ID", ""), error)
    except BaseException:
        _drop(backend)  # before the last line the server discards the message
        raise
    else:
        _quit(backend)
    return True


def _send_locally(backend: Any, email: EmailMessage, record: Callable[[], bool]) -> bool:
    with transaction.atomic():
        if not record():
            return False
        backend.send_messages([email])
    return True


def _quit(backend: Any) -> None:
    try:
        backend.close()
    except (smtplib.SMTPException, OSError):
        _drop(backend)


def _drop(backend: Any) -> None:
    """Close the socket without QUIT (the server discards a message whose DATA is unfinished)."""
    if backend.connection is not None:
        backend.connection.close()
        backend.connection = None
