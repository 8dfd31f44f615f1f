"""The mandate journey in Chromium (issue 15): a parent grants a mandate for one service to
another person, with the right to apply and see cases but not to receive the result; that
person acts for the parent, sees the case but not its result document; the parent revokes and
the grantee's next request is refused. axe-core on the mandate pages, Latvian and English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from durvis.core.actor import Actor
from durvis.documents import services as documents
from durvis.documents.models import Document
from durvis.identity import services as identity
from durvis.mandates.models import Mandate, MandateState
from tests.documents.samples import PDF

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_parent_grants_the_grantee_acts_and_the_parent_revokes(
        live_server, family, catalogue, page, sign_in_client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    parent, case = family["parent"], family["own"]
    helper = identity.record_person(personal_code="05118012342", given_name="Ilze",
                                    family_name="Palīdze")
    for title, is_result in (("Izziņa par iesniegumu", False), ("Lēmums par pabalstu", True)):
        stored = documents.store_document(Actor(kind="person", person=parent), client=parent,
                                          name="a.pdf", content=PDF,
                                          content_type="application/pdf", title=title,
                                          direction="sent")
        Document.objects.filter(pk=stored.pk).update(case=case, is_result=is_result)

    # The parent grants: the childbirth benefit only, to apply and see, not the result.
    sign_in_client(page, parent)
    for language in ("en", "lv"):
        with translation.override(language):
            url = reverse("eaccount:mandate-grant")
        page.goto(f"{live_server.url}{url}")
        assert_accessible(page, f"grant ({language})")
    # The common case (all services) is a short walk by keyboard: from the first field to
    # the submit button in fewer than 20 Tab presses (the chosen-services list stays folded).
    code = page.get_by_label("Pilnvarotā personas kods vai reģistrācijas numurs")
    code.focus()
    presses = 0
    while not page.evaluate(
            "() => document.activeElement.textContent.trim() === 'Piešķirt pilnvaru'"):
        page.keyboard.press("Tab")
        presses += 1
        assert presses < 20, "the submit button is 20 or more Tab presses away"
    code.fill(helper.personal_code)
    services_list = page.locator("#conditional-scope-services")
    expect(services_list).to_be_hidden()
    page.locator("input[name=scope][value=services]").check()
    expect(services_list).to_be_visible()
    expect(page.locator("#conditional-scope-categories")).to_be_hidden()
    # The filter narrows the list (without diacritics too); its groups are GOV.UK checkboxes.
    page.get_by_label("Atrast pakalpojumu").fill("berna piedz")
    expect(page.locator("#service-filter-count")).to_contain_text("Parādīti:")
    expect(page.get_by_label("1011 Bērna piedzimšanas pabalsts")).to_be_visible()
    visible = page.locator("#service-list .govuk-checkboxes__item:visible").count()
    assert 0 < visible < page.locator("#service-list .govuk-checkboxes__item").count()
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_sideways_scroll(page, f"grant with the services shown at {width} px")
        assert_accessible(page, f"grant with the services shown ({width} px)")
    page.get_by_label("1011 Bērna piedzimšanas pabalsts").check()
    page.get_by_label("Atrast pakalpojumu").press("Enter")  # filters, never submits
    expect(page).to_have_url(f"{live_server.url}{url}")
    page.get_by_label("Pieteikties pakalpojumiem").check()
    page.get_by_label("Redzēt lietas un dokumentus").check()
    page.get_by_role("button", name="Piešķirt pilnvaru").click()
    expect(page).to_have_url(f"{live_server.url}/eaccount/mandates/")
    expect(page.locator("table")).to_contain_text("Ilze Palīdze")
    assert_accessible(page, "mandates (lv)")
    mandate = Mandate.objects.get()
    assert mandate.rights == {"apply", "read"}

    # The grantee acts for the parent: the case is there, the result document is not.
    page.context.clear_cookies()
    sign_in_client(page, helper)
    page.goto(f"{live_server.url}/eaccount/")
    page.locator("#role-select").select_option(f"person:{parent.pk}")
    page.get_by_role("button", name="Pārslēgt").click()
    expect(page.locator(".role-bar")).to_contain_text("Jānis Bērziņš")
    case_url = f"{live_server.url}/eaccount/cases/{case.number.replace(' ', '-')}/"
    page.goto(case_url)
    expect(page.locator("body")).to_contain_text("Izziņa par iesniegumu")
    expect(page.locator("body")).not_to_contain_text("Lēmums par pabalstu")

    # The parent revokes; the grantee's next request is refused (back to their own role).
    page.context.clear_cookies()
    sign_in_client(page, parent)
    page.goto(f"{live_server.url}/eaccount/mandates/{mandate.pk}/")
    assert_accessible(page, "mandate (lv)")
    page.get_by_role("link", name="Atsaukt pilnvaru").click()
    page.get_by_role("button", name="Jā, atsaukt pilnvaru").click()
    mandate.refresh_from_db()
    assert mandate.state == MandateState.REVOKED
    page.context.clear_cookies()
    sign_in_client(page, helper, role=f"person:{parent.pk}")
    response = page.goto(case_url)
    assert response is not None and response.status == 404
    page.goto(f"{live_server.url}/eaccount/")
    expect(page.locator(".role-bar")).to_contain_text("Ilze Palīdze")
    expect(page.locator(".role-bar")).not_to_contain_text("Jānis Bērziņš")
