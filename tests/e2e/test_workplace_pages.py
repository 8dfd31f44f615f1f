"""The workplace's pages (B3, B4; issue 16) in Chromium, in Latvian and English, at a phone's
width and a desktop's: axe-core finds no violation and nothing scrolls sideways on the caller's
check (with an error), the client's purpose form and overview, and a task's page; the check is
done with the keyboard only."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from durvis.identity.models import Person
from durvis.workflows.models import Task
from tests.workflows.test_workflows import publish, register_case, world  # noqa: F401

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LANGUAGES = {"lv": "", "en": "/en"}


def _signed_in(page, live_server, staff_login, member):
    from django.conf import settings

    client = staff_login(Client(), member)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])


def _clean(page, where):
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_sideways_scroll(page, f"{where} at {width} px")
        assert_accessible(page, f"{where} at {width} px")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_workplace_pages_pass_axe_and_the_check_works_by_keyboard(
        live_server, page, staff_login, world, worker, language):  # noqa: F811
    from playwright.sync_api import expect

    publish(world)
    case = register_case(world, worker)
    person = case.client_person
    Person.objects.filter(pk=person.pk).update(phone="+37129123456",
                                               date_of_birth=datetime.date(1986, 3, 14))
    base = f"{live_server.url}{LANGUAGES[language]}"
    _signed_in(page, live_server, staff_login, world["agent"].staff)
    page.goto(f"{base}/staff/clients/?q=29123456")
    page.locator(f'a[href$="/staff/clients/{person.pk}/verify/"]').click()
    page.locator("#id_given_name").focus()
    page.keyboard.type("Pēteris")
    page.locator("#id_date_of_birth").focus()
    page.keyboard.type("14.03.1986")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    _clean(page, f"the caller's check with an error ({language})")
    page.locator("#id_given_name").fill("Jānis")
    page.locator("#id_date_of_birth").fill("14.03.1986")
    page.locator("main form button[type=submit]").press("Enter")
    expect(page.locator("#id_service")).to_be_visible()
    _clean(page, f"the purpose form ({language})")
    page.locator("#id_service").select_option(str(case.service_id))
    page.locator("#id_basis_0").check()
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_text(case.number)).to_be_visible()
    _clean(page, f"the client's overview ({language})")
    # Recording a mandate on paper (issue 15): the form, and its refusal with every field named.
    page.goto(f"{base}/staff/clients/{person.pk}/mandates/new/")
    _clean(page, f"recording a mandate on paper ({language})")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    _clean(page, f"a refused mandate on paper ({language})")
    task = Task.objects.get(case=case)
    page.goto(f"{base}/staff/tasks/{task.pk}/")
    _clean(page, f"a task's page ({language})")
    page.locator("button[accesskey=t]").click()
    expect(page.locator("#id_move-exit_0")).to_be_visible()
    _clean(page, f"a taken task's page with its forms ({language})")
