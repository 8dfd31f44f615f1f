"""Address search (A9): missing diacritics, typos and word order; the API's answers and its
4xx bodies; the plain search pages without script; the declared address and the municipality."""

from __future__ import annotations

import pytest

from durvis.addresses import queries
from durvis.identity import services as identity
from durvis.identity.models import Institution

BARONA_1 = "Krišjāņa Barona iela 1, Rīga, LV-1050"


@pytest.mark.parametrize("query", [
    "barona 1 riga", "Krisjana Barona iela 1", "krišjāņa baronna 1", "1 barona", "riga barona 1",
    "KRISJANA BARONA 1", "krisjana brona 1 rig",
])
def test_a_query_finds_the_address_however_it_is_typed(register, query):
    found = queries.search(query, limit=5)
    assert found and found[0].text == BARONA_1
    assert (found[0].code, found[0].lat, found[0].lon) == (101844053, 56.949673, 24.117556)


def test_one_number_finds_buildings_two_find_premises(register):
    assert all(f.kind == 108 for f in queries.search("barona 1", limit=50))
    flat = queries.search("barona 1 5 riga")
    assert [f.text for f in flat] == ["Krišjāņa Barona iela 1 - 5, Rīga, LV-1050"]
    assert flat[0].postcode == ""


def test_a_number_finds_its_lettered_building_and_places_count(register):
    assert queries.search("terbatas 32")[0].text == "Tērbatas iela 32a, Rīga, LV-1011"
    assert queries.search("gertrudes 27")[0].text == "Ģertrūdes iela 27, Rīga, LV-1011"
    assert queries.search("ozolu 18 valmiermuiza")[0].code == 101003948
    assert queries.search('"lejaskalni" vecates')[0].text.startswith('"Lejaskalni"')


def test_nothing_for_unknown_words_or_no_words(register):
    assert queries.search("zzzzqqq 1") == []
    assert queries.search("iela, nov.") == []
    assert queries.search("") == []
    with pytest.raises(ValueError):
        queries.search("barona", limit=0)


def test_resolve_and_the_municipality(register):
    assert queries.resolve("krisjana barona iela 1, riga").code == 101844053
    assert queries.resolve("Krišjāņa Barona iela 1, Rīga, LV-1050").code == 101844053
    assert queries.resolve("Nekurienes iela 1, Rīga") is None
    assert queries.municipality_atvk(101844053) == "0001000"  # a state city
    assert queries.municipality_atvk(101003948) == "0054000"  # via village, parish, novads
    assert queries.municipality_atvk(999999999) is None


def test_a_declared_address_gives_the_code_and_the_municipality(register):
    riga = identity.record_institution(code="RIGA", names={"lv": "Rīga", "en": "Riga"},
                                       kind="municipality")
    Institution.objects.filter(pk=riga.pk).update(atvk_code="0001000")
    valmiera = identity.record_institution(code="VALMIERA", names={"lv": "V", "en": "V"},
                                           kind="municipality")
    Institution.objects.filter(pk=valmiera.pk).update(atvk_code="0054000")
    person = identity.record_person(
        personal_code="161175-19997", given_name="Jānis", family_name="Bērziņš",
        declared_address="Ozolu iela 18, Valmiermuiža, Valmieras pag., Valmieras nov.",
        declared_municipality=riga)
    assert person.declared_address_code == 101003948
    assert person.declared_municipality == valmiera
    moved = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                   family_name="Bērziņš", declared_address="KRISJANA BARONA IELA 1, RIGA",
                                   declared_municipality=valmiera)
    assert (moved.declared_address_code, moved.declared_municipality) == (101844053, riga)
    unknown = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                     family_name="Bērziņš", declared_address="Berlin, Germany",
                                     declared_municipality=riga)
    assert (unknown.declared_address_code, unknown.declared_municipality) == (None, riga)


def test_the_api_answers_text_code_and_coordinates(register, client):
    response = client.get("/api/v1/addresses", {"q": "barona 1 riga"})
    assert response.status_code == 200
    assert response.json()["items"][0] == {
        "code": 101844053, "text": BARONA_1, "kind": "building", "postcode": "LV-1050",
        "lat": 56.949673, "lon": 24.117556}
    flat = client.get("/api/v1/addresses", {"q": "barona 1 5", "limit": 1}).json()["items"]
    assert flat == [{"code": 102500005, "text": "Krišjāņa Barona iela 1 - 5, Rīga, LV-1050",
                     "kind": "premises", "postcode": None, "lat": None, "lon": None}]
    assert len(client.get("/api/v1/addresses", {"q": "riga", "limit": 3}).json()["items"]) == 3


