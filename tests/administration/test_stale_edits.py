"""Lost updates in the staff's edit forms (A5, B9, issue 12): a catalogue service or a webhook
endpoint edited by two administrators (or in two tabs) at once. The form sent second was opened
on an older version: it saves nothing, and the page shows what is saved and which fields differ
from what was sent (409), so one administrator's change is never silently undone by another's.
The team page has no edit form of this kind (its one action, resetting a colleague's second
factor, asks for a confirmation and changes nothing a form shows)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from durvis.audit.models import AuditEvent
from durvis.catalog import services as catalog
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.integrations.models import WebhookEndpoint
from tests.administration.test_service_admin import form_data

pytestmark = pytest.mark.django_db
CHANGED_ELSEWHERE = "Not saved: this was changed elsewhere meanwhile"


@pytest.fixture
def two_admins(staff, staff_login, institutions):
    second = identity.record_staff(username="admin2.vsaa", password="pw-long-enough-for-tests",
                                   institution=institutions["VSAA"], roles=["institution_admin"])
    return staff_login(Client(), staff["vsaa_admin"]), staff_login(Client(), second)


def opened_version(page, name="version"):
    return re.search(rf'name="{name}" value="(\d+)"', page).group(1)


def differ(page):
    start = page.index("It differs from what you sent in:")
    return page[start:page.index("</ul>", start)]


def test_a_service_saved_by_another_administrator_is_not_overwritten(two_admins, catalogue):
    first, second = two_admins
    url = "/en/administration/services/1011/"
    opened = opened_version(first.get(url).content.decode())
    assert second.post(url, form_data(name_en="Birth grant", version=opened_version(
        second.get(url).content.decode()))).status_code == 302

    response = first.post(url, form_data(processing_days="5", version=opened))
    page = response.content.decode()
    assert response.status_code == 409 and CHANGED_ELSEWHERE in page
    assert "Name (English)" in differ(page) and "Processing" in differ(page)
    service = Service.objects.get(code=1011)
    assert (service.name_en, service.processing_days) == ("Birth grant", 10)
    assert 'value="Birth grant"' in page  # the form shows what is saved
    assert AuditEvent.objects.filter(action="catalog.service.update").count() == 1

    again = first.post(url, form_data(name_en="Birth grant", processing_days="5",
                                      version=opened_version(page)))
    assert again.status_code == 302
    service.refresh_from_db()
    assert (service.name_en, service.processing_days, service.version) == ("Birth grant", 5, 2)


def test_an_import_makes_an_open_service_form_stale(signed_in_admin, catalogue, institutions):
    url = "/administration/services/1011/"
    opened = opened_version(signed_in_admin.get(url).content.decode())
    service = Service.objects.get(code=1011)
    _, changed = catalog.import_service(1011, institutions["VSAA"], {"processing_days": 30},
                                        {})
    assert changed and Service.objects.get(code=1011).version == service.version + 1
    assert catalog.import_service(1011, institutions["VSAA"], {"processing_days": 30},
                                  {})[1] is False
    assert Service.objects.get(code=1011).version == service.version + 1  # unchanged: no move
    response = signed_in_admin.post(url, form_data(name_en="X", version=opened))
    assert response.status_code == 409
    assert Service.objects.get(code=1011).processing_days == 30


def test_a_service_form_without_its_version_saves_nothing(signed_in_admin, catalogue):
    data = form_data(name_en="Birth grant")
    del data["version"]
    response = signed_in_admin.post("/en/administration/services/1011/", data)
    assert "This page is out of date" in response.content.decode()
    assert Service.objects.get(code=1011).name_en == "Childbirth benefit"


@pytest.fixture
def signed_in_admin(client, staff, staff_login):
    return staff_login(client, staff["vsaa_admin"])


@pytest.fixture
def endpoint(staff):
    actor = Actor(kind="staff", staff=staff["vsaa_admin"])
    return integrations.register_webhook(actor, staff["vsaa_admin"].institution,
                                         "https://vsaa.example.lv/hooks", ["case.registered"])


def test_a_webhook_turned_off_in_another_tab_is_not_turned_back_on(signed_in_admin, endpoint):
    url = f"/en/administration/integrations/webhooks/{endpoint.pk}/"
    opened = opened_version(signed_in_admin.get(url).content.decode(), "webhook-version")
    # Another tab turns it off.
    assert signed_in_admin.post(url, {
        "webhook-url": endpoint.url, "webhook-events": ["case.registered"],
        "webhook-version": opened}).status_code == 302
    # The first tab, showing it on, changes its address.
    response = signed_in_admin.post(url, {
        "webhook-url": "https://vsaa.example.lv/v2", "webhook-events": ["case.registered"],
        "webhook-is_active": "on", "webhook-version": opened})
    page = response.content.decode()
    assert response.status_code == 409 and CHANGED_ELSEWHERE in page
    assert "Address (URL)" in differ(page) and "On: send events" in differ(page)
    assert "Events" not in differ(page)
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.is_active) == ("https://vsaa.example.lv/hooks", False)
    assert opened_version(page, "webhook-version") == str(endpoint.version) == "1"
    assert AuditEvent.objects.filter(action="integrations.webhook.update").count() == 1


def test_rotating_the_secret_does_not_make_the_edit_form_stale(signed_in_admin, endpoint):
    """The version is about what the form edits: a new secret is not shown in it."""
    url = f"/administration/integrations/webhooks/{endpoint.pk}/"
    opened = opened_version(signed_in_admin.get(url).content.decode(), "webhook-version")
    signed_in_admin.post(url + "rotate-secret/", {"confirmed": "yes"})
    response = signed_in_admin.post(url, {
        "webhook-url": endpoint.url, "webhook-events": ["case.result"],
        "webhook-is_active": "on", "webhook-version": opened})
    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).events == ["case.result"]
