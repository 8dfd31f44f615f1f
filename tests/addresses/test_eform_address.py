"""The e-forms' address question (A9, A10) without script: "Find the address" shows the
register's answers to choose from, the choice becomes the answer; with the widget's markup."""

from __future__ import annotations

import pytest
from conftest import sign_in_person

from durvis.eforms.models import Application
from tests.addresses.address_form import publish_address_form
from tests.addresses.conftest import FILES

BARONA_1 = "Krišjāņa Barona iela 1, Rīga, LV-1050"


@pytest.fixture
def started(family, institutions, catalogue, client):
    from durvis.addresses import services

    services.import_register(FILES / "current")
    publish_address_form(institutions, catalogue["childbirth"])
    sign_in_person(client, family["parent"])
    start = client.get("/services/1011/apply/").content.decode()
    response = client.post("/services/1011/apply/", {"opened_as": _role(start)})
    assert response.status_code == 302, response.content[:500]
    return client, response["Location"]


def _role(page: str) -> str:
    return page.split('name="opened_as" value="')[1].split('"')[0]


def test_find_then_choose_the_address_without_script(started):
    client, url = started
    page = client.get(url).content.decode()
    assert 'data-address-combobox' in page and 'name="find_address"' in page
    application = Application.objects.get()
    found = client.post(url, {"address": "krisjana brona 1 rig", "find_address": "address",
                              "version": application.version, "opened_as": _role(page)})
    assert found.status_code == 200
    html = found.content.decode()
    assert "Izvēlieties adresi no reģistra" in html
    assert f'name="address-pick" type="radio" value="{BARONA_1}"' in html
    application.refresh_from_db()
    assert application.answers == {}  # nothing saved by a search
    saved = client.post(url, {"address": "krisjana brona 1 rig", "address-pick": BARONA_1,
                              "version": application.version, "opened_as": _role(page)})
    assert saved.status_code == 302
    application.refresh_from_db()
    assert application.answers["address"] == BARONA_1


def test_an_unknown_address_says_so(started):
    client, url = started
    page = client.get(url).content.decode()
    role = _role(page)
    found = client.post(url, {"address": "nekurienes 999", "find_address": "address",
                              "version": Application.objects.get().version, "opened_as": role})
    assert "Reģistrā nav tādas adreses" in found.content.decode()
