"""Migration calendars.0004 (A4): every CalDAV password kept in plain text until then is sealed
(`core.sealed`, a JWE under DURVIS_SECRET_KEYS) and opens to the same text; an empty one stays
empty; going back opens them again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from durvis.calendars.models import Calendar
from durvis.core.sealed import unseal

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("calendars", "0003_one_booking_per_client_start")]
AFTER = [("calendars", "0004_sealed_caldav_password")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()


def _stored(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT forward_password FROM calendars_calendar WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_plain_passwords_are_sealed_and_opened_going_back(calendar, points, catalogue):
    other = Calendar.objects.create(point=points["Rojas VPVKAC"], service=catalogue["childbirth"],
                                    slot_minutes=30, desks=1, lead_minutes=0, horizon_days=30)
    migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE calendars_calendar SET forward_password = %s WHERE id = %s",
                       ["slepena-parole-ā", calendar.pk])
        cursor.execute("UPDATE calendars_calendar SET forward_password = '' WHERE id = %s",
                       [other.pk])
    migrate(AFTER)
    sealed = _stored(calendar.pk)
    assert sealed != "slepena-parole-ā" and "slepena" not in sealed
    assert unseal(sealed) == "slepena-parole-ā"
    assert _stored(other.pk) == ""
    migrate(BEFORE)
    assert _stored(calendar.pk) == "slepena-parole-ā" and _stored(other.pk) == ""
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # every app's newest
