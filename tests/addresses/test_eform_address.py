"""The e-forms' address question (A9, A10): the answer is a current address of the State Address
Register, never free text. The widget posts the chosen address's code (`<key>-code`); without
script "Find the address" shows the register's answers to choose from; a typed text is kept only
when it names one address exactly; anything else is refused in the person's language. The stored
answer is `{"code", "text"}` with the register's standard text; the prefill API checks the same
and answers a 422 in the platform's error body."""

from __future__ import annotations

import pytest
from conftest import sign_in_person

from durvis.eforms.models import Application
from durvis.eforms.queries import compile_form, parse_page, validate_answers
from tests.addresses.address_form import publish_address_form
from tests.addresses.conftest import FILES
from tests.eforms.samples import one_question, q

BARONA_1 = "Krišjāņa Barona iela 1, Rīga, LV-1050"
BARONA_1_CODE = 101844053
STREET_CODE = 100306223  # Krišjāņa Barona iela itself: an area, not an address to live at


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


def _post(client, url, **fields):
    page = client.get(url).content.decode()
    return client.post(url, {"version": Application.objects.get().version,
                             "opened_as": _role(page), **fields})


def test_find_then_choose_the_address_without_script(started):
    client, url = started
    page = client.get(url).content.decode()
    assert 'data-address-combobox' in page and 'name="find_address"' in page
    found = _post(client, url, address="krisjana brona 1 rig", find_address="address")
    assert found.status_code == 200
    html = found.content.decode()
    assert "Izvēlieties adresi no reģistra" in html
    assert f'name="address-pick" type="radio" value="{BARONA_1_CODE}"' in html
    assert f">{BARONA_1}</label>" in html
    assert Application.objects.get().answers == {}  # nothing saved by a search
    saved = _post(client, url, address="krisjana brona 1 rig",
                  **{"address-pick": str(BARONA_1_CODE)})
    assert saved.status_code == 302
    assert Application.objects.get().answers["address"] == {"code": BARONA_1_CODE,
                                                            "text": BARONA_1}


def test_the_widgets_choice_is_stored_with_the_registers_text(started):
    client, url = started
    saved = _post(client, url, address="Krišjāņa Barona iela 1, Rīga, LV-1050",
                  **{"address-code": str(BARONA_1_CODE)})
    assert saved.status_code == 302
    assert Application.objects.get().answers["address"] == {"code": BARONA_1_CODE,
                                                            "text": BARONA_1}
    again = client.get(url).content.decode()  # shown again with its code kept for the widget
    assert f'value="{BARONA_1}"' in again
    assert f'name="address-code" value="{BARONA_1_CODE}"' in again


def test_an_exact_standard_text_typed_without_script_is_that_address(started):
    client, url = started
    saved = _post(client, url, address="krisjana barona iela 1, riga")
    assert saved.status_code == 302
    assert Application.objects.get().answers["address"]["code"] == BARONA_1_CODE


@pytest.mark.parametrize(("language", "message"), [
    ("lv", "Izvēlieties adresi no Valsts adrešu reģistra"),
    ("en", "Choose the address from the State Address Register"),
])
def test_free_text_is_refused_in_the_persons_language(started, language, message):
    client, url = started
    refused = _post(client, url if language == "lv" else f"/en{url}", address="Mana māja 7")
    html = refused.content.decode()
    assert refused.status_code == 422
    assert message in html and "govuk-error-summary" in html
    assert Application.objects.get().answers == {}


def test_a_code_the_text_no_longer_shows_is_not_taken(started):
    """Without script the hidden code stays when the person types another address over the
    chosen one: the typed text counts, and free text is refused."""
    client, url = started
    refused = _post(client, url, address="Mana māja 7", **{"address-code": str(BARONA_1_CODE)})
    assert refused.status_code == 422
    assert Application.objects.get().answers == {}


@pytest.mark.parametrize("code", ["999999999", str(STREET_CODE), "0", "9" * 18])
def test_a_code_that_is_no_current_address_is_refused(started, code):
    client, url = started
    refused = _post(client, url, address="", **{"address-code": code})
    assert refused.status_code == 422
    assert "Valsts adrešu reģistrā tagad nav tādas adreses" in refused.content.decode()


