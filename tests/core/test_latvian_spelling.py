"""Latvian spelling slips (issue 16's findings): a debitive without its long vowel ("jabūt",
"japievieno" for "jābūt", "jāpievieno") anywhere the Latvian pages read their text from: the
platform's catalogue merged with Django's (which had "Šai vērtībai jabūt mazākai ...")."""

import re

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import trans_real

# "ja" + a verb's infinitive or debitive stem: "jabūt", "japievieno", "jaievada", ...
SLIP = re.compile(r"\bja(būt|but|pievieno|ievada|norāda|izvēlas|aizpilda|apstiprina|veic|"
                  r"pārliecinās|nodrošina|maksā|iesniedz)\b", re.I)


def test_no_latvian_text_has_a_debitive_without_its_long_vowel():
    catalog = trans_real.translation("lv")._catalog
    slips = {key: catalog[key] for key in catalog.keys()  # noqa: SIM118 (no __iter__)
             if isinstance(catalog[key], str) and SLIP.search(catalog[key])}
    assert not slips, slips


def test_a_number_too_large_is_refused_in_correct_latvian():
    for language, expected in (("lv", "Vērtībai jābūt mazākai vai vienādai ar 5."),
                               ("en", "Ensure this value is less than or equal to 5.")):
        with translation.override(language):
            with pytest.raises(ValidationError) as refused:
                forms.IntegerField(max_value=5).clean("6")
            assert expected in refused.value.messages
