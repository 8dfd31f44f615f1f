"""A home for every staff role (issue 9): each demo staff member signs in with both factors and
lands on a page that answers 200 with their header (name, institution, sign-out); every link of
that header answers 200 for them; a refusal is a styled page in their language that says what
they can do instead."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from durvis.identity import services as identity
from durvis.identity.models import StaffMember

STAFF_FILE = Path(__file__).resolve().parents[2] / "src" / "durvis" / "demo" / "data" / "staff.json"
NAV = re.compile(r'<ul class="govuk-service-navigation__list" id="navigation">(.*?)</ul>', re.S)
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def demo(db, settings):
    from durvis.demo.loader import load_demo

    settings.DEMO_MODE = True
    load_demo()
    return json.loads(STAFF_FILE.read_text())


def sign_in(client: Client, row: dict, prefix: str = "") -> str:
    response = client.post(f"{prefix}/staff/login/", {"username": row["username"],
                                                       "password": row["password"]})
    assert response.status_code == 302, row["username"]
    member = StaffMember.objects.get(user__username=row["username"])
    device = identity.totp_device(member.user)
    response = client.post(response["Location"], {"otp_token": identity.current_totp_code(device)})
    assert response.status_code == 302, row["username"]
    return response["Location"]


def header_links(html: str) -> list[str]:
    match = NAV.search(html)
    assert match, "the header's navigation is missing"
    return HREF.findall(match.group(1))


def test_every_demo_staff_role_lands_on_its_home_and_every_header_link_opens(demo):
    assert {role for row in demo for role in row["roles"]} >= {
        "platform_admin", "agent", "analyst", "institution_admin", "back_office",
        "knowledge_editor"}
    for row in demo:
        client = Client()
        landing = sign_in(client, row)
        assert landing == "/staff/", row["username"]
        page = client.get(landing)
        html = page.content.decode()
        assert page.status_code == 200, row["username"]
        member = StaffMember.objects.select_related("institution").get(
            user__username=row["username"])
        assert f'{row["given_name"]} {row["family_name"]}' in html
        assert member.institution.name in html
        assert 'action="/staff/logout/"' in html
        links = header_links(html)
        assert "/staff/" in links
        for link in links:
            assert client.get(link).status_code == 200, f"{row['username']}: {link}"


def test_header_shows_only_what_the_role_may_open(demo):
    analyst = next(row for row in demo if row["username"] == "analyst.vdaa")
    client = Client()
    sign_in(client, analyst)
    assert header_links(client.get("/staff/").content.decode()) == ["/staff/", "/staff/knowledge/"]
    backoffice = next(row for row in demo if row["username"] == "backoffice.vsaa")
    client = Client()
    sign_in(client, backoffice)
    links = header_links(client.get("/staff/").content.decode())
    assert links == ["/staff/", "/staff/tasks/", "/staff/consultations/new/", "/staff/clients/",
                     "/staff/cases/", "/staff/time/", "/staff/knowledge/",
                     "/staff/messages/new/"]
    editor = next(row for row in demo if row["username"] == "editor.vsaa")
    client = Client()
    sign_in(client, editor)
    assert header_links(client.get("/staff/").content.decode()) == [
        "/staff/", "/staff/knowledge/", "/administration/knowledge/",
        "/administration/knowledge/scripts/"]


@pytest.mark.parametrize(("prefix", "heading", "home"), [
    ("", "Jums nav atļauts atvērt šo lapu", "Sākumlapa"),
    ("/en", "You may not open this page", "Start page"),
])
def test_a_refusal_is_a_styled_page_in_the_users_language(demo, prefix, heading, home):
    analyst = next(row for row in demo if row["username"] == "analyst.vdaa")
    client = Client()
    sign_in(client, analyst, prefix)
    page = client.get(f"{prefix}/administration/services/")
    html = page.content.decode()
    assert page.status_code == 403
    assert heading in html and home in html and "durvis.css" in html
    assert 'action="/staff/logout/"' in html or f'action="{prefix}/staff/logout/"' in html


def test_staff_read_their_institutions_cases_and_nobody_elses(demo):
    backoffice = next(row for row in demo if row["username"] == "backoffice.vsaa")
    client = Client()
    sign_in(client, backoffice)
    listing = client.get("/staff/cases/").content.decode()
    numbers = re.findall(r'href="/staff/cases/([0-9]+-[0-9]+)/"', listing)
    assert numbers
    assert client.get(f"/staff/cases/{numbers[0]}/").status_code == 200
    from durvis.register.models import ServiceCase

    other = ServiceCase.objects.exclude(holder__code="VSAA").exclude(
        provider__code="VSAA").first()
    assert other is not None
    assert client.get(f"/staff/cases/{other.number.replace(' ', '-')}/").status_code == 404
