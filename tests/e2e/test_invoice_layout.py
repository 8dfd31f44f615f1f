"""The e-account's invoice page on a phone (A8, 375 px) in Chromium: its summary lists are the
design system's (each key above its value, a line under each row, the body's type size), and
the long values (the IBAN, the reference) stay inside the screen; two columns on a desktop."""

from __future__ import annotations

import pytest

from .axe import assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAYOUT = """() => [...document.querySelectorAll('.govuk-summary-list__row')].map(row => {
  const key = row.querySelector('.govuk-summary-list__key').getBoundingClientRect();
  const value = row.querySelector('.govuk-summary-list__value');
  const box = value.getBoundingClientRect();
  return {key_bottom: key.bottom, value_top: box.top, value_right: box.right,
          border: getComputedStyle(row).borderBottomWidth,
          size: getComputedStyle(value).fontSize, text: value.textContent.trim()};
})"""


def test_the_invoice_summary_fits_a_phone_in_the_design_systems_form(
        live_server, family, catalogue, institutions, sign_in_client, page):
    from durvis.catalog.models import Service
    from durvis.core.actor import SYSTEM, Actor
    from durvis.payments import services as payments
    from durvis.register.models import ServiceCase

    Service.objects.filter(code=1011).update(fee_kind="prepayment", fee_amount="7.11")
    payments.save_payee_account(SYSTEM, institutions["VSAA"],
                                name="Valsts sociālās apdrošināšanas aģentūra",
                                iban="LV71TREL9140401016000", bic="TRELLV22")
    case = ServiceCase.objects.select_related("service", "holder").get(pk=family["own"].pk)
    invoice = payments.issue_prepayment(Actor(kind="person", person=family["parent"]), case,
                                        language="lv")
    sign_in_client(page, family["parent"])
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(f"{live_server.url}/en/eaccount/invoices/{invoice.number}/")
    rows = page.evaluate(LAYOUT)
    assert len(rows) >= 10  # the invoice's facts and the bank transfer's details
    for row in rows:
        assert row["value_top"] >= row["key_bottom"] - 1, row  # the key above its value
        assert row["value_right"] <= 375, row  # nothing past the screen's edge
        assert row["border"] == "1px" and row["size"] in ("16px", "19px"), row
    assert any(row["text"] == "LV71TREL9140401016000" for row in rows)
    assert_no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/en/eaccount/invoices/{invoice.number}/")
    wide = page.evaluate(LAYOUT)
    assert wide[0]["value_top"] < wide[0]["key_bottom"]  # two columns from a tablet
