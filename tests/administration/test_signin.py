"""Staff sign-in (A12): a password, then a code from an authenticator app; repeated failures lock
out; sessions expire; demo accounts sign in without a phone, in demo mode only."""

import datetime
import json
import time
from base64 import b32decode
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from durvis.audit.models import AuditEvent
from durvis.demo.loader import DATA_DIR
from durvis.identity import services as identity
from durvis.identity.sessions import LAST_ACTIVITY_KEY, PENDING_KEY, SIGNED_IN_AT_KEY

PASSWORD = "pw-admin.vsaa-long-enough"
SERVICES = "/administration/services/"
HOME = "/staff/"  # every role lands on its start page


@pytest.fixture
def device(staff):
    return identity.record_totp_device(staff["vsaa_admin"], random_hex(20))


def code_now(device):
    device.refresh_from_db()
    return identity.current_totp_code(device)


def let_time_pass(device, seconds=3600):
    """django-otp slows a device down after a wrong code; move its last failure into the past
    instead of sleeping."""
    TOTPDevice.objects.filter(pk=device.pk, throttling_failure_timestamp__isnull=False).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=seconds))


def password_step(client, username="admin.vsaa", password=PASSWORD, data_next=None, **extra):
    data = {"username": username, "password": password}
    if data_next is not None:
        data["next"] = data_next
    return client.post("/staff/login/", data, **extra)


def test_password_and_code_sign_in_and_reach_the_staff_pages(client, device, catalogue):
    response = password_step(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/code/?flow=")
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()
    response = client.post("/staff/login/code/", {"otp_token": code_now(device)})
    assert response.status_code == 302 and response["Location"] == HOME
    assert client.get(SERVICES).status_code == 200
    assert client.get("/administration/integrations/").status_code == 200
    session = client.session
    assert session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert PENDING_KEY not in session and SIGNED_IN_AT_KEY in session
    event = AuditEvent.objects.get(action="identity.staff.sign_in")
    assert event.actor_kind == "staff" and event.actor_institution == "VSAA"
    assert event.object_type == "identity.staffmember" and event.source_address == "127.0.0.1"


def test_the_code_accepts_spaces_and_each_code_once(client, device):
    password_step(client)
    code = code_now(device)
    assert client.post("/staff/login/code/", {"otp_token": f"{code[:3]} {code[3:]}"}).status_code == 302
    client.post("/staff/logout/")
    password_step(client)
    again = client.post("/en/staff/login/code/", {"otp_token": code})
    assert again.status_code == 200 and "already been used" in again.content.decode()


def test_password_alone_does_not_reach_staff_pages(client, device, catalogue):
    password_step(client)
    for path in (SERVICES, "/administration/integrations/", "/administration/services/1011/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/code/?next=")
    assert client.post("/administration/integrations/webhooks/", {}).status_code == 302
    htmx = client.get(SERVICES, headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith("/staff/login/code/")
    assert "_auth_user_id" not in client.session  # not signed in at all


def test_the_code_step_returns_to_the_page_asked_for(client, device, catalogue):
    response = client.get("/administration/integrations/")
    assert response["Location"] == "/staff/login/?next=/administration/integrations/"
    client.post("/staff/login/", {"username": "admin.vsaa", "password": PASSWORD,
                                  "next": "/administration/integrations/"})
    response = client.post("/staff/login/code/", {"otp_token": code_now(device)})
    assert response["Location"] == "/administration/integrations/"


def test_two_sign_ins_in_two_tabs_each_return_to_their_own_page(client, device, catalogue):
    """Issue 10: two tabs of one browser pass the password for different pages; each tab's code
    step returns to its own page, whichever finishes first (the flow is in the step's address,
    not once per session)."""
    integrations = password_step(client, data_next="/administration/integrations/")
    services = password_step(client, data_next=SERVICES)
    assert integrations["Location"] != services["Location"]
    response = client.post(integrations["Location"], {"otp_token": code_now(device)})
    assert response["Location"] == "/administration/integrations/"
    # The other tab's sign-in finished meanwhile for the same user: no second code is needed.
    response = client.post(services["Location"], {"otp_token": "000000"})
    assert response["Location"] == SERVICES
    assert PENDING_KEY not in client.session


def test_two_users_in_two_tabs_each_check_their_own_code(client, device, staff, catalogue):
    vid_device = identity.record_totp_device(staff["vid_admin"], random_hex(20))
    vsaa = password_step(client, data_next=SERVICES)
    vid = password_step(client, "admin.vid", "pw-admin.vid-long-enough")
    page = client.get(vsaa["Location"]).content.decode()
    assert "admin.vsaa" in page and "admin.vid" not in page
    response = client.post(vsaa["Location"], {"otp_token": code_now(device)})
    assert response["Location"] == SERVICES
    assert client.session["_auth_user_id"] == str(staff["vsaa_admin"].user.pk)
    response = client.post(vid["Location"], {"otp_token": code_now(vid_device)})
    assert response["Location"] == HOME
    assert client.session["_auth_user_id"] == str(staff["vid_admin"].user.pk)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "http://testserver/administration/services/",
                                    "/\\evil.example/"])