@pytest.mark.parametrize(("params", "loc", "type_"), [
    ({}, ["query", "q"], "missing"),
    ({"q": ""}, ["query", "q"], "string_too_short"),
    ({"q": "x" * 201}, ["query", "q"], "string_too_long"),
    ({"q": "!!! ..."}, ["query", "q"], "no_words"),
    ({"q": "barona", "limit": 0}, ["query", "limit"], "greater_than_equal"),
    ({"q": "barona", "limit": 51}, ["query", "limit"], "less_than_equal"),
    ({"q": "barona", "limit": "ten"}, ["query", "limit"], "int_parsing"),
])
def test_the_api_refuses_a_bad_query_with_the_one_error_body(db, client, params, loc, type_):
    response = client.get("/api/v1/addresses", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert (problem["loc"], problem["type"]) == (loc, type_)
    assert problem["msg"]


@pytest.mark.parametrize("query", ["barona\x00 1", "\x00abc", "abc\x1b", "abc\u202e"])
def test_the_api_refuses_control_characters(db, client, query):
    response = client.get("/api/v1/addresses", {"q": query}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", "q"]
    assert problem["type"] in ("control_character", "bidi_control")
    assert "U+" in problem["msg"]


def test_the_plain_search_page_works_without_script(register, client):
    page = client.get("/addresses/", {"q": "barona 1 riga"})
    assert page.status_code == 200
    html = page.content.decode()
    assert BARONA_1 in html and "101844053" in html and "56.949673" in html
    assert 'data-address-combobox' in html and 'role="listbox"' in html
    assert 'role="combobox"' not in html  # the script adds it: without it, a plain input
    english = client.get("/en/addresses/", {"q": "zzzzqq"}).content.decode()
    assert "No address found" in english
    latvian = client.get("/addresses/", {"q": "..."}).content.decode()
    assert "Nav ko meklēt" in latvian


def test_the_embedded_search_may_be_framed_anywhere(register, client):
    page = client.get("/embed/addresses/", {"q": "ozolu 18"})
    assert page.status_code == 200
    assert "X-Frame-Options" not in page.headers
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    assert "Ozolu iela 18, Valmiermuiža" in page.content.decode()
    assert "data-post-to-parent" in page.content.decode()
    script = client.get("/embed/addresses.js")
    assert script["Content-Type"].startswith("text/javascript")
    assert "http://testserver/embed/addresses/" in script.content.decode()


@pytest.mark.parametrize("path", ["/addresses/", "/embed/addresses/"])
@pytest.mark.parametrize("typed", ["barona\x00 1 riga", "\x00barona 1 riga", "barona 1\x1b riga"])
def test_control_characters_are_left_out_of_the_search_and_named(register, client, path, typed):
    """`?q=%00abc` searched for the rest, the page saying what it left out (was: nothing)."""
    html = client.get(path, {"q": typed}).content.decode()
    assert BARONA_1 in html
    assert "Meklējot neņēma vērā neredzamās rakstzīmes" in html
    assert ("U+0000" in html) or ("U+001B" in html)


@pytest.mark.parametrize("path", ["/addresses/", "/embed/addresses/"])
def test_a_bidirectional_control_is_refused_as_in_every_line(register, client, path):
    html = client.get(path, {"q": "barona 1 riga\u202e"}).content.decode()
    assert "govuk-error-message" in html and "U+202E" in html
    assert BARONA_1 not in html


@pytest.mark.parametrize("path", ["/addresses/", "/en/addresses/", "/embed/addresses/"])
@pytest.mark.parametrize(("params", "says"), [
    ({"q": "\x00"}, ("Nav ko meklēt", "Nothing to search for")),
    ({"q": "\x00\x01\x7f"}, ("Nav ko meklēt", "Nothing to search for")),
    ({"q": "\u200b"}, ("tikai neredzamas", "only invisible")),
    ({"q-code": "abc"}, ("nav reģistra kods", "is not a register code")),
    ({"q-code": "１２３"}, ("nav reģistra kods", "is not a register code")),
    ({"q": "barona 1", "q-code": "999999999"}, ("Krišjāņa Barona iela 1", "Krišjāņa Barona iela 1")),
    ({"q": "x" * 5000}, ("nav atrasta", "No address found")),
    ({"q": "barona 1", "page": "zz", "other": "\x00"}, ("Krišjāņa Barona iela 1",) * 2),
])
def test_every_query_parameter_gets_an_answer_never_an_empty_page(register, client, path,
                                                                   params, says):
    response = client.get(path, params)
    assert response.status_code == 200
    assert says[1 if path.startswith("/en/") else 0] in response.content.decode()


def test_the_widgets_choice_shows_the_chosen_address(register, client):
    html = client.get("/addresses/", {"q": BARONA_1, "q-code": "101844053"}).content.decode()
    assert "Izvēlētā adrese" in html and "101844053" in html and "56.949673" in html
    assert html.count('class="durvis-address-text"') == 1
    assert "data-submit-on-choose" in html
    embedded = client.get("/embed/addresses/").content.decode()
    assert "data-submit-on-choose" not in embedded  # framed: choosing tells the host page


@pytest.mark.parametrize("path", ["/addresses/", "/en/addresses/", "/api/v1/addresses"])
def test_a_postcode_alone_is_searched_on_the_page_as_in_the_api(register, client, path):
    # The fresh tester's finding: the API found "LV-1050", the page said "nothing to search for".
    answer = client.get(path, {"q": "LV-1050"})
    assert answer.status_code == 200
    text = (str(answer.json()["items"]) if path.startswith("/api/")
            else answer.content.decode())
    assert BARONA_1 in text
    assert "Nav ko meklēt" not in text and "Nothing to search for" not in text
