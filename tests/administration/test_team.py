"""The team page (A12): an administrator resets the second factor of a colleague who lost their
phone; the colleague then signs in with the password and adds a new device."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from durvis.audit.models import AuditEvent
from durvis.identity import services as identity

TEAM = "/staff/team/"
PASSWORD = "pw-specialist-long-enough"


@pytest.fixture
def lost_phone(institutions):
    """A VSAA back-office specialist whose phone with the authenticator app went missing."""
    return identity.record_staff(username="specialist.vsaa", password=PASSWORD,
                                 institution=institutions["VSAA"], roles=["back_office"],
                                 given_name="Ilze", family_name="Ozola")


def reset_url(member):
    return f"{TEAM}{member.pk}/reset-second-factor/"


def test_an_administrator_sees_the_staff_of_their_own_institution_only(client, staff, staff_login,
                                                                        lost_phone):
    page = staff_login(client, staff["vsaa_admin"]).get(TEAM).content.decode()
    assert "specialist.vsaa" in page and "Ilze Ozola" in page
    assert "Lietu izskatīšanas speciālists" in page  # role names, not codes
    assert "admin.vid" not in page and "agent.centre" not in page
    assert f'action="{reset_url(lost_phone)}"' in page
    assert f'action="{reset_url(staff["vsaa_admin"])}"' not in page  # nobody resets their own
    assert "<caption>" in page and 'scope="row"' in page


def test_a_platform_administrator_sees_everybody(client, staff, staff_login, lost_phone):
    page = staff_login(client, staff["platform"]).get("/en/staff/team/").content.decode()
    for username in ("specialist.vsaa", "admin.vid", "agent.centre", "platform.admin"):
        assert username in page
    assert f'action="/en/staff/team/{staff["vid_admin"].pk}/reset-second-factor/"' in page


def test_reset_removes_the_devices_ends_the_sessions_and_is_audited(client, staff, staff_login,
                                                                    lost_phone):
    elsewhere = staff_login(Client(), lost_phone)  # the colleague's session on another computer
    identity.start_totp_enrolment(lost_phone.user)  # and a half-done enrolment
    assert TOTPDevice.objects.filter(user=lost_phone.user).count() == 2
    admin = staff_login(client, staff["vsaa_admin"])

    asked = admin.post(reset_url(lost_phone))  # the first click asks; nothing is reset yet
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.content.decode()
    assert TOTPDevice.objects.filter(user=lost_phone.user).count() == 2
    response = admin.post(reset_url(lost_phone), {"confirmed": "yes"}, follow=True)

    assert response.redirect_chain == [(TEAM, 302)]
    page = response.content.decode()
    assert 'role="status"' in page and "specialist.vsaa" in page
    assert not TOTPDevice.objects.filter(user=lost_phone.user).exists()
    assert identity.totp_device(staff["vsaa_admin"].user) is not None  # the admin's own stays
    event = AuditEvent.objects.get(action="identity.staff.second_factor_reset")
    assert event.object_type == "identity.staffmember" and event.object_id == str(lost_phone.pk)
    assert event.actor_id == f"user:{staff['vsaa_admin'].user_id}"
    assert event.details == {"devices": 2, "sessions_ended": 1}
    # The old session is gone: the password again, not straight to a new device.
    assert elsewhere.get("/administration/services/")["Location"].startswith("/staff/login/?")
    assert admin.get(TEAM).status_code == 200  # the administrator's session stays


def test_after_a_reset_the_next_sign_in_goes_to_the_enrolment(client, staff, staff_login,
                                                             lost_phone):
    staff_login(Client(), lost_phone)
    staff_login(client, staff["vsaa_admin"]).post(reset_url(lost_phone), {"confirmed": "yes"})

    colleague = Client()
    response = colleague.post("/staff/login/", {"username": "specialist.vsaa",
                                                "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/enrol/?flow=")
    page = colleague.get("/staff/login/enrol/").content.decode()
    assert "qr-code" in page
    device = identity.totp_device(lost_phone.user, confirmed=False)
    response = colleague.post("/staff/login/enrol/",
                              {"otp_token": identity.current_totp_code(device)})
    assert response.status_code == 302
    assert identity.totp_device(lost_phone.user) is not None


def test_another_institutions_member_does_not_exist(client, staff, staff_login, lost_phone):
    staff_login(Client(), lost_phone)
    admin = staff_login(client, staff["vid_admin"])
    assert admin.post(reset_url(lost_phone)).status_code == 404
    assert admin.post(f"{TEAM}999999/reset-second-factor/").status_code == 404
    assert identity.totp_device(lost_phone.user) is not None
    assert not AuditEvent.objects.filter(action="identity.staff.second_factor_reset").exists()


def test_nobody_resets_their_own_second_factor(client, staff, staff_login):
    admin = staff_login(client, staff["vsaa_admin"])
    assert admin.post(reset_url(staff["vsaa_admin"])).status_code == 403
    assert identity.totp_device(staff["vsaa_admin"].user) is not None
    assert not AuditEvent.objects.filter(action="identity.staff.second_factor_reset").exists()


def test_an_agent_may_not_see_or_reset(client, staff, staff_login, lost_phone):
    agent = staff_login(client, staff["agent"])
    assert agent.get(TEAM).status_code == 403
    assert agent.post(reset_url(lost_phone)).status_code == 403


def test_the_page_needs_both_sign_in_factors(client, staff, lost_phone):
    assert client.get(TEAM)["Location"] == f"/staff/login/?next={TEAM}"
    client.force_login(staff["vsaa_admin"].user)  # the password alone
    assert client.post(reset_url(lost_phone)).status_code == 302
    assert not AuditEvent.objects.filter(action="identity.staff.second_factor_reset").exists()


def test_reset_is_a_post(client, staff, staff_login, lost_phone):
    assert staff_login(client, staff["vsaa_admin"]).get(reset_url(lost_phone)).status_code == 405


def test_an_administrator_grants_and_withdraws_the_form_builder_role(client, staff, staff_login,
                                                                     institutions):
    """A10: the holder's administrator makes a colleague a form builder (audited); the
    colleague then opens the builder; another institution's staff are not theirs to change."""
    colleague = identity.record_staff(username="ilze.vsaa", password="pw-ilze-long-enough",
                                      institution=institutions["VSAA"], roles=["back_office"],
                                      given_name="Ilze", family_name="Ozola")
    admin = staff_login(client, staff["vsaa_admin"])
    assert "Make a form builder" in admin.get("/en/staff/team/").content.decode()
    response = admin.post(f"/en/staff/team/{colleague.pk}/form-builder/", {"grant": "yes"})
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.roles == ["back_office", "form_builder"]
    assert AuditEvent.objects.filter(action="identity.staff.role_grant",
                                     details__role="form_builder").count() == 1
    assert staff_login(Client(), colleague).get("/en/administration/forms/").status_code == 200
    admin.post(f"/en/staff/team/{colleague.pk}/form-builder/", {"grant": "no"})
    colleague.refresh_from_db()
    assert colleague.roles == ["back_office"]
    other = staff_login(Client(), staff["vid_admin"])
    assert other.post(f"/en/staff/team/{colleague.pk}/form-builder/",
                      {"grant": "yes"}).status_code == 404
    colleague.refresh_from_db()
    assert colleague.roles == ["back_office"]
