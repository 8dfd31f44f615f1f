"""The benchmarks' bulk fill (`bench/register.py`, COPY with explicit ids) leaves every id
sequence past the rows it wrote, so that the first API write after it succeeds (issue 21: it
failed with a duplicate key on the case's id). COPY is PostgreSQL's, as is the benchmark."""

import json
import random
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from durvis.identity import services as identity
from durvis.register.models import ServiceCase

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import register as register_bench

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="the benchmarks' fill uses PostgreSQL's COPY")

CASES = 30


@pytest.fixture
def filled(db, monkeypatch):
    """The register bench's world (three services, its API clients) and its fill: 20 persons,
    30 cases with their first history rows, all COPYed with explicit ids."""
    monkeypatch.setattr(register_bench, "SERVICES", 3)
    monkeypatch.setattr(register_bench, "SCOPED_SERVICES", 2)
    monkeypatch.setattr(register_bench, "CLIENTS", 20)
    world = register_bench._make_world()
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        first_person = register_bench._fill_persons(cursor)
        register_bench._fill_cases(cursor, world, random.Random(1), first_person, CASES)
    return world


def test_an_api_write_right_after_the_fill_succeeds(filled):
    http = Client(HTTP_AUTHORIZATION=f"Bearer {filled.full_token}")
    response = http.post("/api/v1/cases", json.dumps({
        "service_code": 3000, "identification": "identified_by_agent",
        "application_channel": "centre", "acted_by": "agent",
        "personal_code": register_bench._personal_code(3), "result_channel": "eaccount",
        "applied_at": "2026-11-20T09:00:00+02:00"}), content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 201, response.content
    assert ServiceCase.objects.count() == CASES + 1
    number = response.json()["number"]
    event = http.post(f"/api/v1/cases/{number.replace(' ', '-')}/events", json.dumps({
        "status": "in_progress", "occurred_at": "2026-11-21T09:00:00+02:00"}),
        content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert event.status_code == 201, event.content


def test_a_new_person_after_the_fill_gets_a_fresh_id(filled):
    person = identity.record_person(personal_code=register_bench._personal_code(500),
                                    given_name="Anna", family_name="Jauna")
    assert person.codes.get().code == register_bench._personal_code(500)
