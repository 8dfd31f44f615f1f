"""An agent books an appointment for a client from the workplace (A4, B3), and a parent books
for a child in the e-account: through `calendars.services.book` (the policy, the activity log,
the notice with the `.ics`)."""

from __future__ import annotations

import pytest
from conftest import sign_in_person, sign_in_staff
from django.core import mail
from django.test import Client
from django.urls import reverse

from durvis.audit.models import AuditEvent
from durvis.calendars import queries
from durvis.calendars.models import Booking
from durvis.core.actor import Actor
from durvis.core.working_time import ZONE
from tests.calendars.conftest import first_slot

pytestmark = pytest.mark.django_db


def _identify(http, person):
    """The agent finds the client by personal code (identified in this session)."""
    found = http.get(reverse("administration:clients"), {"q": person.personal_code})
    assert found.status_code == 200


def _slot_data(calendar, party, slot):
    return {"calendar": calendar.pk, "party": party,
            "day": slot.astimezone(ZONE).date().isoformat(), "starts_at": slot.isoformat()}


def test_an_agent_books_for_the_client_who_sees_it_and_is_told(client, calendar, family,
                                                                staff, worker):
    parent = family["parent"]
    sign_in_staff(client, staff["agent"])
    url = reverse("administration:client-appointment", args=[parent.pk])
    assert client.get(url).status_code == 404  # not yet identified in this session
    _identify(client, parent)
    page = client.get(url)
    assert page.status_code == 200 and "Valmieras VPVKAC" in page.content.decode()
    times = client.get(url, {"calendar": calendar.pk, "party": "self"})
    assert times.status_code == 200 and 'name="starts_at"' in times.content.decode()
    slot = first_slot(calendar)
    empty = client.post(url, {**_slot_data(calendar, "self", slot), "starts_at": ""})
    assert empty.status_code == 422 and "govuk-error-summary" in empty.content.decode()
    done = client.post(url, _slot_data(calendar, "self", slot))
    assert done.status_code == 302 and done["Location"].endswith(
        reverse("administration:client", args=[parent.pk]))
    booking = Booking.objects.get()
    assert booking.client_person == parent and booking.booked_by_staff == staff["agent"]
    assert booking.booked_by is None
    audit = AuditEvent.objects.get(action="calendars.booking.book")
    assert audit.subject_person_id == parent.pk
    assert queries.upcoming_of(Actor(kind="person", person=parent), parent) == [booking]
    worker.deliver()
    told = [m for m in mail.outbox if "janis@example.lv" in m.to]
    assert len(told) == 1 and told[0].attachments
    own = sign_in_person(Client(), parent)
    assert "Valmieras VPVKAC" in own.get(reverse("eaccount:appointments")).content.decode()


def test_an_agent_books_for_the_clients_child_and_company(client, calendar, family, staff):
    parent, child, company = family["parent"], family["child"], family["company"]
    sign_in_staff(client, staff["agent"])
    _identify(client, parent)
    url = reverse("administration:client-appointment", args=[parent.pk])
    page = client.get(url).content.decode()
    assert "Emīlija" in page and "SIA Zaļā Pļava" in page
    first, second = first_slot(calendar, 0), first_slot(calendar, 1)
    # Back at the client's page, the confirmation says for whom the time was booked.
    for_child = client.post(url, _slot_data(calendar, f"person:{child.pk}", first), follow=True)
    assert for_child.redirect_chain[0][1] == 302
    told = [str(m) for m in for_child.context["messages"]]
    assert len(told) == 1 and str(child) in told[0] and str(parent) not in told[0]
    for_company = client.post(url, _slot_data(calendar, f"company:{company.pk}", second),
                              follow=True)
    assert for_company.redirect_chain[0][1] == 302
    assert [company.name in str(m) for m in for_company.context["messages"]] == [True]
    assert {(b.client_person_id, b.client_company_id) for b in Booking.objects.all()} == {
        (child.pk, None), (None, company.pk)}
    forged = client.post(url, _slot_data(calendar, f"person:{family['stranger'].pk}", first))
    assert forged.status_code == 422


def test_an_agent_of_another_institution_has_no_calendar_to_book(client, calendar, family,
                                                                 agents):
    sign_in_staff(client, agents["riga"].staff)
    _identify(client, family["parent"])
    url = reverse("administration:client-appointment", args=[family["parent"].pk])
    page = client.get(url)
    assert page.status_code == 200 and "Valmieras VPVKAC" not in page.content.decode()
    forged = client.post(url, _slot_data(calendar, "self", first_slot(calendar)))
    assert forged.status_code == 422 and not Booking.objects.exists()


