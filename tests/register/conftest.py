"""Fixtures of the register's tests: a person and the systems of a holder and a centre."""

import pytest

from durvis.identity import services as identity


@pytest.fixture
def person(institutions):
    return identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                  family_name="Bērziņš", declared_municipality=institutions["RIGA"])


@pytest.fixture
def vsaa(api_client_factory, catalogue):
    return api_client_factory("VSAA")


@pytest.fixture
def centre(api_client_factory, catalogue):
    """The client-service centres' system (VDAA provides the VSAA services)."""
    return api_client_factory("VDAA")
