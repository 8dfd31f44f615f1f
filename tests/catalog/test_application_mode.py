"""How a service is applied for (A10, issue 13): the application mode an administrator sets, its
checks, and what the public service page says of channels, fees and applying."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from durvis.catalog import services as catalog
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.core.addresses import address_problem, browser_address_problem, origin_of

ESERVICE = "https://e.vsaa.example.lv/apply"


def admin_actor(member):
    return Actor(kind="staff", staff=member)


@pytest.fixture
def registered(staff, institutions):
    """VSAA's e-service registered for single sign-on with ESERVICE as a return address."""
    return catalog.register_eservice(admin_actor(staff["vsaa_admin"]), institutions["VSAA"],
                                     name="VSAA e-pakalpojumi", return_urls=[ESERVICE], claims=[])


def form_data(service, **changes):
    data = {
        "name_lv": service.name_lv, "name_en": service.name_en or "", "audience": service.audience,
        "application_channels": service.application_channels,
        "result_channels": service.result_channels, "fee_kind": service.fee_kind,
        "status": service.status, "version": service.version, "application_mode": "platform",
        "eservice_url": "",
    }
    data.update(changes)
    return data


# --- The address rule -------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "problem"), [
    ("https://e.example.lv/apply", None),
    ("https://e.example.lv:8443/apply?x=1", None),
    ("http://e.example.lv/apply", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("https:///apply", "host"),
    ("https://user:pw@e.example.lv/", "credentials"),
    ("https://e.example.lv:99999/", "port"),
    ("https://e.example.lv/#start", "fragment"),
    ("https://*.example.lv/", "host_name"),
    ("https://e.example.lv;x/", "host_name"),
    ("https://[::1]:8443/", None),
    ("https://rīga.lv/", None),
])
def test_address_problems(url, problem):
    assert address_problem(url) == problem


def test_http_only_on_loopback_and_only_in_demo_mode(settings):
    settings.DEMO_MODE = True
    assert browser_address_problem("http://127.0.0.1:8001/apply") is None
    assert browser_address_problem("http://e.example.lv/apply") == "scheme"
    settings.DEMO_MODE = False
    assert browser_address_problem("http://127.0.0.1:8001/apply") == "scheme"


def test_origin_of():
    assert origin_of("https://Portal.Example.lv:443/page?x") == "https://portal.example.lv"
    assert origin_of("http://127.0.0.1:8001/x") == "http://127.0.0.1:8001"


# --- The mode, set by the holder's administrator -------------------------------------------------

def test_platform_is_the_default_and_keeps_no_address(catalogue):
    assert catalogue["childbirth"].application_mode == "platform"


def test_holder_mode_needs_a_registered_https_address(catalogue, registered, staff):
    actor = admin_actor(staff["vsaa_admin"])
    service = catalogue["childbirth"]
    cases = [("", "required"), ("http://e.vsaa.example.lv/apply", "scheme"),
             ("https://me:secret@e.vsaa.example.lv/apply", "credentials"),
             ("https://elsewhere.example.lv/apply", "unregistered")]
    for url, code in cases:
        with pytest.raises(ValidationError) as refused:
            catalog.update_service(actor, Service.objects.get(pk=service.pk),
                                   {"application_mode": "holder", "eservice_url": url}, {})
        assert refused.value.error_dict["eservice_url"][0].code == code, url
    assert Service.objects.get(pk=service.pk).application_mode == "platform"  # nothing saved
    catalog.update_service(actor, Service.objects.get(pk=service.pk),
                           {"application_mode": "holder", "eservice_url": ESERVICE}, {})
    assert Service.objects.get(pk=service.pk).eservice_url == ESERVICE


def test_another_institutions_registration_does_not_count(catalogue, staff, institutions):
    """VID registered the address: VSAA's service cannot point there."""
    catalog.register_eservice(admin_actor(staff["vid_admin"]), institutions["VID"], name="VID",
                              return_urls=[ESERVICE], claims=[])
    with pytest.raises(ValidationError) as refused:
        catalog.update_service(admin_actor(staff["vsaa_admin"]), catalogue["childbirth"],
                               {"application_mode": "holder", "eservice_url": ESERVICE}, {})
    assert refused.value.error_dict["eservice_url"][0].code == "unregistered"


