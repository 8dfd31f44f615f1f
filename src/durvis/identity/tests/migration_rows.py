"""A fixture for modules of transactional (live-server) tests.

A transactional test ends with a flush that also empties the rows the migrations made (the
register's change counter among them). Tests marked `serialized_rollback` get them back before
they start, others do not; so a module of such tests puts them back when it ends, and the
transactional tests that run after it find the database as the migrations left it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection


@pytest.fixture(autouse=True, scope="module")
def restore_migration_rows(django_db_blocker: Any) -> Iterator[None]:
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)
