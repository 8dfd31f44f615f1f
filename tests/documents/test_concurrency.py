"""Concurrent uploads with one `Idempotency-Key` (issue 11, C2): ten at once store one
document and one file, and every caller gets the first answer. Needs a database that runs
transactions side by side (PostgreSQL); SQLite's test database is one connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from durvis.documents.models import Document
from durvis.integrations.models import IdempotencyRecord
from tests.documents.conftest import stored_files
from tests.documents.samples import PDF

pytestmark = pytest.mark.django_db(transaction=True)

CALLERS = 10


@pytest.fixture
def writer(api_client_factory, family):
    return api_client_factory("VSAA", operations=("cases:read", "messages:write"))


def test_ten_concurrent_uploads_with_one_key_leave_one_document_and_one_file(writer, family,
                                                                           media):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    number = family["own"].number.replace(" ", "-")
    barrier = threading.Barrier(CALLERS)

    def upload(_index: int) -> tuple[int, dict]:
        http = Client(HTTP_AUTHORIZATION=f"Bearer {writer.token}")
        try:
            barrier.wait(timeout=30)
            response = http.post(f"/api/v1/cases/{number}/documents", {
                "title": "Lēmums", "is_result": "true",
                "file": SimpleUploadedFile("lēmums.pdf", PDF, content_type="application/pdf")},
                HTTP_IDEMPOTENCY_KEY="lemums-1")
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(CALLERS) as pool:
        answers = list(pool.map(upload, range(CALLERS)))

    assert [status for status, _body in answers] == [201] * CALLERS, answers
    assert len({body["id"] for _status, body in answers}) == 1
    assert Document.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
    assert [path.name for path in stored_files(media)] == [
        Document.objects.get().file.name.rsplit("/", 1)[-1]]
