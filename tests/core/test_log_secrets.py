"""No secret and no personal code reaches a log through the configured handlers, whoever writes
the line (issue 11, "The web's defences"): django-ninja logs an Authorization header it does not
understand whole; the development server logs the request line with its query string."""

import base64
import io
import logging

import pytest

from durvis.core.logging import redact

BASIC = base64.b64encode(b"vsaa-system:hunter2-secret").decode()
TOKEN = "dv_0123456789_Zm9vYmFyYmF6cXV4cXV1eHh5eno"


@pytest.fixture
def logged():
    """What the configured console handler writes (the one of `settings.LOGGING`)."""
    (console,) = [h for h in logging.getLogger().handlers
                  if isinstance(h, logging.StreamHandler) and h.filters]
    stream = io.StringIO()
    previous = console.setStream(stream)
    yield stream
    console.setStream(previous)


@pytest.mark.parametrize("header", [f"Basic {BASIC}", f"Token {TOKEN}", TOKEN, "Bearer"])
def test_an_authorization_header_the_api_refuses_is_not_logged(client, db, logged, header):
    response = client.get("/api/v1/cases", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    lines = logged.getvalue()
    assert "/api/v1/cases" in lines  # the request was logged
    assert BASIC not in lines and "Zm9vYmFyYmF6cXV4cXV1eHh5eno" not in lines


def test_the_access_log_masks_codes_and_tokens_in_query_strings(logged):
    logging.getLogger("django.server").warning(
        '"%s" %s %s', f"GET /lookup?code=161175%2D19997&other=32867300679&token={TOKEN} HTTP/1.1",
        "404", "0")
    lines = logged.getvalue()
    assert "19997" not in lines and "00679" not in lines and "Zm9vYmFy" not in lines
    assert "161175-*****" in lines and "dv_0123456789_[redacted]" in lines


@pytest.mark.parametrize("text, expected", [
    ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"),
    (f"Unexpected auth - '{BASIC}'", "Unexpected auth - '[redacted]'"),
    ("auth=Basic%20dXNlcjpw&x=1", "auth=Basic%20[redacted]&x=1"),
])
def test_credentials_are_redacted(text, expected):
    assert redact(text) == expected


def test_a_log_line_carries_its_time_in_iso_8601_with_its_offset(logged):
    """Lines from machines in other time zones order and compare: UTC, with the offset."""
    import datetime
    import json

    before = datetime.datetime.now(datetime.UTC)
    logging.getLogger("durvis.test").warning("the time of this line")
    line = json.loads(logged.getvalue().splitlines()[-1])
    at = datetime.datetime.fromisoformat(line["time"])
    assert at.utcoffset() == datetime.timedelta(0)
    assert before - datetime.timedelta(seconds=1) <= at <= before + datetime.timedelta(seconds=5)


def test_a_one_time_links_secret_is_not_logged(client, db, logged):
    """The prefilled application's link (A10, issue 13) carries its secret in the address: the
    request log and the development server's access line keep the address, not the secret."""
    secret = "q8Zr3kPw0xYbT1mN4vC7sD2fG5hJ9lK6"
    client.get(f"/en/applications/prefill/{secret}/")
    logging.getLogger("django.server").info('"GET /applications/prefill/%s/ HTTP/1.1" 302 0',
                                            secret)
    lines = logged.getvalue()
    assert "/applications/prefill/[redacted]/" in lines and secret not in lines
