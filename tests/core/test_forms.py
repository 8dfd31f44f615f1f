"""Control characters in what people type (part of issue 10): every form of the pages refuses
them on the field, in the person's language, never a 500 (PostgreSQL cannot store U+0000) and
never stored; the pages' query parameters neither. The API's side is tests/test_text_input.py."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import durvis
from durvis.catalog.models import Service
from durvis.core.forms import Form, TextFields
from durvis.messaging.models import Thread

LV = "Tekstā ir neredzama vadības rakstzīme"
EN = "The text contains an invisible control character"


def _all_modules():
    for module in pkgutil.walk_packages(durvis.__path__, "durvis."):
        if ".migrations" not in module.name and ".management" not in module.name:
            importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _views(resolver=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry)
        elif isinstance(entry, URLPattern):
            yield entry.callback


def test_every_form_of_the_platform_has_the_text_rule():
    _all_modules()
    ours = {cls for cls in _subclasses(forms.BaseForm) if cls.__module__.startswith("durvis.")}
    assert len(ours) >= 15  # every module was imported
    assert not {cls.__qualname__ for cls in ours if not issubclass(cls, TextFields)}
    # ... and the forms of Django's views that pages use (the staff sign-in's).
    view_forms = {getattr(getattr(view, "view_class", None), "form_class", None)
                  for view in _views()} - {None}
    assert view_forms and all(issubclass(form, TextFields) for form in view_forms), view_forms


class Sample(Form):
    name = forms.CharField(max_length=50)
    email = forms.EmailField(required=False)
    note = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    count = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["added_later"] = forms.CharField(required=False)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"])
@pytest.mark.parametrize("field", ["name", "note", "added_later"])
def test_a_text_field_refuses_a_control_character_once(character, field):
    form = Sample({"name": "Jānis", field: f"a{character}b"})
    assert not form.is_valid()
    (error,) = form.errors.as_data()[field]
    assert error.code == "control_character"
    assert f"U+{ord(character):04X}" in error.message


@pytest.mark.parametrize("text", ["Jānis\tBērziņš", "rinda\r\nrinda", "rinda\u2028rinda", "🙂"])
def test_tabs_line_breaks_and_other_characters_are_text(text):
    assert Sample({"name": "Jānis", "note": text}).is_valid()


def test_the_refusal_is_in_the_pages_language(client, staff):
    latvian = client.post("/staff/login/", {"username": "admin.vsaa\x00", "password": "x"})
    english = client.post("/en/staff/login/", {"username": "admin.vsaa\x1b", "password": "x"})
    assert latvian.status_code == english.status_code == 200
    assert LV in latvian.content.decode() and EN in english.content.decode()
    assert 'aria-describedby="id_username_error"' in english.content.decode()


def test_the_e_accounts_contact_form_refuses_it_on_the_field(client_login, family):
    client = client_login(family["parent"])
    response = client.post("/en/eaccount/profile/", {"action": "email", "version": "0",
                                                      "email": "jauna\x00@example.lv"})
    page = response.content.decode()
    assert response.status_code in (200, 422) and EN in page
    assert 'aria-invalid="true"' in page or "govuk-error-message" in page
    family["parent"].refresh_from_db()
    assert family["parent"].email == "janis@example.lv"


def test_a_message_with_a_control_character_is_not_sent(client_login, family):
    client = client_login(family["parent"])
    response = client.post(reverse("inbox:write"), {
        "case": family["own"].pk, "subject": "Jautājums\x00", "body": "Teksts\x1b[31m",
        "opened_as": "self"})
    assert response.status_code in (200, 422)
    assert response.content.decode().count(LV) == 4  # on both fields and in the summary
    assert not Thread.objects.exists()


def test_the_catalogue_admin_refuses_it_and_saves_nothing(client, staff, staff_login, catalogue):
    staff_login(client, staff["vsaa_admin"])
    before = Service.objects.get(code=1011).name_lv
    response = client.post("/administration/services/1011/", {
        "name_lv": "Pabalsts\x00", "name_en": "Benefit", "audience": "residents",
        "fee_kind": "none", "status": "published", "application_channels": ["eaccount"],
        "version": "0"})
    assert response.status_code == 200 and LV in response.content.decode()
    assert Service.objects.get(code=1011).name_lv == before


@pytest.mark.parametrize("url", [
    "/?q=a%00b", "/services/?q=a%00b&holder=V%00SAA", "/en/services/?q=%00%1b",
    "/embed/?q=a%00b", "/categories/family/?q=%00", "/services/10%0011/",
    "/administration/?page=%00", "/staff/login/?next=/%00"])
def test_a_pages_query_or_path_with_a_nul_is_never_a_500(client, catalogue, url):
    assert client.get(url).status_code in (200, 302, 400, 404)


@pytest.mark.parametrize("url", [
    "/eaccount/history/?number=a%00b", "/eaccount/history/?number=1011%1b13",
    "/eaccount/documents/?direction=%00", "/eaccount/messages/write/?case=%00",
    "/eaccount/documents/upload/?case=%00", "/eaccount/cases/1011%0013/",
    "/eaccount/messages/?show=%00&page=%00"])
def test_an_e_account_pages_query_or_path_with_a_nul_is_never_a_500(client_login, family, url):
    response = client_login(family["parent"]).get(url)
    assert response.status_code in (200, 404), url
    if "number=" in url:
        assert LV in response.content.decode()
