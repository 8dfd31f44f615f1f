"""A citizen finds the nearest centre for a service, books a time, gets the e-mail with the
.ics, moves it; the institution's CalDAV server (Radicale on loopback) holds the event; an
agent sees it in the service point's day. Every page at a phone's and a desktop's width, axe
clean (issue 18, A1, A4)."""

from __future__ import annotations

import pytest
from icalendar import Calendar as ICalendar

from tests.calendars.conftest import make_caldav_calendar, radicale  # noqa: F401
from tests.servicepoints.conftest import make_points

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _rounds():
    from durvis.core.events import dispatch_due
    from durvis.integrations import services as integrations

    while dispatch_due() or integrations.deliver_due():  # the worker's rounds
        pass


def _check(page, where):
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_sideways_scroll(page, f"{where} at {width} px")
        assert_accessible(page, f"{where} ({width}px)")


def test_find_book_move_and_the_institution_and_agent_see_it(
        live_server, family, institutions, staff, page, sign_in_client, smtp, radicale,  # noqa: F811
        staff_login, settings):
    from django.test import Client

    from durvis.calendars.models import Booking, Calendar
    from durvis.core.sealed import seal

    settings.DURVIS_PUBLIC_URL = live_server.url
    points = make_points(institutions)
    url = make_caldav_calendar(radicale)
    calendar = Calendar.objects.create(
        point=points["Valmieras VPVKAC"], service=family["own"].service, slot_minutes=30,
        desks=1, lead_minutes=0, horizon_days=30, forward_to="caldav", forward_target=url,
        forward_username="vdaa", forward_password=seal("secret"))
    parent = family["parent"]
    page.set_default_timeout(60_000)  # a shared machine: the first page warms the server up
    page.set_default_navigation_timeout(60_000)
    sign_in_client(page, parent)
    # The service page says where to go; the nearest to Valmiera, typed without diacritics.
    page.goto(f"{live_server.url}/services/1011/")
    _check(page, "service page")
    page.fill("#id_near_section", "valmiera")
    page.click("form.near-form button[type=submit]")
    page.wait_for_url("**/in-person/**")
    _check(page, "nearest")
    assert page.locator("ol.point-list > li h3").first.inner_text() == "Valmieras VPVKAC"
    page.click(f"#point-{calendar.point_id} >> text=Pieteikties uz apmeklējumu")
    page.wait_for_url("**/appointments/book/**")
    _check(page, "book")
    page.locator(".slot-grid input[type=radio]").first.check()
    page.click("button:has-text('Pieteikties uz šo laiku')")
    page.wait_for_url("**/eaccount/appointments/")
    _check(page, "appointments")
    booking = Booking.objects.get()
    _rounds()
    to_parent = [m for rcpt, m in smtp.messages if parent.email in rcpt]
    assert len(to_parent) == 1
    ics = next(p for p in to_parent[0].iter_attachments()
               if p.get_content_type() == "text/calendar")
    assert str(ICalendar.from_ical(ics.get_content()).walk("VEVENT")[0]["UID"]) == (
        f"{booking.uid}@durvis")
    # Move it to the next free time.
    page.click(f"#appointment-{booking.pk} >> text=Pārcelt")
    page.wait_for_url("**/move/**")
    _check(page, "move")
    page.locator(".slot-grid input[type=radio]").nth(1).check()
    page.click("button:has-text('Pārcelt uz šo laiku')")
    page.wait_for_url("**/eaccount/appointments/")
    booking.refresh_from_db()
    assert booking.sequence == 1
    _rounds()
    # The institution's CalDAV calendar holds the event at the new time.
    from caldav.davclient import DAVClient
    with DAVClient(url=url, username="vdaa", password="secret") as client:
        held = [ICalendar.from_ical(e.data) for e in client.calendar(url=url).events()]
    assert len(held) == 1
    assert held[0].walk("VEVENT")[0].decoded("DTSTART") == booking.starts_at
    # The centre's agent sees it in the day view.
    from django.conf import settings as django_settings
    agent = Client()
    staff_login(agent, staff["agent"])
    page.context.clear_cookies()
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                               "value": agent.cookies[django_settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    day = booking.starts_at.astimezone(calendar.point.calendar().zone).date()
    page.goto(f"{live_server.url}/staff/appointments/?point={calendar.point_id}&day={day}")
    _check(page, "day view")
    assert "Bērziņš" in page.locator("#day-bookings").inner_text()


def test_an_agent_books_for_a_client_from_the_workplace(
        live_server, family, institutions, staff, page, staff_login, settings):
    from django.conf import settings as django_settings
    from django.test import Client

    from durvis.calendars.models import Booking, Calendar

    settings.DURVIS_PUBLIC_URL = live_server.url
    points = make_points(institutions)
    calendar = Calendar.objects.create(
        point=points["Valmieras VPVKAC"], service=family["own"].service, slot_minutes=30,
        desks=1, lead_minutes=0, horizon_days=30)
    parent = family["parent"]
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    agent = Client()
    staff_login(agent, staff["agent"])
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                               "value": agent.cookies[django_settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    # The agent finds the client by personal code (identified), then books for them.
    page.goto(f"{live_server.url}/staff/clients/?q={parent.personal_code}")
    page.goto(f"{live_server.url}/staff/clients/{parent.pk}/appointments/new/")
    _check(page, "agent's booking")
    page.click("button:has-text('Rādīt brīvos laikus')")  # nothing chosen: the error summary
    page.wait_for_selector(".govuk-error-summary:has-text('Ir kļūda')")
    _check(page, "agent's booking: no service chosen")
    page.select_option("#id_calendar", str(calendar.pk))
    page.click("button:has-text('Rādīt brīvos laikus')")
    page.wait_for_selector(".slot-grid input[type=radio]")
    _check(page, "agent's booking: the times")
    page.click("button:has-text('Pieteikties uz šo laiku')")  # no time: the error summary
    page.wait_for_selector(".govuk-error-summary")
    _check(page, "agent's booking: an error")
    page.locator(".slot-grid input[type=radio]").first.focus()
    page.keyboard.press("Space")
    page.click("button:has-text('Pieteikties uz šo laiku')")
    page.wait_for_url(f"**/staff/clients/{parent.pk}/")
    booking = Booking.objects.get()
    assert booking.client_person == parent and booking.booked_by_staff == staff["agent"]
