"""The public catalogue pages in the e-account's active role (A1, C1, issue 15): acting for a
company, its board member sees the companies' services and not the residents'; a company's
employee with a mandate for chosen services sees exactly those; as themself, a person sees the
residents' services as before; a visitor sees the public catalogue."""

import pytest

from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.mandates import services as mandates

pytestmark = pytest.mark.django_db

RESIDENTS, ALL, COMPANIES = 1011, 1006, 1101


@pytest.fixture
def employee(family, catalogue):
    """A company's employee whom its board member gave a mandate for one service only."""
    worker = identity.record_person(personal_code="05118012342", given_name="Ilze",
                                    family_name="Grāmatvede")
    mandates.grant(Actor(kind="person", person=family["parent"]), family["company"],
                   worker.personal_code, mandates.Terms(
                       scope="services", service_ids=[catalogue["declaration"].pk],
                       rights=["apply", "read"]))
    return worker


def _status(browser, code):
    return browser.get(f"/en/services/{code}/").status_code


def _listed(browser, url="/en/services/"):
    page = browser.get(url).content.decode()
    return {code for code in (RESIDENTS, ALL, COMPANIES) if f"/en/services/{code}/" in page}


def test_a_board_member_acting_for_the_company_sees_the_companys_services(family, sign_in):
    company = family["company"]
    browser = sign_in(family["parent"], f"company:{company.pk}")
    assert _status(browser, COMPANIES) == 200
    assert _status(browser, RESIDENTS) == 404
    assert _listed(browser) == {ALL, COMPANIES}
    assert _listed(browser, "/en/services/?q=VAT") == {COMPANIES}


def test_an_employee_with_a_mandate_for_one_service_sees_only_it(family, employee, sign_in):
    browser = sign_in(employee, f"company:{family['company'].pk}")
    assert _status(browser, ALL) == 200
    assert _status(browser, COMPANIES) == 404
    assert _status(browser, RESIDENTS) == 404  # no start page offered for it either
    assert _listed(browser) == {ALL}
    apply = browser.get(f"/en/services/{ALL}/")
    assert apply.status_code == 200


def test_as_themself_a_person_sees_the_residents_services(family, employee, sign_in):
    browser = sign_in(employee)
    assert _status(browser, RESIDENTS) == 200
    assert _status(browser, COMPANIES) == 404
    assert _listed(browser) == {RESIDENTS, ALL}


def test_switching_the_role_changes_the_catalogue_at_once(family, sign_in):
    browser = sign_in(family["parent"])
    assert _status(browser, COMPANIES) == 404
    switched = browser.post("/en/eaccount/role/", {"role": f"company:{family['company'].pk}"})
    assert switched.status_code in (302, 303)
    assert _status(browser, COMPANIES) == 200
    assert _status(browser, RESIDENTS) == 404


def test_a_visitor_sees_the_public_catalogue(client, family):
    assert _status(client, COMPANIES) == 200 and _status(client, RESIDENTS) == 200


def test_the_demo_company_and_its_employee(db, sign_in):
    """The tester's case on the demo data: SIA Zaļā Pļava (40203123456), its board member
    Pēteris and its employee Kristaps, who holds a mandate for 1110 and 1112 only."""
    from durvis.demo.loader import load_demo
    from durvis.identity.models import Company, Person

    load_demo()
    company = Company.objects.get(registration_number="40203123456")
    board = sign_in(Person.objects.get(personal_code="16117519997"), f"company:{company.pk}")
    assert _status(board, 1106) == 200 and _status(board, 1112) == 200
    assert _status(board, 1011) == 404
    employee = sign_in(Person.objects.get(personal_code="32867300417"), f"company:{company.pk}")
    assert _status(employee, 1112) == 200 and _status(employee, 1110) == 200
    assert _status(employee, 1106) == 404 and _status(employee, 1011) == 404
    listed = employee.get("/en/services/").content.decode()
    assert "/en/services/1112/" in listed and "/en/services/1106/" not in listed


def test_the_catalogue_api_answers_in_the_active_role(family, employee, sign_in):
    """The same role reaches the catalogue API called from the e-account's pages (A1, A6)."""
    browser = sign_in(employee, f"company:{family['company'].pk}")
    listed = {item["code"] for item in browser.get("/api/v1/services?limit=100").json()["items"]}
    assert ALL in listed and COMPANIES not in listed and RESIDENTS not in listed
    assert browser.get(f"/api/v1/services/{COMPANIES}").status_code == 404
    assert browser.get(f"/api/v1/services/{ALL}").status_code == 200
    themself = sign_in(employee)
    assert themself.get(f"/api/v1/services/{RESIDENTS}").status_code == 200


def test_the_embedded_entry_answers_in_the_active_role(family, sign_in):
    """A portal's frame shows the service's entry only where the active role may use it."""
    board = sign_in(family["parent"], f"company:{family['company'].pk}")
    assert board.get(f"/embed/services/{COMPANIES}/apply/").status_code == 200
    assert board.get(f"/embed/services/{RESIDENTS}/apply/").status_code == 404
    assert sign_in(family["parent"]).get(f"/embed/services/{RESIDENTS}/apply/").status_code == 200
