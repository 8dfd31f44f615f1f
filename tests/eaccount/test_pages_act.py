"""The e-account's pages in each language's European form, and a case waiting for the client
that says what is asked and offers the answer right there (issue 9)."""

from __future__ import annotations

import re

from django.utils import timezone

from durvis.register import services as register

MONTH_FIRST = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b[A-Z][a-z]+ \d{1,2}, \d{4}\b|[ap]\.m\.")


DAY_FIRST = re.compile(r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|"
                       r"October|November|December) \d{4}, \d{2}:\d{2}\b")


def test_english_pages_show_dates_day_first(client_login, family):
    client = client_login(family["parent"])
    number = family["own"].number.replace(" ", "-")
    case = client.get(f"/en/eaccount/cases/{number}/").content.decode()
    assert DAY_FIRST.search(case) and not MONTH_FIRST.search(case)
    history = client.get("/en/eaccount/history/").content.decode()
    assert re.search(r"\b\d{2}\.\d{2}\.\d{4}\b", history) and not MONTH_FIRST.search(history)


def test_a_case_waiting_for_the_client_says_what_is_asked_and_offers_the_answer(
        client_login, family):
    register.record_status_events(family["system"], [register.StatusEvent(
        family["own"].number, occurred_at=timezone.now(), status="waiting_for_client",
        holder_status="Gaida izziņu", note="Lūdzu, iesniedziet darba devēja izziņu")])
    client = client_login(family["parent"])
    number = family["own"].number
    page = client.get(f"/eaccount/cases/{number.replace(' ', '-')}/").content.decode()
    assert "Nepieciešama Jūsu rīcība" in page
    assert "Lūdzu, iesniedziet darba devēja izziņu" in page
    assert f'/eaccount/documents/upload/?case={number.replace(" ", "%20")}' in page
    assert f'/eaccount/messages/new/?case={number.replace(" ", "%20")}' in page
    upload = client.get(f"/eaccount/documents/upload/?case={number}").content.decode()
    assert re.search(rf'<option value="{family["own"].pk}" selected>', upload)
    overview = client.get("/eaccount/").content.decode()
    banner = overview[overview.index('id="needs-action-heading"'):]
    assert number in banner[:banner.index("</section>")]  # listed first, above the open cases
    assert overview.index('id="needs-action-heading"') < overview.index('class="big-number"')
