"""An institution administrator registers its e-services for single sign-on and the web sites
that may embed its forms (A12, A10, A5); each change is audited, another institution's are not
theirs."""

from __future__ import annotations

import pytest

from durvis.audit.models import AuditEvent
from durvis.catalog.models import EmbedOrigin, EService

PAGE = "/en/administration/eservices/"


@pytest.fixture
def admin(client, staff, staff_login):
    return staff_login(client, staff["vsaa_admin"])


def register(admin, **fields):
    data = {"eservice-name": "VSAA portāls", "eservice-return_urls": "https://e.vsaa.example.lv/sso",
            "eservice-claims": ["personal_code"]}
    data.update(fields)
    return admin.post(PAGE, data)


def test_an_administrator_registers_an_eservice_and_gets_its_client_id(admin, institutions):
    response = register(admin)
    eservice = EService.objects.get()
    assert response.status_code == 302
    assert eservice.client_id.startswith("es_") and eservice.claims == ["personal_code"]
    page = admin.get(response["Location"]).content.decode()
    assert eservice.client_id in page
    assert AuditEvent.objects.filter(action="catalog.eservice.register").exists()
    assert "/sso/jwks.json" in admin.get(PAGE).content.decode()


def test_a_return_address_must_be_https_without_credentials(admin):
    response = register(admin, **{"eservice-return_urls": "https://a:b@e.vsaa.example.lv/sso"})
    assert response.status_code == 422
    assert "may not contain a user name or password" in response.content.decode()
    assert not EService.objects.exists()


def test_another_institutions_eservice_is_not_found(admin, client, staff, staff_login):
    from django.test import Client

    other = staff_login(Client(), staff["vid_admin"])
    register(other)
    eservice = EService.objects.get()
    assert admin.get(f"{PAGE}{eservice.pk}/").status_code == 404


def test_a_stale_edit_saves_nothing(admin):
    register(admin)
    eservice = EService.objects.get()
    url = f"{PAGE}{eservice.pk}/"
    data = {"name": "New name", "return_urls": "https://e.vsaa.example.lv/sso", "is_active": "on",
            "version": eservice.version}
    assert admin.post(url, data).status_code == 302
    assert admin.post(url, {**data, "name": "Lost"}).status_code == 409
    assert EService.objects.get().name == "New name"


def test_embedding_sites_are_added_and_removed(admin):
    added = admin.post(f"{PAGE}embedding/", {"embed-origin": "https://portal.example.lv"})
    assert added.status_code == 302
    assert list(EmbedOrigin.objects.values_list("origin", flat=True)) == ["https://portal.example.lv"]
    refused = admin.post(f"{PAGE}embedding/", {"embed-origin": "https://portal.example.lv/page"})
    assert refused.status_code == 422 and "without a path" in refused.content.decode()
    origin = EmbedOrigin.objects.get()
    asked = admin.post(f"{PAGE}embedding/{origin.pk}/remove/")
    assert asked.status_code == 200 and EmbedOrigin.objects.exists()  # a confirmation first
    admin.post(f"{PAGE}embedding/{origin.pk}/remove/", {"confirmed": "yes"})
    assert not EmbedOrigin.objects.exists()
    assert AuditEvent.objects.filter(action="catalog.embed_origin.remove").exists()


def test_staff_who_are_not_administrators_are_refused(client, staff, staff_login):
    staff_login(client, staff["agent"])
    assert client.get(PAGE).status_code == 403


@pytest.mark.parametrize("origin", [
    "https://*", "https://*.lv", "https://*.example.lv", "https://a.lv;script-src *",
    "https://a.lv 'unsafe-inline'", "https://a_b.lv", "https://a..lv", "https://-a.lv"])
def test_an_embedding_site_that_is_not_one_host_is_refused(admin, origin):
    """A wildcard would let any site frame the forms, a `;` or a space would add a rule of its
    own to the page's Content-Security-Policy (found by a tester): only one host is a site."""
    refused = admin.post(f"{PAGE}embedding/", {"embed-origin": origin})
    assert refused.status_code == 422
    assert not EmbedOrigin.objects.exists()


def test_an_internationalised_site_is_kept_as_browsers_send_it(admin):
    admin.post(f"{PAGE}embedding/", {"embed-origin": "https://rīga.lv"})
    assert list(EmbedOrigin.objects.values_list("origin", flat=True)) == ["https://xn--rga-uta.lv"]
