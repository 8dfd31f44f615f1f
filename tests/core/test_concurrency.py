"""The version check of edit forms (durvis.core.concurrency, issue 12): a conditional update in
the transaction of the write, refused when another writer got there first; and the forms' side
(`VersionField`, `differences`)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django import forms
from django.db import transaction
from django.utils import translation

import durvis
from durvis.administration.forms import ServiceForm
from durvis.administration.webhook_views import WebhookEditForm
from durvis.catalog.models import Service
from durvis.core.concurrency import StaleVersion, advance_version, check_version
from durvis.core.forms import Form, ModelForm, VersionField, differences
from durvis.eaccount.profile import ContactsForm, EmailForm, PhoneForm, PreferencesForm

pytestmark = pytest.mark.django_db


def rows(catalogue):
    return Service.objects.filter(pk=catalogue["childbirth"].pk)


def test_the_version_moves_on_from_the_one_expected_only(catalogue):
    with transaction.atomic():
        assert advance_version(rows(catalogue), 0) == 1
        with pytest.raises(StaleVersion):
            advance_version(rows(catalogue), 0)  # a second form opened on version 0
        assert advance_version(rows(catalogue), None) == 2  # a write without a form
        check_version(rows(catalogue), 2)
        with pytest.raises(StaleVersion):
            check_version(rows(catalogue), 1)
    assert rows(catalogue).get().version == 2


def test_a_missing_row_is_stale(catalogue):
    with transaction.atomic(), pytest.raises(StaleVersion):
        advance_version(Service.objects.filter(pk=-1), 0)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_check_would_not_hold_until_the_write(catalogue):
    with pytest.raises(RuntimeError):
        advance_version(rows(catalogue), 0)
    with pytest.raises(RuntimeError):
        check_version(rows(catalogue), 0)


class Sample(Form):
    name = forms.CharField()
    on = forms.BooleanField(required=False, label="Switched on")
    version = VersionField()


def test_differences_name_the_fields_sent_otherwise_than_saved():
    saved = Sample(initial={"name": "a", "on": True, "version": 3})
    sent = Sample({"name": "a", "version": "1"})  # the box unticked, an older version
    assert sent.is_valid()
    assert differences(sent, saved) == ["Switched on"]
    assert differences(Sample({"name": "a", "on": "on", "version": "1"}), saved) == []


@pytest.mark.parametrize("data", [{"name": "a"}, {"name": "a", "version": "x"},
                                  {"name": "a", "version": "-2"}])
def test_a_form_without_a_good_version_is_out_of_date_and_says_so_visibly(data):
    form = Sample(data)
    assert not form.is_valid()
    assert "version" not in form.errors  # a hidden field's error is the form's own
    with translation.override("en"):
        assert any("out of date" in error for error in form.non_field_errors())


def _all_forms():
    for module in pkgutil.walk_packages(durvis.__path__, "durvis."):
        if ".migrations" not in module.name and ".management" not in module.name:
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {cls for cls in subclasses(forms.BaseForm) if cls.__module__.startswith("durvis.")}


def test_every_edit_form_carries_the_version():
    """The forms that change a record someone may change elsewhere meanwhile carry its version;
    so does every model form (a model form edits a record), but for a new record."""
    versioned = {cls for cls in _all_forms()
                 if any(isinstance(f, VersionField) for f in cls.base_fields.values())}
    assert {PreferencesForm, ContactsForm, EmailForm, PhoneForm, ServiceForm,
            WebhookEditForm} <= versioned
    model_forms = {cls for cls in _all_forms() if issubclass(cls, ModelForm)} - {ModelForm}
    assert model_forms and model_forms <= versioned