def test_an_unknown_address_says_so(started):
    client, url = started
    found = _post(client, url, address="nekurienes 999", find_address="address")
    assert "Reģistrā nav tādas adreses" in found.content.decode()


# --- the engine ---------------------------------------------------------------------------------

def _form(required=False):
    return compile_form(one_question(q("x", "address", required=required)))


@pytest.mark.parametrize(("answer", "code"), [
    ("Brīvības iela 1, Rīga, LV-1010", "address"),  # free text
    ({"text": BARONA_1}, "address"),
    ({"code": str(BARONA_1_CODE)}, "address"),
    ({"code": True}, "address"),
    ({"code": BARONA_1_CODE, "text": 5}, "address"),
    ({"code": BARONA_1_CODE, "lat": 56.9}, "address"),
    ([BARONA_1_CODE], "address"),
    ({"code": 999999999}, "address_unknown"),
    ({"code": STREET_CODE}, "address_unknown"),
    ({"code": -1}, "address_unknown"),
    ({"code": 10**30}, "address_unknown"),
])
def test_the_engine_refuses_what_is_no_current_register_address(register, answer, code):
    errors = validate_answers(_form(), {"x": answer})
    assert [(k, e.code) for k, e in errors.items()] == [("x", code)]


def test_a_retired_address_is_refused(register):
    from durvis.addresses import services

    assert validate_answers(_form(), {"x": {"code": 101844002}}) == {}
    services.import_register(FILES / "changes")  # Barona 5 retired
    assert validate_answers(_form(), {"x": {"code": 101844002}})["x"].code == "address_unknown"


def test_the_engine_accepts_a_current_code_and_parses_the_widgets_fields(register):
    form = _form(required=True)
    assert validate_answers(form, {"x": {"code": BARONA_1_CODE, "text": BARONA_1}}) == {}
    assert validate_answers(form, {})["x"].code == "required"
    assert parse_page(form, "p1", {"x": "", "x-code": str(BARONA_1_CODE)}) == {
        "x": {"code": BARONA_1_CODE, "text": BARONA_1}}
    assert parse_page(form, "p1", {"x": "Mana māja", "x-code": ""}) == {"x": "Mana māja"}
    assert parse_page(form, "p1", {"x": "", "x-code": ""}) == {}


# --- the API: a holder's system's prefill ------------------------------------------------------

@pytest.fixture
def prefiller(api_client_factory, institutions, catalogue, settings, register):
    settings.DURVIS_WEBHOOK_ALLOW_INTERNAL = True
    institutions["VSAA"].website = "https://www.vsaa.gov.lv"
    institutions["VSAA"].save()
    publish_address_form(institutions, catalogue["childbirth"])
    return api_client_factory("VSAA", operations=("applications:prefill",))


def _prefill(http, answer):
    return http.post("/api/v1/applications/prefill", {
        "service_code": 1011, "answers": {"address": answer},
        "return_url": "https://e.vsaa.gov.lv/atpakal"}, content_type="application/json")


@pytest.mark.parametrize(("answer", "code"), [
    ("Krišjāņa Barona iela 1, Rīga", "address"),
    ({"code": 999999999, "text": "Nekur 1"}, "address_unknown"),
    ({"code": STREET_CODE}, "address_unknown"),
])
def test_the_prefill_api_refuses_what_is_no_register_address(prefiller, answer, code):
    from durvis.eforms.models import PrefillTicket

    response = _prefill(prefiller, answer)
    assert response.status_code == 422, response.content
    assert response.json()["detail"] == [{
        "loc": ["body", "answers", "address"], "type": code,
        "msg": response.json()["detail"][0]["msg"]}]
    assert response.json()["detail"][0]["msg"]
    assert not PrefillTicket.objects.exists()


def test_the_prefill_api_stores_the_registers_text(prefiller):
    from durvis.eforms.models import PrefillTicket

    response = _prefill(prefiller, {"code": BARONA_1_CODE, "text": "barona 1"})
    assert response.status_code == 201, response.content
    assert PrefillTicket.objects.get().answers == {
        "address": {"code": BARONA_1_CODE, "text": BARONA_1}}
