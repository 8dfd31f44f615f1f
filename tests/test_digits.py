"""Digits that are not ASCII (issue 12): wherever text is read as a number, only 0–9 count.
`str.isdigit()` takes "²", which `int()` then refuses (a 500), and `str.isdecimal()` takes "２",
which `int()` reads as 2: a role, a personal code, a case number, a code or a date typed with
other digits is refused, never guessed, never a 500."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from durvis.core.case_numbers import parse_case_number
from durvis.core.forms import Form
from durvis.core.identifiers import validate_company_number, validate_personal_code
from durvis.core.text import ascii_digits, has_other_digits

SUPERSCRIPT, FULLWIDTH, ARABIC_INDIC = "²", "２", "٣"


def test_ascii_digits_are_0_to_9_only():
    assert ascii_digits("0123456789")
    for text in ("", "²", "２", "٣", "1²", "12a", "-1", " 1", "1.5", "¹"):
        assert not ascii_digits(text), text
    assert has_other_digits("2９") and has_other_digits("x²") and not has_other_digits("29 a")


@pytest.mark.parametrize("key", ["person:²", "person:２", "company:٣", "company:1²", "person:",
                                 "person:-1", "person:99999999999999999999999", "²", "self:1"])
def test_the_role_switch_refuses_a_role_with_other_digits(client_login, family, key):
    client = client_login(family["parent"])
    response = client.post(reverse("eaccount:switch-role"), {"role": key}, follow=True)
    assert response.status_code == 200
    assert "Šajā lomā Jūs nevarat darboties" in response.content.decode()
    page = client.get(reverse("eaccount:history")).content.decode()
    assert family["own"].number in page  # still oneself


@pytest.mark.parametrize("typed", ["１６１１７５-１９９９７", "161175-1999７", "16117５19997",
                                   "161175-19997²"])
def test_a_personal_code_with_other_digits_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        validate_personal_code(typed)
    assert refused.value.code == "format"
    with pytest.raises(ValidationError):
        validate_company_number(typed.replace("１６", "４０"))


@pytest.mark.parametrize("typed", ["１０１１ １３", "1011 1３", "1011 ¹3", "1٠11 13"])
def test_a_case_number_with_other_digits_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        parse_case_number(typed)
    assert refused.value.code == "format"


def test_a_case_number_with_other_digits_in_the_api_path_is_a_422(api_client_factory, family):
    http = api_client_factory("VSAA")
    response = http.get("/api/v1/cases/1011-1%EF%BC%93")  # 1011-1３
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "number"]


class Numbers(Form):
    count = forms.IntegerField(required=False)
    amount = forms.DecimalField(required=False)
    day = forms.DateField(required=False)


@pytest.mark.parametrize(("field", "typed"), [
    ("count", "１２"), ("count", "1²"), ("amount", "１２.５０"), ("amount", "12.5٠"),
    ("day", "２０２６-01-31"), ("day", "2026-01-3１")])
def test_number_and_date_fields_of_every_form_read_ascii_digits_only(field, typed):
    form = Numbers({field: typed})
    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()[field]] == ["non_ascii_digits"]
    assert Numbers({"count": "12", "amount": "12.50", "day": "2026-01-31"}).is_valid()


def test_a_confirmation_code_in_other_digits_is_no_code(client_login, family, settings):
    from durvis.identity.models import ContactConfirmation

    client = client_login(family["parent"])
    client.post("/eaccount/profile/", {"version": "0", "action": "email",
                                        "email": "jauna@example.lv"})
    response = client.post("/eaccount/profile/confirm/", {"kind": "email", "code": "１２３４５６"})
    assert response.status_code == 422 and "Kodā ir 6 cipari" in response.content.decode()
    assert ContactConfirmation.objects.get().attempts == 0  # not a try


@pytest.mark.parametrize(("path", "body", "loc"), [
    ("/api/v1/invoices/1011-1３-01", None, ["path", "number"]),
    ("/api/v1/invoices", {"case_number": "1011 1３", "lines": [
        {"kind": "fee", "description": "x", "unit_price": "7.11"}]}, ["body", "case_number"]),
    ("/api/v1/invoices", {"case_number": "1011 13", "lines": [
        {"kind": "fee", "description": "x", "unit_price": "７.11"}]},
     ["body", "lines", 0, "unit_price"]),
    ("/api/v1/invoices", {"case_number": "1011 13", "lines": [
        {"kind": "fee", "description": "x", "unit_price": "7.11", "quantity": "²"}]},
     ["body", "lines", 0, "quantity"]),
])
def test_an_invoice_number_or_amount_with_other_digits_is_a_422(api_client_factory, family,
                                                                 path, body, loc):
    """Invoices (issue 14): a number or an amount in other digits is refused at its place."""
    import json

    http = api_client_factory("VSAA", operations=("invoices:read", "invoices:write"))
    response = (http.get(path) if body is None else
                http.post(path, json.dumps(body), content_type="application/json"))
    assert response.status_code == 422, response.content
    assert loc in [error["loc"] for error in response.json()["detail"]]
