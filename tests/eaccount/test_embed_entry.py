"""Embedding a service's e-form in another portal (A10, issue 13): only web sites the holder's
administrator registered may frame the entry, which has no site chrome and signs in outside the
frame."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from durvis.catalog import services as catalog
from durvis.core.actor import Actor
from durvis.web.embedding import base_template, is_embedded

PORTAL = "https://portal.riga.example.lv"
ENTRY = "/en/embed/services/1011/apply/"


@pytest.fixture
def allowed(catalogue, staff, institutions):
    return catalog.add_embed_origin(Actor(kind="staff", staff=staff["vsaa_admin"]),
                                    institutions["VSAA"], PORTAL + "/")


def test_a_registered_site_may_frame_the_entry_and_only_it(client, allowed):
    response = client.get(ENTRY)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert f"frame-ancestors {PORTAL}" in policy and "'none'" not in policy.split(
        "frame-ancestors")[1].split(";")[0]
    assert "X-Frame-Options" not in response


def test_a_service_of_another_holder_is_framed_by_nobody(client, allowed):
    response = client.get("/en/embed/services/1006/apply/")  # VID's: VSAA's site is not VID's
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_other_pages_stay_unframeable(client, allowed):
    response = client.get("/en/services/1011/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_entry_has_no_site_chrome_and_signs_in_in_a_new_tab(client, allowed):
    page = client.get(ENTRY).content.decode()
    assert "govuk-header" not in page and "govuk-footer" not in page
    assert 'href="/en/signin/?next=%2Fen%2Fembed%2Fservices%2F1011%2Fsigned-in%2F"' in page
    assert 'target="_blank"' in page and "(opens in a new tab)" in page


def test_coming_back_without_the_session_continues_in_a_tab(client, allowed):
    page = client.get(ENTRY + "?signin=done").content.decode()
    assert "Continue in a new tab" in page


def test_signed_in_marks_the_service_embedded(client_login, family, allowed, client):
    client_login(family["parent"])
    page = client.get(ENTRY).content.decode()
    assert "Sign in to apply" not in page
    request = RequestFactory().get("/x/")
    request.session = client.session
    assert is_embedded(request, 1011) and not is_embedded(request, 1006)
    assert base_template(request, 1011) == "web/embed_base.html"


def test_the_embed_param_marks_a_page():
    request = RequestFactory().get("/x/?embed=1")
    request.session = {}
    assert is_embedded(request) and base_template(request) == "web/embed_base.html"
    plain = RequestFactory().get("/x/")
    plain.session = {}
    assert base_template(plain) == "base.html"


def test_the_signed_in_page_sends_back_to_the_portal(client_login, family, catalogue, client):
    client_login(family["parent"])
    page = client.get("/en/embed/services/1011/signed-in/").content.decode()
    assert "Go back to the page where you started applying" in page


def test_an_unknown_service_is_not_found(client, catalogue):
    assert client.get("/en/embed/services/9999/apply/").status_code == 404