def test_only_a_local_path_is_a_return_address(client, device, target):
    """Neither at the password nor at the code step (where a page behind the sign-in sends a
    half-signed-in browser with `next`)."""
    response = password_step(client, data_next=target)
    response = client.post(response["Location"], {"otp_token": code_now(device)})
    assert response["Location"] == HOME
    other = Client()
    password_step(other)
    let_time_pass(device)
    response = other.post(f"/staff/login/code/?next={quote(target)}",
                          {"otp_token": code_now(device)})
    assert response["Location"] == HOME


def test_the_code_step_without_a_password_goes_back_to_the_start(client, device):
    assert client.get("/staff/login/code/")["Location"] == "/staff/login/"
    assert client.post("/staff/login/code/", {"otp_token": "123456"})["Location"] == "/staff/login/"
    assert client.get("/staff/login/enrol/")["Location"] == "/staff/login/"


def test_the_second_step_must_follow_the_first_soon(client, device):
    password_step(client)
    session = client.session
    session[PENDING_KEY] = {flow: {**state, "started": time.time() - 11 * 60}
                            for flow, state in session[PENDING_KEY].items()}
    session.save()
    response = client.post("/staff/login/code/", {"otp_token": code_now(device)})
    assert response["Location"] == "/staff/login/"
    assert client.get(SERVICES).status_code == 302


def test_force_login_without_second_factor_is_sent_to_the_code_step(client, staff, device):
    client.force_login(staff["vsaa_admin"].user)
    response = client.get(SERVICES)
    assert response["Location"] == "/staff/login/code/?next=/administration/services/"
    response = client.post(response["Location"], {"otp_token": code_now(device)})
    assert response["Location"] == SERVICES
    assert client.get(SERVICES).status_code == 200


def test_enrolment_confirms_a_device_with_a_right_code_and_refuses_a_wrong_one(client, staff,
                                                                              wrong_totp_code):
    response = password_step(client)
    assert response["Location"].startswith("/staff/login/enrol/?flow=")
    page = client.get("/en/staff/login/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=staff["vsaa_admin"].user)
    assert not device.confirmed
    secret = page.split('id="totp-secret" class="secret">')[1].split("<")[0]
    assert b32decode(secret).hex() == device.key
    assert "otpauth://totp/Durvis%3Aadmin.vsaa?secret=" + secret in page
    assert "<svg" in page and 'role="img"' in page and "<img" not in page
    assert secret in client.get("/staff/login/enrol/").content.decode()  # the same secret again
    assert TOTPDevice.objects.filter(user=device.user).count() == 1
    assert client.get(SERVICES).status_code == 302

    wrong = client.post("/en/staff/login/enrol/", {"otp_token": wrong_totp_code(device)})
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert AuditEvent.objects.get(action="identity.staff.second_factor_failed").details == {
        "reason": "wrong", "enrolment": True}

    let_time_pass(device)
    response = client.post("/staff/login/enrol/", {"otp_token": code_now(device)})
    assert response.status_code == 302 and response["Location"] == HOME
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="identity.staff.second_factor_enrolled").count() == 1
    assert AuditEvent.objects.filter(action="identity.staff.sign_in").count() == 1
    assert client.get(SERVICES).status_code == 200


def test_a_confirmed_device_is_not_enrolled_again(client, device):
    response = password_step(client)
    flow = response["Location"].partition("?")[2]
    assert client.get(f"/staff/login/enrol/?{flow}")["Location"] == f"/staff/login/code/?{flow}"
    assert TOTPDevice.objects.filter(user=device.user).count() == 1


