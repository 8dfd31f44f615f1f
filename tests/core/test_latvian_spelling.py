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


# Django's own Latvian that the platform's catalogue replaces on purpose (capitals in lists and
# labels, the debitive's long vowel, words the pages use in another sense). A new msgid equal to
# one of Django's replaces it on every page of the platform: the service points' "This field is
# required." turned Django's "Šis lauks ir nepieciešams" into "obligāts" in every form.
MEANT = {"Latvian", "English", "Monday", "Tuesday", "Wednesday", "Thursday",
         "Friday", "Saturday", "Sunday",
         "Ensure this value is less than or equal to %(limit_value)s.",
         "Enter a whole number.", "Change", "Delete"}


def test_the_platform_replaces_djangos_latvian_only_where_it_means_to():
    import gettext
    from pathlib import Path

    import django

    import durvis

    def catalogue(path: Path) -> dict:
        with path.open("rb") as mo:
            return gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]

    ours = catalogue(Path(durvis.__file__).parent / "locale/lv/LC_MESSAGES/django.mo")
    theirs = catalogue(Path(django.__file__).parent / "conf/locale/lv/LC_MESSAGES/django.mo")
    replaced = {key for key, text in ours.items()
                if key and isinstance(key, str) and key in theirs and theirs[key] != text}
    assert replaced == MEANT
