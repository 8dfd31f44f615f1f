"""An institution's office hours (B7, issue 16): its administrator sets the weekly hours and the
days closed by which its queues count the time allowed for a task; bad hours are named in the
administrator's language and nothing is stored; another institution's is not theirs to set."""

import pytest

from durvis.audit.models import AuditEvent
from durvis.identity.models import Institution

pytestmark = pytest.mark.django_db
PAGE = "/en/administration/office-hours/"


def test_the_page_shows_the_state_hours_until_the_institution_sets_its_own(client, staff,
                                                                        staff_login):
    page = staff_login(client, staff["vsaa_admin"]).get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "(your institution has not set its own)" in text and "08:30–17:00" in text
    assert "08:30–15:30" in text and "Closed" in text  # Friday's shorter day, the weekend


def test_an_administrator_sets_the_hours_and_days_closed(client, staff, staff_login):
    admin = staff_login(client, staff["vsaa_admin"])
    saved = admin.post(PAGE, {"office_hours": "mon-fri  08:00-12:00,13:00-16:00",
                              "closed_days": "24.12.2026\n2026-12-28, 24.12.2026"}, follow=True)
    assert saved.redirect_chain == [(PAGE, 302)]
    text = saved.content.decode()
    assert "not set its own" not in text and "08:00–12:00, 13:00–16:00" in text
    vsaa = Institution.objects.get(code="VSAA")
    assert vsaa.office_hours == "mon-fri 08:00-12:00,13:00-16:00"  # as written, spaces tidied
    assert vsaa.closed_days == ["2026-12-24", "2026-12-28"]
    entry = AuditEvent.objects.get(action="identity.institution.office_hours")
    assert entry.details["closed_days"] == ["2026-12-24", "2026-12-28"]
    assert entry.details["before"] == {"office_hours": "", "closed_days": []}


@pytest.mark.parametrize(("hours", "days", "said"), [
    ("mon 9-17", "", "Write the hours as from-to in 24-hour time"),
    ("monday 09:00-17:00", "", "Start each part with a day or days"),
    ("mon 17:00-09:00", "", "An interval must close after it opens"),
    ("mon 08:00-12:00,11:00-16:00", "", "must not overlap"),
    ("mon-fri 08:00-16:00; fri 08:00-12:00", "", "Each day may be given only once"),
    ("mon-fri 08:00-16:00", "31.02.2026", "“31.02.2026” is not a date"),
    ("mon-fri 08:00-16:00", "tomorrow", "“tomorrow” is not a date"),
    ("x" * 301, "", "at most 300 characters"),
    ("fri-mon 08:00-12:00", "", "a span does not run past Sunday"),
    ("mon-fri 08:00-16:00", "0001-01-01", "is not a day of the institution"),
    ("mon-fri 08:00-16:00", "2026-12-28 2026-12-29", "“2026-12-28 2026-12-29” is not a date"),
])
def test_bad_hours_are_named_and_nothing_is_stored(client, staff, staff_login, hours, days, said):
    response = staff_login(client, staff["vsaa_admin"]).post(PAGE, {"office_hours": hours,
                                                                     "closed_days": days})
    assert response.status_code == 422
    text = response.content.decode()
    assert said in text and "govuk-error-summary" in text
    assert Institution.objects.get(code="VSAA").office_hours == ""
    assert not AuditEvent.objects.filter(action="identity.institution.office_hours").exists()


def test_the_errors_are_said_in_latvian(client, staff, staff_login):
    response = staff_login(client, staff["vsaa_admin"]).post(
        "/administration/office-hours/", {"office_hours": "mon 9-17", "closed_days": "rīt"})
    text = response.content.decode()
    assert response.status_code == 422 and "Darba laiks" in text
    assert "24 stundu formātā" in text and "nav datums" in text


def test_only_administrators_set_them_and_only_their_own(client, staff, staff_login):
    assert staff_login(client, staff["agent"]).get(PAGE).status_code == 403
    vid_admin = staff_login(client, staff["vid_admin"])
    assert vid_admin.get(f"{PAGE}?institution=VSAA").status_code == 200  # their own, VID's
    vid_admin.post(f"{PAGE}?institution=VSAA", {"office_hours": "mon 08:00-09:00",
                                                "closed_days": ""})
    assert Institution.objects.get(code="VSAA").office_hours == ""
    assert Institution.objects.get(code="VID").office_hours == "mon 08:00-09:00"


def test_a_long_week_saved_once_saves_again_unchanged(client, staff, staff_login):
    """The tester's case: hours of every day with three breaks were saved, then could not be
    saved again because the page showed them spelt out day by day (369 characters)."""
    admin = staff_login(client, staff["vsaa_admin"])
    week = "mon-sun 07:00-08:00,09:00-10:00,11:00-12:00,13:00-14:00"
    assert admin.post(PAGE, {"office_hours": week, "closed_days": ""}).status_code == 302
    shown = admin.get(PAGE).content.decode()
    assert week in shown
    again = admin.post(PAGE, {"office_hours": week, "closed_days": "2026-12-28"})
    assert again.status_code == 302
    assert Institution.objects.get(code="VSAA").closed_days == ["2026-12-28"]


def test_a_platform_administrator_sets_any_institutions(client, staff, staff_login):
    platform = staff_login(client, staff["platform"])
    page = platform.get(f"{PAGE}?institution=VSAA").content.decode()
    assert Institution.objects.get(code="VSAA").name in page
    saved = platform.post(f"{PAGE}?institution=VSAA", {"office_hours": "sat 10:00-11:00",
                                                       "closed_days": ""})
    assert saved.status_code == 302 and saved["Location"].endswith("?institution=VSAA")
    assert Institution.objects.get(code="VSAA").office_hours == "sat 10:00-11:00"
    assert platform.get(f"{PAGE}?institution=NOPE").status_code == 404
