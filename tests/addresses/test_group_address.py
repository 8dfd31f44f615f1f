"""An address question inside a repeating group (A9, A10) has the same no-script path as one
outside: "Find the address" shows the register's answers for that item, nothing saved; the
chosen one (its code) becomes that item's answer on "Save and continue"."""

from __future__ import annotations

import pytest
from conftest import sign_in_person

from durvis.eforms.models import Application
from tests.addresses.conftest import FILES
from tests.addresses.test_eform_address import BARONA_1, BARONA_1_CODE, _role
from tests.eforms.journey import publish_form
from tests.eforms.samples import q, t


@pytest.fixture
def started(family, institutions, catalogue, client):
    from durvis.addresses import services

    services.import_register(FILES / "current")
    publish_form(institutions, catalogue["childbirth"], {"format": "durvis-form/1", "pages": [
        {"key": "homes", "title": t("Dzīvesvietas", "Residences"), "questions": [
            q("homes", "repeating_group", required=True, min=1, max=3,
              item_label=t("Dzīvesvieta", "Residence"), questions=[
                  q("address", "address", required=True),
              ]),
        ]},
    ]})
    sign_in_person(client, family["parent"])
    start = client.get("/services/1011/apply/").content.decode()
    response = client.post("/services/1011/apply/", {"opened_as": _role(start)})
    assert response.status_code == 302, response.content[:500]
    return client, response["Location"]


def _post(client, url, **fields):
    page = client.get(url).content.decode()
    return client.post(url, {"version": Application.objects.get().version,
                             "opened_as": _role(page), **fields})


def test_find_then_choose_an_items_address_without_script(started):
    client, url = started
    page = client.get(url).content.decode()
    assert 'name="find_address" value="homes-0-address"' in page
    found = _post(client, url, **{"homes-count": "1", "homes-0-address": "krisjana brona 1 rig",
                                  "find_address": "homes-0-address"})
    assert found.status_code == 200
    html = found.content.decode()
    assert f'name="homes-0-address-pick" type="radio" value="{BARONA_1_CODE}"' in html
    assert f">{BARONA_1}</label>" in html
    assert Application.objects.get().answers == {}  # nothing saved by a search
    saved = _post(client, url, **{"homes-count": "1", "homes-0-address": "krisjana brona 1 rig",
                                  "homes-0-address-pick": str(BARONA_1_CODE)})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert Application.objects.get().answers["homes"] == [
        {"address": {"code": BARONA_1_CODE, "text": BARONA_1}}]


def test_an_items_find_for_an_item_not_posted_is_not_a_search(started):
    client, url = started
    refused = _post(client, url, **{"homes-count": "1", "homes-0-address": "krisjana brona 1",
                                    "find_address": "homes-5-address"})
    assert refused.status_code == 422  # no such item: the page is saved and refused as typed
