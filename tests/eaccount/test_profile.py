"""The e-account's profile through HTTP (A2, C1): contacts confirmed by a code that really leaves
by e-mail, notification preferences that the notifications obey, and the demo mailbox where a
newcomer reads what was sent."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from durvis.audit.models import AuditEvent
from durvis.core.events import dispatch_due
from durvis.identity.models import ContactConfirmation
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage
from durvis.register import services as register

pytestmark = pytest.mark.django_db
CONTACTS = "/eaccount/profile/"
CONFIRM = "/eaccount/profile/confirm/"
PREFERENCES = "/eaccount/profile/notifications/"


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def deliver():
    """The worker's rounds: the subscribers of what was published, then the outbox."""
    while dispatch_due() or integrations.deliver_due():
        pass


def mailed_code(to):
    """Deliver the outbox and read the code from the last e-mail sent to `to`."""
    deliver()
    sent = [m for m in mail.outbox if m.to == [to]]
    assert sent, f"no e-mail to {to}"
    return re.search(r"\b(\d{6})\b", sent[-1].body).group(1)


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_urls_are_the_profiles():
    with translation.override("lv"):
        assert reverse("profile:contacts") == CONTACTS
        assert reverse("profile:confirm") == CONFIRM
        assert reverse("profile:preferences") == PREFERENCES


@pytest.mark.parametrize("url", [CONTACTS, CONFIRM, PREFERENCES])
def test_signed_out_visitor_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("client-signin"))


def test_the_profile_shows_name_masked_code_and_contacts(client_login, family):
    parent = family["parent"]
    page = client_login(parent).get(CONTACTS).content.decode()
    assert "Jānis" in page and "Bērziņš" in page
    assert "140386-*****" in page and "12043" not in page
    assert "janis@example.lv" in page
    assert 'aria-current="page"' in page
    assert AuditEvent.objects.filter(action="identity.profile.read",
                                     subject_person_id=parent.pk).exists()


def test_changing_the_e_mail_takes_the_code_sent_to_the_new_address(client_login, family):
    parent = family["parent"]
    client = client_login(parent)
    response = client.post(CONTACTS, {"version": "0", "action": "email", "email": "jauna@example.lv"})
    assert response.status_code == 302 and response["Location"] == f"{CONFIRM}?kind=email"
    code = mailed_code("jauna@example.lv")
    page = client.get(response["Location"]).content.decode()
    assert "jauna@example.lv" in page and 'autocomplete="one-time-code"' in page

    response = client.post("/en" + CONFIRM, {"kind": "email", "code": wrong(code)})
    assert response.status_code == 422
    assert "You can try 4 more times" in response.content.decode()
    parent.refresh_from_db()
    assert parent.email == "janis@example.lv"

    response = client.post("/en" + CONFIRM, {"kind": "email", "code": code}, follow=True)
    page = response.content.decode()
    assert "Confirmed: your e-mail address is now jauna@example.lv" in page
    assert 'role="status"' in page and "confirmed with a code" in page
    parent.refresh_from_db()
    assert parent.email == "jauna@example.lv"


def test_a_repeated_or_stale_confirmation_is_a_message_not_an_error(client_login, family):
    client = client_login(family["parent"])
    response = client.post("/en" + CONFIRM, {"kind": "email", "code": "123456"}, follow=True)
    assert response.status_code == 200
    assert "No change of your contacts is waiting for a code" in response.content.decode()
    client.post(CONTACTS, {"version": "0", "action": "email", "email": "jauna@example.lv"})
    code = mailed_code("jauna@example.lv")
    client.post(CONFIRM, {"kind": "email", "code": code})
    again = client.post("/en" + CONFIRM, {"kind": "email", "code": code}, follow=True)
    assert again.status_code == 200
    assert "No change of your contacts is waiting" in again.content.decode()
    assert client.get(CONFIRM).status_code == 302


