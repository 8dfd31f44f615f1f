"""The demo data: the pilot scope of MISSION.md, loaded once (what users change stays) and
restored on request (`load_demo --reset`)."""

import json
from base64 import b32decode
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from durvis.addresses.queries import resolve
from durvis.catalog import services as catalog
from durvis.catalog.models import Service
from durvis.catalog.queries import SEARCH_KIND, ServiceFilters, find_services
from durvis.core.actor import Actor
from durvis.demo.loader import DATA_DIR, load_demo
from durvis.demo.models import DemoDataset
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


def _staff(username):
    return StaffMember.objects.get(user__username=username)


def _rows(name):
    return json.loads((DATA_DIR / f"{name}.json").read_text())


@pytest.fixture
def changed(demo):
    """What users of a demo typically change: a client confirms a new e-mail, an institution
    administrator edits a service's text, a platform administrator resets a colleague's second
    factor (who enrols a new device), an institution administrator gives a colleague a role."""
    person_row = next(r for r in _rows("persons") if r.get("email"))
    person = identity_queries.find_person(person_row["personal_code"])
    me = Actor(kind="person", person=person)
    issued = identity.start_contact_change(me, person, "email", "new.address@example.lv")
    assert identity.confirm_contact_change(me, person, "email", issued.code).value

    service_row = _rows("services")[0]
    service = Service.objects.get(code=int(service_row["code"]))
    holder_admin = next(s for s in StaffMember.objects.filter(institution=service.holder)
                        if s.has_role("institution_admin"))
    catalog.update_service(Actor(kind="staff", staff=holder_admin), service,
                           {"summary_lv": "Lietotāja labots apraksts."}, {})

    platform = next(s for s in StaffMember.objects.all() if s.has_role("platform_admin"))
    lost_phone = _staff("admin.vsaa")
    identity.reset_second_factor(Actor(kind="staff", staff=platform), lost_phone)
    enrolled = identity.start_totp_enrolment(lost_phone.user)
    enrolled.confirmed = True
    enrolled.save()
    return {"person": person, "person_row": person_row, "service": service,
            "service_row": service_row, "staff": lost_phone, "device": enrolled}


def test_loading_again_keeps_what_users_changed(changed):
    """Issue 10: `make run` loads the demo on every start; a second start must not undo the
    users' changes."""
    result = load_demo()
    assert result.outcome == "kept"
    changed["person"].refresh_from_db()
    assert changed["person"].email == "new.address@example.lv"
    service = Service.objects.get(pk=changed["service"].pk)
    assert service.summary_lv == "Lietotāja labots apraksts."
    assert "labots" in SearchEntry.objects.get(kind=SEARCH_KIND, object_id=service.pk).text.lower()
    device = identity.totp_device(changed["staff"].user)
    assert device is not None and device.pk == changed["device"].pk


def test_reset_restores_the_demo_records(changed):
    result = load_demo(reset=True)
    assert result.outcome == "reset" and result.counts["services"] == len(_rows("services"))
    changed["person"].refresh_from_db()
    assert changed["person"].email == changed["person_row"]["email"]
    service = Service.objects.get(pk=changed["service"].pk)
    assert service.summary_lv == changed["service_row"]["summary_lv"]
    entry = SearchEntry.objects.get(kind=SEARCH_KIND, object_id=service.pk)  # reindexed too
    assert "labots" not in entry.text.lower()
    row = next(r for r in _rows("staff") if r["username"] == "admin.vsaa")
    device = identity.totp_device(changed["staff"].user)
    assert device is not None and device.key == b32decode(row["totp_secret"]).hex()
    assert TOTPDevice.objects.filter(user=changed["staff"].user).count() == 1
    assert DemoDataset.objects.get().reset_at is not None
    # Loading again after a reset keeps the restored data as it is, too.
    assert load_demo().outcome == "kept"


def test_reset_deletes_nothing_users_made(demo, catalogue):
    """A user's own records (here a service of another institution's catalogue and a case it
    registered) stay; a demo case that was deleted comes back."""
    own_cases = ServiceCase.objects.count()
    first = _rows("cases")[0]
    ServiceCase.objects.filter(holder_reference=first["reference"]).delete()
    load_demo(reset=True)
    assert Service.objects.filter(code=1099).exists()  # the conftest catalogue's draft
    assert ServiceCase.objects.filter(holder_reference=first["reference"]).exists()
    assert ServiceCase.objects.count() == own_cases


def test_a_database_loaded_before_the_marker_is_not_loaded_again(changed):
    """An earlier version left no marker; its demo cases show that the data is there."""
    DemoDataset.objects.all().delete()
    assert load_demo().outcome == "kept"
    changed["person"].refresh_from_db()
    assert changed["person"].email == "new.address@example.lv"
    assert DemoDataset.objects.exists()


def test_the_command_says_what_it_did(db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert out.getvalue().startswith("Demo data loaded:")
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue() and "--reset" in out.getvalue()
    call_command("load_demo", "--reset", stdout=out)
    assert "Demo records restored:" in out.getvalue()


def test_every_demo_service_point_has_its_address_from_the_register(demo, client):
    # The fresh tester's finding: the API gave every point `address_code: null` (A1, A9).
    points = client.get("/api/v1/service-points").json()["items"]
    assert points and all(p["address_code"] for p in points), points
    riga = next(p for p in points if p["address"].startswith("Pils iela 23"))
    assert riga["address_code"] == resolve("Pils iela 23, Rīga").code