def test_five_wrong_passwords_lock_out(client, staff, device):
    for attempt in range(1, 5):
        response = password_step(client, password=f"wrong-{attempt}")
        assert response.status_code == 200, attempt
    fifth = password_step(client, password="wrong-5")
    assert fifth.status_code == 429
    right = password_step(client)  # the sixth, with the right password
    assert right.status_code == 429
    page = right.content.decode()
    assert "Ienākšana ir bloķēta" in page and "15 minūtēm" in page
    assert 'lang="lv"' in page and "Traceback" not in page
    assert PENDING_KEY not in client.session
    assert client.get(SERVICES).status_code == 302
    english = client.post("/en/staff/login/", {"username": "admin.vsaa", "password": PASSWORD})
    assert english.status_code == 429 and "Sign-in locked" in english.content.decode()
    assert "Please try again in 15 minutes." in english.content.decode()
    events = AuditEvent.objects.filter(action="identity.staff.locked_out")
    assert events.exists() and events.first().actor_kind == "staff"
    assert all(PASSWORD not in json.dumps(e.details) for e in AuditEvent.objects.all())


def test_the_lockout_is_for_the_user_name_from_that_address(client, staff, device):
    for attempt in range(5):
        password_step(client, password=f"wrong-{attempt}")
    assert password_step(client).status_code == 429
    elsewhere = password_step(client, REMOTE_ADDR="10.1.2.3")
    assert elsewhere.status_code == 302
    assert password_step(client, username="admin.vid", password="pw-admin.vid-long-enough"
                         ).status_code == 302


def test_unknown_user_names_lock_out_without_being_written_down(client, db):
    for attempt in range(5):
        response = password_step(client, username="nobody.here", password=f"guess-{attempt}")
    assert response.status_code == 429
    event = AuditEvent.objects.filter(action="identity.staff.locked_out").first()
    assert event.actor_kind == "anonymous" and event.object_id == ""
    assert "nobody.here" not in json.dumps(event.details)


def test_wrong_totp_codes_are_limited(wrong_totp_code, client, device, catalogue):
    password_step(client)
    codes = []
    for attempt in range(1, 5):
        let_time_pass(device)
        codes.append(wrong_totp_code(device))
        response = client.post("/en/staff/login/code/", {"otp_token": codes[-1]})
        assert response.status_code == 200, attempt
        assert "The code is wrong" in response.content.decode()
    let_time_pass(device)
    fifth = client.post("/en/staff/login/code/", {"otp_token": wrong_totp_code(device)})
    assert fifth.status_code == 429 and "Sign-in locked" in fifth.content.decode()
    # The sign-in must start again, and the password is refused during the cool-off.
    assert client.get("/staff/login/code/")["Location"] == "/staff/login/"
    assert password_step(client).status_code == 429
    assert client.get(SERVICES).status_code == 302
    failures = AuditEvent.objects.filter(action="identity.staff.second_factor_failed")
    assert failures.count() == 5
    assert all(code not in json.dumps(e.details) for e in failures for code in codes)
    attempts = "".join(a.post_data for a in AccessAttempt.objects.all())  # axes' own record
    assert "otp_token=****" in attempts and not any(code in attempts for code in codes)
    assert AuditEvent.objects.filter(action="identity.staff.locked_out").exists()
    assert not AuditEvent.objects.filter(action="identity.staff.sign_in").exists()


