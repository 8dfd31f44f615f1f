"""The light Latvian stemmer (issue 19): the forms of one noun or adjective meet in one stem,
consonant alternations included, and different words stay apart."""

import pytest
from django.db import connection

from durvis.search.text import (
    MAX_QUERY_TERMS,
    code_key,
    ignored_words,
    normalize,
    query_words,
    stem,
    terms,
    word_similarity,
)


def stems(words):
    return {stem(normalize(w)) for w in words.split()}


@pytest.mark.parametrize("forms", [
    # 1st declension (-s, -š): nominative, genitive, dative, accusative, locative, plural forms
    "pabalsts pabalsta pabalstam pabalstu pabalstā pabalsti pabalstu pabalstiem pabalstus pabalstos",
    "pieteikums pieteikuma pieteikumam pieteikumā pieteikumi pieteikumiem",
    # 2nd declension (-is) with the consonant alternation l/ļ, k/ķ, c/č, n/ņ
    "dzīvoklis dzīvokļa dzīvoklim dzīvokli dzīvoklī dzīvokļi dzīvokļu dzīvokļiem dzīvokļus",
    "nodoklis nodokļa nodoklim nodoklī nodokļi nodokļu nodokļiem",
    "brālis brāļa brālim brāļi brāļu",
    "lācis lāča lācim lāči lāču",
    # 3rd declension (-us)
    "tirgus tirgum tirgū tirgi tirgiem",
    # 4th declension (-a)
    "deklarācija deklarācijas deklarācijai deklarāciju deklarācijā deklarācijām deklarācijās",
    "izziņa izziņas izziņai izziņu izziņā izziņām",
    "atļauja atļaujas atļaujai atļauju atļaujā atļaujām",
    # 5th declension (-e)
    "pase pases pasei pasi pasē pasu pasēm",
    "īre īres īrei īri īrē",
    "klase klases klasei klasē klašu",
    # 6th declension (-s) with the epenthetic j after a labial
    "zivs zivij zivju zivīm",
    "govs govij govju govīm",
    # adjectives, indefinite and definite
    "valsts valstij valstī",
    "garantētais garantētā garantētajam garantētajā garantētie garantētajiem",
    "minimālā minimālās minimālajai minimālo minimālajā minimālajām",
    "nekustamais nekustamā nekustamajam nekustamo nekustamajā",
])
def test_the_forms_of_a_word_meet_in_one_stem(forms):
    assert len(stems(forms)) == 1, {w: stem(normalize(w)) for w in forms.split()}


@pytest.mark.parametrize("a, b", [
    ("pase", "pasākums"), ("pase", "pasts"), ("ire", "iela"), ("bērns", "bērnudārzs"),
    ("nodoklis", "nodarbinātība"), ("pabalsts", "pabalstīt"),
])
def test_different_words_stay_apart(a, b):
    assert stem(normalize(a)) != stem(normalize(b))


def test_without_diacritics_is_the_same_stem():
    assert stems("dzīvokļa dzivokla dzivoklis") == {"dzivokl"}
    assert stems("īrei irei ire") == {"ir"}


def test_short_words_and_codes_are_kept_whole():
    assert stem("es") == "es" and stem("pvn") == "pvn" and stem("1996") == "1996"
    assert stem("eid") == "eid"


def test_little_words_are_left_out_unless_alone():
    assert terms("Pabalsts par bērna piedzimšanu un kopšanu") == ["pabalst", "bern",
                                                                   "piedzimsan", "kopsan"]
    assert terms("the income of a child") == ["incom", "child"]
    assert terms("un") == ["un"]
    assert query_words("a b c") == []


def test_a_code_is_one_key_however_it_is_typed():
    assert {code_key(c) for c in ("P.06", "p06", "P 6", "p6", " p.06 ")} == {"p6"}
    assert code_key("1011") == "1011"
    assert code_key("pase") == ""


def test_a_long_query_keeps_its_first_eight_words_and_names_the_others():
    query = "viens divi trīs četri pieci seši septiņi astoņi deviņi, desmit!"
    assert len(query_words(query)) == MAX_QUERY_TERMS == 8
    assert ignored_words(query) == ["deviņi", "desmit"]
    # little and one-letter words are not counted (nor named)
    assert ignored_words("a un viens divi trīs par četri pieci seši septiņi astoņi") == []


# (word, text): one word against one word, a typo, a missing ending, a longer text (pg_trgm
# takes the best extent of the text's trigrams, across its words), no trigram in common
SIMILARITY_CASES = [
    ("pabalst", "pabalsts"), ("pabalsts", "valsts pabalsts"), ("xyz", "pabalsts"),
    ("pase", "pasakum"), ("ber", "bern"), ("ber", "apbedisan"), ("apbedisan", "apbedit"),
    ("dzivokl", "dzivoklis majoklis"), ("word", "two words"), ("childbirht", "childbirth"),
    ("pasport", "passport"), ("deklaracij", "deklaresan"), ("ab", "ba ab"), ("a", "aaa a"),
    ("mazul", "mazulis jaundzimus"), ("bezdarbniek", "bezdarb"), ("komercregistr", "registr"),
    ("aaaa", "aaaaaaaa"), ("abcabc", "cabcab abc"), ("1011", "10111 1011"),
]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with pg_trgm")
def test_word_similarity_is_pg_trgm_s():
    with connection.cursor() as cursor:
        for word, text in SIMILARITY_CASES:
            cursor.execute("SELECT word_similarity(%s, %s)", [word, text])
            expected = cursor.fetchone()[0]
            assert word_similarity(word, text) == pytest.approx(expected, abs=1e-6), (word, text)