def test_a_taken_time_is_refused_at_its_field(client, calendar, family, staff):
    slot = first_slot(calendar)
    from durvis.calendars import services

    services.book(Actor(kind="person", person=family["stranger"]), calendar, slot,
                  family["stranger"])
    sign_in_staff(client, staff["agent"])
    _identify(client, family["parent"])
    url = reverse("administration:client-appointment", args=[family["parent"].pk])
    refused = client.post(url, _slot_data(calendar, "self", slot))
    assert refused.status_code == 422 and "govuk-error-summary" in refused.content.decode()


def test_a_parent_books_for_their_child_in_the_eaccount(client, calendar, family):
    child = family["child"]
    sign_in_person(client, family["parent"], role=f"person:{child.pk}")
    slot = first_slot(calendar)
    done = client.post(reverse("eaccount:appointment-book", args=[calendar.pk]), {
        "opened_as": f"person:{child.pk}", "day": slot.astimezone(ZONE).date().isoformat(),
        "starts_at": slot.isoformat()})
    assert done.status_code == 302
    booking = Booking.objects.get()
    assert booking.client_person == child and booking.booked_by == family["parent"]
    listing = client.get(reverse("eaccount:appointments")).content.decode()
    assert f"appointment-{booking.pk}" in listing


def test_the_parents_overview_lists_their_own_and_their_childs_appointments(client, calendar,
                                                                            family, staff):
    parent, child, stranger = family["parent"], family["child"], family["stranger"]
    agent = Actor(kind="staff", staff=staff["agent"])
    from durvis.calendars import services

    for_child = services.book(agent, calendar, first_slot(calendar, 0), child)
    own = services.book(Actor(kind="person", person=parent), calendar, first_slot(calendar, 1),
                        parent)
    services.book(Actor(kind="person", person=stranger), calendar, first_slot(calendar, 2),
                  stranger)
    sign_in_person(client, parent)
    overview = client.get(reverse("eaccount:overview")).content.decode()
    assert f"appointment-{for_child.pk}" in overview and f"appointment-{own.pk}" in overview
    assert overview.count('id="appointment-') == 2  # not the stranger's
    assert f"{child}" in overview  # the row says whom it is for
    ics = client.get(reverse("eaccount:appointment-ics", args=[for_child.pk]))
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content


def test_the_moved_message_says_moved(client, calendar, family):
    parent = family["parent"]
    sign_in_person(client, parent)
    from durvis.calendars import services

    booking = services.book(Actor(kind="person", person=parent), calendar, first_slot(calendar),
                            parent)
    later = first_slot(calendar)
    moved = client.post(reverse("eaccount:appointment-move", args=[booking.pk]), {
        "opened_as": "self", "day": later.astimezone(ZONE).date().isoformat(),
        "starts_at": later.isoformat()}, follow=True)
    text = moved.content.decode()
    assert "pārcelts uz" in text.lower() and "pieteikts uz" not in text.lower()


def test_opening_the_booking_page_is_an_audited_read_the_client_sees(client, calendar, family,
                                                                     staff):
    parent = family["parent"]
    sign_in_staff(client, staff["agent"])
    _identify(client, parent)
    url = reverse("administration:client-appointment", args=[parent.pk])
    assert client.get(url).status_code == 200
    read = AuditEvent.objects.filter(action="calendars.client.read")
    assert [(e.subject_person_id, e.purpose) for e in read] == [(parent.pk, "client service")]
    assert set(read.get().details["parties"]) >= {"self", f"person:{family['child'].pk}"}
    own = sign_in_person(Client(), parent)
    uses = own.get(reverse("eaccount:data-use")).content.decode()
    assert "Redzēja jūsu datus, lai pierakstītu jūs uz apmeklējumu" in uses


def test_showing_times_with_nothing_chosen_names_each_missing_field(client, calendar, family,
                                                                    staff):
    """"Rādīt brīvos laikus" with no service point and no party: the error summary ("Ir
    kļūda") names each missing field, and the fields are marked (422)."""
    parent = family["parent"]
    sign_in_staff(client, staff["agent"])
    _identify(client, parent)
    url = reverse("administration:client-appointment", args=[parent.pk])
    # The browser does not stop the empty form itself: the page answers, in its language.
    assert '<form method="get" novalidate class="query-form"' in client.get(url).content.decode()
    shown = client.get(url, {"calendar": "", "party": ""})
    page = shown.content.decode()
    assert shown.status_code == 422
    assert "govuk-error-summary" in page and "Ir kļūda" in page
    assert 'href="#id_calendar"' in page and 'href="#id_party_0"' in page
    assert '<fieldset aria-invalid="true">' in page
    assert 'aria-invalid="true" aria-describedby="id_calendar_error"' in page