def test_wrong_codes_from_one_address_do_not_lock_the_real_user_out(client, device,
                                                                     wrong_totp_code, catalogue):
    """Someone with the password at another address types wrong codes until locked out there; the
    real user, at their own address, signs in at once (ASVS 2.2.1; issue 11)."""
    for _ in range(5):
        password_step(client, REMOTE_ADDR="203.0.113.9")
        response = client.post("/staff/login/code/", {"otp_token": wrong_totp_code(device)},
                               REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    real = Client(REMOTE_ADDR="198.51.100.20")
    assert password_step(real).status_code == 302
    response = real.post("/staff/login/code/", {"otp_token": code_now(device)})
    assert response.status_code == 302 and response["Location"] == HOME


def test_an_account_pauses_after_its_ceiling_of_failures_from_many_addresses(
        client, device, settings, catalogue):
    """At most DURVIS_SIGNIN_ACCOUNT_CEILING failures an hour on one account, whatever the
    addresses (ASVS 2.2.1: at most 100 an hour): then even the right password and code wait."""
    settings.DURVIS_SIGNIN_ACCOUNT_CEILING = 6
    for address in range(3):
        for attempt in range(2):
            response = password_step(client, password=f"guess-{attempt}",
                                     REMOTE_ADDR=f"192.0.2.{address + 1}")
            assert response.status_code == 200
    paused = password_step(Client(REMOTE_ADDR="198.51.100.20"))
    assert paused.status_code == 429
    assert "ienākšana tajā ir apturēta" in paused.content.decode()
    assert AuditEvent.objects.filter(action="identity.staff.locked_out").exists()
    AccessFailureLog.objects.update(attempt_time=timezone.now() - datetime.timedelta(hours=1))
    assert password_step(Client(REMOTE_ADDR="198.51.100.20")).status_code == 302


def test_a_malformed_code_is_explained_and_not_counted(client, device):
    password_step(client)
    response = client.post("/en/staff/login/code/", {"otp_token": "12ab"})
    assert response.status_code == 200 and "Enter the 6 digits" in response.content.decode()
    assert not AuditEvent.objects.filter(action="identity.staff.second_factor_failed").exists()


def test_idle_timeout_signs_out(client, staff, staff_login, settings, catalogue):
    settings.DURVIS_STAFF_IDLE_MINUTES = 30
    staff_login(client, staff["vsaa_admin"])
    assert client.get(SERVICES).status_code == 200

    def last_activity(minutes_ago):
        session = client.session
        session[LAST_ACTIVITY_KEY] = time.time() - minutes_ago * 60
        session.save()

    last_activity(29)
    assert client.get(SERVICES).status_code == 200  # still active, and the clock restarts
    assert time.time() - client.session[LAST_ACTIVITY_KEY] < 5
    last_activity(31)
    response = client.get(SERVICES)
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    assert "_auth_user_id" not in client.session
    page = client.get("/staff/login/").content.decode()
    assert "jo 30 minūtes netika veikta neviena darbība" in page


def test_a_session_ends_at_its_maximum_age_however_busy(client, staff, staff_login, settings):
    settings.SESSION_COOKIE_AGE = 8 * 3600
    staff_login(client, staff["vsaa_admin"])
    assert client.get(SERVICES).status_code == 200
    session = client.session
    session[SIGNED_IN_AT_KEY] = time.time() - 8 * 3600 - 1
    session[LAST_ACTIVITY_KEY] = time.time()
    session.save()
    assert client.get(SERVICES).status_code == 302
    assert "_auth_user_id" not in client.session


def test_sessions_end_when_the_browser_closes(client, device, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    password_step(client)
    response = client.post("/staff/login/code/", {"otp_token": code_now(device)})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]


def demo_key(username):
    row = next(r for r in json.loads((DATA_DIR / "staff.json").read_text())
               if r["username"] == username)
    return b32decode(row["totp_secret"]).hex()


def test_the_demo_code_aid_appears_only_in_demo_mode(client, staff, settings):
    device = identity.record_totp_device(staff["vsaa_admin"], demo_key("admin.vsaa"))
    settings.DEMO_MODE = True
    password_step(client)
    page = client.get("/en/staff/login/code/").content.decode()
    assert "Demo aid" in page
    shown = page.split('<code id="demo-code">')[1].split("<")[0]
    assert shown == code_now(device)
    assert client.post("/staff/login/code/", {"otp_token": shown}).status_code == 302
    client.post("/staff/logout/")

    settings.DEMO_MODE = False
    password_step(client)
    page = client.get("/en/staff/login/code/").content.decode()
    assert "Demo aid" not in page and 'id="demo-code"' not in page


def test_the_demo_code_aid_is_only_for_the_published_demo_secrets(client, staff, settings, device):
    settings.DEMO_MODE = True  # admin.vsaa is a demo user name, but this key is not the demo one
    password_step(client)
    assert "Demo aid" not in client.get("/en/staff/login/code/").content.decode()


def test_logout_ends_the_verified_session(client, staff, staff_login):
    staff_login(client, staff["vsaa_admin"])
    assert client.get(SERVICES).status_code == 200
    client.post("/staff/logout/")
    assert client.get(SERVICES).status_code == 302
