"""Service points of the tests: the VDAA centres (national in Rīga, regional in Valmiera, local
in Roja), a VSAA office in Rīga, a RIGA municipal office; and their administrators."""

from __future__ import annotations

from decimal import Decimal

import pytest

from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.servicepoints.models import ServicePoint
from tests.addresses.conftest import register  # noqa: F401 - the address register, imported

POINTS = [
    ("VDAA", "Rīgas VPVKAC (Pils iela)", "national_centre", "Pils iela 23, Rīga, LV-1050", "Rīga",
     "56.950800", "24.104300", "mon-thu 08:30-17:00; fri 08:30-15:30"),
    ("VDAA", "Valmieras VPVKAC", "regional_centre", "Rīgas iela 10, Valmiera, LV-4201",
     "Valmiera", "57.538000", "25.426000", "mon-fri 09:00-17:00"),
    ("VDAA", "Rojas VPVKAC", "local_centre", "Zvejnieku iela 3, Roja, LV-3264", "Roja",
     "57.505000", "22.801000", "mon-fri 09:00-13:00"),
    ("VSAA", "VSAA Rīgas nodaļa", "institution_office", "Lāčplēša iela 70a, Rīga, LV-1011",
     "Rīga", "56.954000", "24.128000", "mon-thu 08:30-17:00; fri 08:30-15:30"),
    ("RIGA", "Rīgas apkaimju centrs", "municipal_office", "Brīvības iela 49/53, Rīga, LV-1010",
     "Rīga", "56.955000", "24.120000", "mon-fri 08:00-17:00"),
]


def make_points(institutions):
    found = {}
    for code, name, kind, address, town, lat, lon, hours in POINTS:
        found[name] = ServicePoint.objects.create(
            institution=institutions[code], name=name, kind=kind, address=address, town=town,
            latitude=Decimal(lat), longitude=Decimal(lon), hours=hours,
            accessibility="Ieeja bez pakāpieniem.")
    return found


@pytest.fixture
def points(catalogue, institutions):
    return make_points(institutions)


@pytest.fixture
def admins(staff, institutions):
    vdaa = identity.record_staff(username="admin.vdaa", password="pw-admin.vdaa-long-enough",
                                 institution=institutions["VDAA"], roles=["institution_admin"])
    return {"vdaa": Actor(kind="staff", staff=vdaa),
            "vsaa": Actor(kind="staff", staff=staff["vsaa_admin"])}