def test_a_code_that_is_not_six_digits_costs_no_attempt(client_login, family):
    client = client_login(family["parent"])
    client.post(CONTACTS, {"version": "0", "action": "email", "email": "jauna@example.lv"})
    response = client.post("/en" + CONFIRM, {"kind": "email", "code": "12 34"})
    assert response.status_code == 422 and "The code has 6 digits" in response.content.decode()
    assert ContactConfirmation.objects.get().attempts == 0


def test_an_invalid_e_mail_is_refused_and_kept_on_the_page(client_login, family):
    client = client_login(family["parent"])
    response = client.post("/en" + CONTACTS, {"version": "0", "action": "email", "email": "janis(at)example"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "valid email address" in page and 'value="janis(at)example"' in page
    assert not OutboxMessage.objects.exists()


def test_an_expired_code_asks_to_send_a_new_one(client_login, family):
    client = client_login(family["parent"])
    client.post("/en" + CONTACTS, {"version": "0", "action": "email", "email": "jauna@example.lv"})
    ContactConfirmation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    page = client.get("/en" + CONFIRM).content.decode()
    assert "The code has expired" in page and "Send a new code to jauna@example.lv" in page
    response = client.post("/en" + CONTACTS, {"version": "0", "action": "email", "email": "jauna@example.lv"})
    assert response.status_code == 302
    code = mailed_code("jauna@example.lv")
    assert client.post(CONFIRM, {"kind": "email", "code": code}).status_code == 302
    family["parent"].refresh_from_db()
    assert family["parent"].email == "jauna@example.lv"


def test_phone_confirmation_is_unavailable_without_an_sms_service(client_login, family):
    client = client_login(family["parent"])
    assert "Phone confirmation is unavailable" in client.get("/en" + CONTACTS).content.decode()
    response = client.post("/en" + CONTACTS, {"version": "0", "action": "phone", "phone": "29123456"})
    assert response.status_code == 422
    assert "cannot be confirmed now" in response.content.decode()


def test_a_phone_is_confirmed_by_sms_when_a_gateway_exists(client_login, family, settings):
    settings.DURVIS_SMS_GATEWAY_URL = "http://127.0.0.1:9"
    client = client_login(family["parent"])
    response = client.post(CONTACTS, {"version": "0", "action": "phone", "phone": "2912 3456"})
    assert response.status_code == 302
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.recipient == "+37129123456"
    code = re.search(r"\b(\d{6})\b", sms.payload["body"]).group(1)
    client.post(CONFIRM, {"kind": "phone", "code": code})
    family["parent"].refresh_from_db()
    assert family["parent"].phone == "+37129123456"


def test_removing_the_e_mail_needs_no_code(client_login, family):
    client = client_login(family["parent"])
    response = client.post("/en" + CONTACTS, {"version": "0", "action": "remove-email"}, follow=True)
    assert "Your e-mail address was removed" in response.content.decode()
    family["parent"].refresh_from_db()
    assert family["parent"].email == ""
    again = client.post("/en" + CONTACTS, {"version": "0", "action": "remove-email"}, follow=True)
    assert "You have no e-mail address to remove" in again.content.decode()


def test_in_a_childs_role_the_profile_is_still_ones_own(client_login, family):
    parent, child = family["parent"], family["child"]
    client = client_login(parent, role=f"person:{child.pk}")
    page = client.get("/en" + CONTACTS).content.decode()
    assert "only your own profile" in page and "janis@example.lv" in page
    client.post(CONTACTS, {"version": "0", "action": "email", "email": "jauna@example.lv"})
    client.post(CONFIRM, {"kind": "email", "code": mailed_code("jauna@example.lv")})
    parent.refresh_from_db()
    child.refresh_from_db()
    assert parent.email == "jauna@example.lv" and child.email == ""


def status_change(family):
    register.record_status_events(family["system"], [register.StatusEvent(
        family["own"].number, occurred_at=timezone.now(), status="in_progress")])


def test_preferences_are_saved_and_a_topic_turned_off_sends_nothing(client_login, family):
    client = client_login(family["parent"])
    page = client.get("/en" + PREFERENCES).content.decode()
    assert "<caption>" in page and 'scope="row"' in page and "<legend>" in page
    assert 'name="status_changes-email"' in page

    choices = {"results-email": "on", "messages-email": "on", "language": "en", "version": "0"}
    response = client.post("/en" + PREFERENCES, choices, follow=True)
    page = response.content.decode()
    assert 'role="status"' in page and "notification settings were saved" in page
    checked = re.search(r'<input[^>]*name="status_changes-email"[^>]*>', page).group(0)
    assert "checked" not in checked
    assert AuditEvent.objects.filter(action="messaging.preference.set",
                                     details__topic="status_changes").exists()

    OutboxMessage.objects.all().delete()
    status_change(family)
    dispatch_due()
    assert not OutboxMessage.objects.filter(recipient="janis@example.lv").exists()


def test_preferences_on_send_in_the_chosen_language(client_login, family):
    client = client_login(family["parent"])
    client.post(PREFERENCES, {"status_changes-email": "on", "language": "en", "version": "0"})
    OutboxMessage.objects.all().delete()
    status_change(family)
    deliver()
    (sent,) = [m for m in mail.outbox if m.to == ["janis@example.lv"]]
    assert sent.subject.startswith(f"Case {family['own'].number}:")


def test_a_bad_preferences_post_saves_nothing(client_login, family):
    client = client_login(family["parent"])
    response = client.post(PREFERENCES, {"language": "de", "version": "0"})
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="messaging.preference.set").exists()


def test_the_demo_mailbox_shows_the_e_mails_and_codes(client_login, family, settings, tmp_path):
    settings.DEMO_MODE = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    client = client_login(family["parent"])
    assert "/demo/mailbox/" in client.get(CONTACTS).content.decode()
    client.post(CONTACTS, {"version": "0", "action": "email", "email": "pirma@example.lv"})
    client.post(CONTACTS, {"version": "0", "action": "email", "email": "otra@example.lv"})
    # The outbox holds the code's text only until it is sent (issue 11).
    subject = OutboxMessage.objects.filter(recipient="otra@example.lv").get().payload["subject"]
    deliver()
    page = client.get("/en/demo/mailbox/").content.decode().split("<table", 1)[1]
    assert page.index("otra@example.lv") < page.index("pirma@example.lv")  # newest first
    assert subject in page
    link = re.search(r'href="(/en/demo/mailbox/[^"]+/\d+/)"', page).group(1)
    message = client.get(link).content.decode()
    code = re.search(r"\b(\d{6})\b", message.split("<pre", 1)[1]).group(1)
    assert client.post(CONFIRM, {"kind": "email", "code": code}).status_code == 302
    family["parent"].refresh_from_db()
    assert family["parent"].email == "otra@example.lv"


def test_the_demo_mailbox_refuses_made_up_names(client, settings, tmp_path):
    settings.DEMO_MODE = True
    settings.EMAIL_FILE_PATH = tmp_path
    page = client.get("/demo/mailbox/")
    assert page.status_code == 200
    # Codes and personal data: no cache keeps them, even for a browser without a session.
    assert "no-store" in page["Cache-Control"]
    (tmp_path / "20260101-120000-1.log").write_bytes(b"Subject: x\nTo: a@b.lv\n\nbody\n")
    assert "no-store" in client.get("/demo/mailbox/20260101-120000-1/0/")["Cache-Control"]
    assert client.get("/demo/mailbox/nothing-here/0/").status_code == 404
    assert client.get("/demo/mailbox/..%2Fsecret/0/").status_code == 404


def test_the_demo_mailbox_does_not_exist_outside_demo_mode(client, client_login, family,
                                                            settings, tmp_path):
    settings.DEMO_MODE = False
    settings.EMAIL_FILE_PATH = tmp_path
    (tmp_path / "20260101-120000-1.log").write_bytes(b"Subject: x\nTo: a@b.lv\n\nbody\n")
    assert client.get("/demo/mailbox/").status_code == 404
    assert client.get("/demo/mailbox/20260101-120000-1/0/").status_code == 404
    page = client_login(family["parent"]).get(CONTACTS).content.decode()
    assert "/demo/mailbox/" not in page