def test_other_modes_drop_the_address(catalogue, registered, staff):
    actor = admin_actor(staff["vsaa_admin"])
    catalog.update_service(actor, catalogue["childbirth"],
                           {"application_mode": "holder", "eservice_url": ESERVICE}, {})
    catalog.update_service(actor, Service.objects.get(code=1011),
                           {"application_mode": "offline", "eservice_url": ESERVICE}, {})
    assert Service.objects.get(code=1011).eservice_url == ""


def test_the_administrator_sets_the_mode_in_the_service_form(client, catalogue, registered,
                                                            staff, staff_login):
    staff_login(client, staff["vsaa_admin"])
    service = catalogue["childbirth"]
    url = "/en/administration/services/1011/"
    page = client.get(url)
    assert b'name="application_mode"' in page.content and b'name="eservice_url"' in page.content
    refused = client.post(url, form_data(service, application_mode="holder",
                                         eservice_url="http://e.vsaa.example.lv/apply"))
    assert refused.status_code == 200
    assert "The address starts with https://." in refused.content.decode()
    assert 'id="id_eservice_url_error"' in refused.content.decode()
    saved = client.post(url, form_data(service, application_mode="holder", eservice_url=ESERVICE))
    assert saved.status_code == 302
    service.refresh_from_db()
    assert (service.application_mode, service.eservice_url) == ("holder", ESERVICE)


def test_the_field_error_is_latvian_on_a_latvian_page(client, catalogue, registered, staff,
                                                     staff_login):
    staff_login(client, staff["vsaa_admin"])
    page = client.post("/administration/services/1011/", form_data(
        catalogue["childbirth"], application_mode="holder", eservice_url="ftp://x.example.lv/"))
    assert "Adresei jāsākas ar https://." in page.content.decode()


def test_a_new_holder_hosted_service_is_checked_against_its_holder(client, catalogue, registered,
                                                                  staff, staff_login):
    staff_login(client, staff["vsaa_admin"])
    data = form_data(catalogue["childbirth"], name_lv="Jauns", application_mode="holder",
                     eservice_url=ESERVICE, status="draft")
    del data["version"]
    created = client.post("/administration/services/new/", data)
    assert created.status_code == 302
    assert Service.objects.get(name_lv="Jauns").eservice_url == ESERVICE


# --- The public service page ----------------------------------------------------------------------

@pytest.fixture
def paid(catalogue):
    service, _ = catalog.import_service(1011, catalogue["childbirth"].holder, {
        "fee_kind": "prepayment", "fee_amount": Decimal("7.11"),
        "application_channels": ["eaccount"], "result_channels": ["eaccount"]}, {})
    return service


def test_service_page_fee_and_electronic_only_in_latvian(client, paid):
    page = client.get("/services/1011/").content.decode()
    assert "€\xa07,11" in page
    assert "(apmaksa pirms pakalpojuma sniegšanas)" in page
    assert page.count("Tikai elektroniski: e-kontā") == 2  # applying and the result


def test_service_page_fee_and_channels_in_english(client, paid, catalogue):
    page = client.get("/en/services/1011/").content.decode()
    assert "€7.11" in page and "(paid before the service)" in page
    assert "Electronic only: in the e-account" in page
    other = client.get("/en/services/1006/").content.decode()  # e-account and a centre
    assert "E-account (online), Client service centre" in other
    assert "Free of charge" in other
    assert "Electronic only" not in other


def test_a_holder_hosted_service_page_hands_over_not_links(client, catalogue, registered, staff):
    catalog.update_service(admin_actor(staff["vsaa_admin"]), catalogue["childbirth"],
                           {"application_mode": "holder", "eservice_url": ESERVICE}, {})
    page = client.get("/en/services/1011/").content.decode()
    assert "Apply at State Social Insurance Agency's e-service" in page
    assert 'href="/en/eaccount/services/1011/apply-at-holder/"' in page
    assert ESERVICE not in page  # never a bare link to the e-service


def test_an_offline_service_says_so(client, catalogue, staff):
    catalog.update_service(admin_actor(staff["vsaa_admin"]), catalogue["childbirth"],
                           {"application_mode": "offline"}, {})
    page = client.get("/en/services/1011/").content.decode()
    assert "This service cannot be applied for online." in page
