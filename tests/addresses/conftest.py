"""The address register's test files: real-format releases written from the reference's
sample rows (`files/current`, the older `;`/`#` format in `files/older.zip`, malformed rows,
a change set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from durvis.addresses import services

FILES = Path(__file__).parent / "files"


@pytest.fixture
def register(db):
    """The current-format release imported; returns its summary."""
    return services.import_register(FILES / "current")
