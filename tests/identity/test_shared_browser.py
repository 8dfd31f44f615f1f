"""One browser, two people (a shared computer at a client-service centre; A12, issue 12): a form
that one person opened is not sent in the name of whoever signs in next on that browser. Signing
in and out renews the CSRF token, so the old page's form is refused with a page that says why."""

from __future__ import annotations

import re

import pytest
from conftest import sign_in_person
from django.test import Client
from django.urls import reverse

from durvis.messaging.models import InboxMessage

pytestmark = pytest.mark.django_db


def token_of(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_a_form_left_open_is_not_sent_as_the_next_person(family):
    browser = Client(enforce_csrf_checks=True)
    sign_in_person(browser, family["stranger"])
    form = browser.get(reverse("inbox:write")).content.decode()
    old_token = token_of(form)
    signed_out = browser.post("/signout/", {"csrfmiddlewaretoken": old_token})
    assert signed_out.status_code == 302
    sign_in_person(browser, family["parent"])
    response = browser.post(reverse("inbox:write"), {
        "csrfmiddlewaretoken": old_token, "opened_as": "self",
        "institution": family["own"].holder_id, "subject": "Annas vēstule", "body": "Teksts"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Šī lapa ir novecojusi" in page and "nekas netika izdarīts" in page
    assert not InboxMessage.objects.exists()


def test_the_refusal_speaks_english_on_english_pages(client):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/en/signout/")
    assert response.status_code == 403
    assert "This page is out of date" in response.content.decode()
    assert "DEBUG" not in response.content.decode()
