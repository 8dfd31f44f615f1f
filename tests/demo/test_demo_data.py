"""The demo data: the pilot scope of MISSION.md, loaded idempotently."""

import json
from base64 import b32decode

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django_otp.plugins.otp_totp.models import TOTPDevice

from durvis.catalog.models import Service
from durvis.catalog.queries import ServiceFilters, find_services
from durvis.demo.loader import DATA_DIR, load_demo
from durvis.identity import queries as identity_queries
from durvis.identity import services as identity
from durvis.identity.models import Company, Person, StaffMember
from durvis.identity.registers import enterprise_register, population_register
from durvis.register import queries as register_queries
from durvis.register.models import ServiceCase
from durvis.search.models import SearchEntry

PILOT_CODES = {"P.02", "P.05", "P.06", "P.08", "P.09", "P.10", "P.11", "P.12", "P.13", "P.14",
               "P.15", "P.16", "P.17", "P.18", "P.19", "P.20"}


@pytest.fixture
def demo(db):
    return load_demo()


def test_pilot_scope_is_loaded(demo):
    assert set(Service.objects.exclude(pilot_code="").values_list("pilot_code", flat=True)) == PILOT_CODES
    assert Service.objects.get(pilot_code="P.11").holder.code == "VSAA"
    assert Service.objects.exclude(municipality=None).count() >= 10
    assert Service.objects.exclude(fee_kind="none").count() >= 5
    assert Person.objects.count() >= 20 and Company.objects.count() >= 5


def test_loading_twice_changes_nothing(demo):
    def snapshot():
        return (
            list(Service.objects.values_list("code", "updated_at")),
            list(SearchEntry.objects.values_list("object_id", "updated_at")),
            list(Person.objects.values_list("personal_code", "given_name")),
            StaffMember.objects.count(),
            list(ServiceCase.objects.values_list("number", "status", "change_seq")),
        )

    before = snapshot()
    load_demo()
    assert snapshot() == before


def test_demo_relations_come_through_the_register_adapters(demo):
    rows = json.loads((DATA_DIR / "persons.json").read_text())
    parent_row = next(r for r in rows if r.get("children"))
    parent = identity_queries.find_person(parent_row["personal_code"])
    children = {c.personal_code for c in population_register().minor_children(parent)}
    assert children == set(parent_row["children"])
    company_rows = json.loads((DATA_DIR / "companies.json").read_text())
    rep = company_rows[0]["representatives"][0]
    represented = enterprise_register().representations(identity_queries.find_person(rep["personal_code"]))
    assert company_rows[0]["registration_number"] in {r.company.registration_number for r in represented}


def test_person_who_moved_to_new_code_is_found_by_both(demo):
    row = next(r for r in json.loads((DATA_DIR / "persons.json").read_text())
               if r.get("historical_codes"))
    assert row["personal_code"].startswith("32")
    person = identity_queries.find_person(row["personal_code"])
    assert identity_queries.find_person(row["historical_codes"][0]) == person
    assert person.date_of_birth is not None


def test_childbirth_benefit_is_found_in_demo_catalogue(demo):
    for query in ("berna pabalsts", "bērna pabalst", "childbirth benefit"):
        assert find_services(ServiceFilters(query=query))[0].pilot_code == "P.11"


def test_demo_staff_have_a_fixed_second_factor(demo):
    rows = json.loads((DATA_DIR / "staff.json").read_text())
    for row in rows:
        device = identity.totp_device(get_user_model().objects.get(username=row["username"]))
        assert device is not None and device.key == b32decode(row["totp_secret"]).hex()
    before = list(TOTPDevice.objects.order_by("pk").values_list("pk", "key", "confirmed"))
    load_demo()
    assert list(TOTPDevice.objects.order_by("pk").values_list("pk", "key", "confirmed")) == before
    assert len(before) == len(rows)


def test_demo_data_refused_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(ImproperlyConfigured):
        load_demo()


def test_demo_clients_have_cases_with_histories(demo):
    """A newcomer's e-account shows something: cases of a person, of a child and of a company,
    open ones and decided ones with a result (A2, C3)."""
    anna = identity_queries.find_person("02078913774")
    cases = list(register_queries.client_history(anna))
    assert {c.status for c in cases} >= {"decided", "in_progress"}
    assert register_queries.client_history(identity_queries.find_person("22051520311")).exists()
    assert register_queries.client_history(company=identity_queries.find_company("40203123456")).exists()
    assert ServiceCase.objects.count() == len(json.loads((DATA_DIR / "cases.json").read_text()))
