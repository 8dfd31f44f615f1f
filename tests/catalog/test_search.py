"""Catalogue search (A1, A13): with and without diacritics, tolerant of a typo, in both languages."""

import pytest

from durvis.catalog.queries import ServiceFilters, find_services
from durvis.search.text import normalize, word_similarity


def search(query):
    return [service.code for service in find_services(ServiceFilters(query=query))[:100]]


@pytest.mark.parametrize("query", [
    "berna pabalsts",         # no diacritics
    "bērna pabalst",          # a missing ending
    "Bērna piedzimšanas pabalsts",
    "childbirth benefit",     # English
    "childbirht",             # a typo
    "BĒRNA",
    "1011",                   # the service code
])
def test_finds_the_childbirth_benefit(catalogue, query):
    assert search(query)[0] == 1011


def test_when_no_service_has_every_word_those_with_some_are_answered(catalogue):
    found = find_services(ServiceFilters(query="pabalsts deklarācija"))
    assert found.partial and {s.code for s in found} == {1006, 1011}
    assert not find_services(ServiceFilters(query="bērna pabalsts")).partial


def test_best_match_first(catalogue):
    assert search("gada ienakumu deklaracija")[0] == 1006


def test_nonsense_finds_nothing(catalogue):
    assert search("zzzqqq") == []
    assert search("a") == []
    assert search("   ") != []  # an empty query lists everything


def test_index_follows_changes(catalogue):
    from durvis.catalog.services import import_service

    service = catalogue["vat"]
    import_service(service.code, service.holder,
                   {"name_lv": "Nodokļu maksātāja reģistrācija", "name_en": "Taxpayer registration",
                    "audience": "companies", "status": "published",
                    "application_channels": ["eaccount"]}, {})
    assert search("taxpayer") == [1101]
    assert search("VAT") == []


def test_normalize_strips_latvian_diacritics():
    assert normalize("Ģimenes valsts pabalsts, Ķekava — Žņ") == "gimenes valsts pabalsts kekava zn"


def test_word_similarity_matches_pg_trgm_definition():
    assert word_similarity("pabalsts", "valsts pabalsts") == 1.0
    assert word_similarity("pabalst", "pabalsts") == pytest.approx(7 / 8)
    assert word_similarity("xyz", "pabalsts") == 0.0
