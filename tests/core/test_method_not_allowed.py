"""A page address visited with a method it does not take (issue 11): every such answer of every
page is a page in the person's language that says so (Django's is empty), the 405 and `Allow`
stay; the API keeps its JSON body."""

from __future__ import annotations

import re

import pytest
from conftest import sign_in_person
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

TITLE = {"lv": "Šo adresi nevar atvērt tieši", "en": "This address cannot be opened directly"}


def page_paths() -> list[str]:
    """Every page address of the URL map (API and static files aside), arguments filled in."""
    paths: list[str] = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                paths.append(route)

    walk(get_resolver().url_patterns)
    filled = {re.sub(r"<(?:int:)?\w+>", "1", re.sub(r"<(?:str|slug):\w+>", "x", p))
              for p in paths if not p.startswith(("api/", "^"))}
    return sorted("/" + p.lstrip("^").rstrip("$") for p in filled)


@pytest.fixture
def visitors(client, staff, staff_login, family, django_user_model):
    from django.test import Client

    return {"anonymous": Client(), "staff": staff_login(Client(), staff["vsaa_admin"]),
            "person": sign_in_person(Client(), family["parent"])}


def test_every_405_of_a_page_is_a_page_in_the_persons_language(visitors):
    seen = 0
    for path in page_paths():
        for name, http in visitors.items():
            response = http.get(path)
            if response.status_code != 405:
                continue
            seen += 1
            body = response.content.decode()
            assert TITLE["lv"] in body and 'lang="lv"' in body, (name, path)
            assert "POST" in response["Allow"], (name, path)
    assert seen >= 10  # the sign-out, the role switch, replies, the administration's actions


def test_the_405_page_in_english_keeps_the_status_and_allow(client):
    response = client.get("/en/signout/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert TITLE["en"] in response.content.decode()


def test_the_api_keeps_its_json_405(client):
    response = client.delete("/api/v1/services")
    assert response.status_code == 405 and response["Content-Type"] == "application/json"


def test_signing_in_from_the_405_page_comes_back_home_not_to_the_form_address(client):
    """The header's "Sign in" returns to the page the person was on; from a POST-only address
    that would be the 405 again."""
    response = client.get("/en/signout/")
    body = response.content.decode()
    link = re.search(r'href="([^"]*signin[^"]*)"', body).group(1)
    assert "next=" not in link and "signout" not in link
