"""Institution administration of the catalogue (A5): own institution's services only, audited."""

import pytest
from django_otp.util import random_hex

from durvis.audit.models import AuditEvent
from durvis.catalog.models import Service
from durvis.identity import services as identity


def form_data(service=None, **overrides):
    data = {
        "name_lv": "Bērna piedzimšanas pabalsts", "name_en": "Childbirth benefit",
        "summary_lv": "", "summary_en": "", "description_lv": "", "description_en": "",
        "pilot_code": "P.11", "audience": "residents", "municipality": "",
        "application_channels": ["eaccount", "centre"], "result_channels": ["eaccount"],
        "fee_kind": "none", "fee_amount": "", "processing_days": "10",
        "legal_acts_lv": "Valsts sociālo pabalstu likums", "legal_acts_en": "State Social Benefits Law",
        "status": "published", "version": "0",
    }
    data.update(overrides)
    return data


@pytest.fixture
def signed_in(client, staff, staff_login):
    def sign_in(name):
        return staff_login(client, staff[name])

    return sign_in


def test_login_required(client, catalogue):
    response = client.get("/administration/services/")
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]


def test_password_sign_in(client, staff):
    """Two steps: the password, then the code from the authenticator app (A12)."""
    device = identity.record_totp_device(staff["vsaa_admin"], random_hex(20))
    response = client.post("/staff/login/", {"username": "admin.vsaa",
                                             "password": "pw-admin.vsaa-long-enough"})
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/code/?flow=")
    assert client.get("/administration/services/").status_code == 302  # not yet
    response = client.post("/staff/login/code/", {"otp_token": identity.current_totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/administration/services/").status_code == 200
    bad = client.post("/staff/login/", {"username": "admin.vsaa", "password": "wrong"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_list_shows_only_own_institution(signed_in, catalogue):
    page = signed_in("vsaa_admin").get("/administration/services/").content.decode()
    assert "Bērna piedzimšanas pabalsts" in page
    assert "Jauns pabalsts" in page  # own drafts too
    assert "Gada ienākumu deklarācija" not in page  # VID's


def test_non_administrators_are_refused(signed_in, catalogue):
    for name in ("agent", "platform"):
        assert signed_in(name).get("/administration/services/").status_code == 403


def test_edit_own_service_is_saved_reindexed_and_audited(signed_in, catalogue, client):
    client = signed_in("vsaa_admin")
    response = client.post("/administration/services/1011/",
                           form_data(name_en="Birth grant", processing_days="5"))
    assert response.status_code == 302
    service = Service.objects.get(code=1011)
    assert service.name_en == "Birth grant" and service.processing_days == 5
    event = AuditEvent.objects.get(action="catalog.service.update", object_id=str(service.pk))
    assert event.actor_institution == "VSAA"
    assert set(event.details["changed"]) >= {"name_en", "processing_days"}
    found = client.get("/api/v1/services", {"q": "birth grant"}).json()
    assert found["items"][0]["code"] == 1011


def test_other_institutions_service_cannot_be_opened_or_changed(signed_in, catalogue):
    client = signed_in("vid_admin")
    assert client.get("/administration/services/1011/").status_code == 404
    assert client.post("/administration/services/1011/", form_data(name_en="Hacked")).status_code == 404
    assert Service.objects.get(code=1011).name_en == "Childbirth benefit"
    assert not AuditEvent.objects.filter(action="catalog.service.update").exists()


def test_create_service_gets_next_code_in_own_institution(signed_in, catalogue):
    client = signed_in("vid_admin")
    response = client.post("/administration/services/new/",
                           form_data(name_lv="Nodokļu atmaksa", name_en="Tax refund",
                                     pilot_code="", fee_kind="prepayment", fee_amount="7.50"))
    assert response.status_code == 302
    created = Service.objects.get(name_lv="Nodokļu atmaksa")
    assert created.holder.code == "VID"
    assert created.code == 2102  # one above the highest code ever given
    assert AuditEvent.objects.filter(action="catalog.service.create",
                                     object_id=str(created.pk)).exists()


def test_invalid_input_is_explained_and_nothing_saved(signed_in, catalogue):
    client = signed_in("vid_admin")
    before = Service.objects.count()
    response = client.post("/administration/services/new/",
                           form_data(name_lv="", fee_kind="prepayment", fee_amount="",
                                     application_channels=["teleport"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="errorlist"') >= 3
    assert Service.objects.count() == before
    lv = client.post("/administration/services/new/", form_data(name_lv=""))
    assert "Šis lauks ir nepieciešams" in lv.content.decode()


def test_services_cannot_be_deleted(catalogue):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        catalogue["draft"].delete()
