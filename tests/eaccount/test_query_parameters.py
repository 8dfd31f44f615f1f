"""Query values that are not what a page expects (issue 12): every page reads its query string
through one form of its own; a wrong value shows the page with an error in the person's
language, falling back to the parameter's default, never a 500."""

from __future__ import annotations

import pytest

from durvis.core.forms import MAX_PAGE

ADDRESS_ERROR_LV = "Daļu šīs lapas adreses nevarēja izmantot"
ADDRESS_ERROR_EN = "Part of this page's address could not be used"
BAD_PAGES = ["²", "２", "٣", "-1", "0", "1.5", "abc", str(MAX_PAGE + 1),
             "99999999999999999999999999", "1e3", "%00", " "]


@pytest.mark.parametrize("page", BAD_PAGES)
def test_a_bad_history_page_shows_the_first_page_with_an_error(client_login, family, page):
    client = client_login(family["parent"])
    response = client.get(f"/eaccount/history/?page={page}")
    assert response.status_code == 200
    text = response.content.decode()
    assert family["own"].number in text  # the first page, unfiltered
    if page.strip():
        assert ADDRESS_ERROR_LV in text
    english = client.get(f"/en/eaccount/history/?page={page}").content.decode()
    assert family["own"].number in english
    if page.strip():
        assert ADDRESS_ERROR_EN in english


def test_a_history_page_beyond_the_last_is_empty_not_an_error(client_login, family):
    response = client_login(family["parent"]).get(f"/eaccount/history/?page={MAX_PAGE}")
    assert response.status_code == 200 and ADDRESS_ERROR_LV not in response.content.decode()


@pytest.mark.parametrize(("query", "field"), [
    ("date_to=9999-12-31", "date_to"), ("date_from=0001-01-01", "date_from"),
    ("date_from=0001-01-01&date_to=9999-12-31", "date_from"), ("date_to=1899-12-31", "date_to"),
    ("date_from=3000-01-01", "date_from"), ("date_from=2026-13-01", "date_from"),
    ("date_from=2026-02-30", "date_from"), ("date_from=２０２６-01-01", "date_from"),
    ("date_from=2026-06-01&date_to=2026-01-01", "date_to"), ("status=nope", "status"),
    ("institution=²", "institution"), ("service=99999999999999999999", "service"),
    ("channel=%00", "channel"), ("number=1011+1%EF%BC%93", "number"),
    ("number=" + "1" * 41, "number"),
])
def test_a_bad_filter_is_said_on_its_field_and_lists_nothing(client_login, family, query,
                                                            field):
    response = client_login(family["parent"]).get(f"/eaccount/history/?{query}")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'id="id_{field}_error"' in text
    assert family["own"].number not in text.split("<tbody>")[1]


def test_the_widest_period_allowed_lists_everything(client_login, family):
    response = client_login(family["parent"]).get(
        "/eaccount/history/?date_from=1900-01-01&date_to=2999-12-31")
    assert response.status_code == 200 and family["own"].number in response.content.decode()


def test_paging_links_keep_the_filters_typed_and_nothing_else(client_login, family):
    response = client_login(family["parent"]).get(
        "/eaccount/history/?status=received&junk=%00&page=1")
    assert response.context["query"] == "status=received"


@pytest.mark.parametrize("url", [
    "/eaccount/messages/?page=²", "/eaccount/messages/?show=%00", "/eaccount/messages/?show=x",
    "/eaccount/messages/?page=-5&show=archive", "/eaccount/documents/?direction=²",
    "/eaccount/messages/new/?case=1011+1%C2%B3", "/eaccount/messages/new/?case=%E2%80%AE1011",
    "/eaccount/documents/upload/?case=１０１１+１３", "/eaccount/profile/confirm/?kind=²",
])
def test_every_e_account_page_shows_a_bad_parameter_as_an_error(client_login, family, url):
    response = client_login(family["parent"]).get(url, follow=True)
    assert response.status_code == 200
    assert ADDRESS_ERROR_LV in response.content.decode() or url.startswith(
        "/eaccount/profile/confirm/")  # nothing waits for a code: the contacts page


def test_a_good_case_parameter_preselects_the_case(client_login, family):
    client = client_login(family["parent"])
    number = family["own"].number.replace(" ", "+")
    for url in (f"/eaccount/messages/new/?case={number}",
                f"/eaccount/documents/upload/?case={number}"):
        form = client.get(url).context["form"]
        assert form.initial["case"] == family["own"].pk


@pytest.mark.parametrize("query", ["page=²", "page=0", "page=１"])
def test_the_staff_case_list_shows_a_bad_page_as_an_error(client, staff, staff_login, family,
                                                          query):
    from durvis.identity import services as identity

    member = identity.record_staff(username="agent.vsaa", password="pw-agent-long-enough",
                                   institution=family["own"].holder, roles=["back_office"])
    response = staff_login(client, member).get(f"/staff/cases/?{query}")
    assert response.status_code == 200 and ADDRESS_ERROR_LV in response.content.decode()


@pytest.mark.parametrize("query", ["page=²", "holder=V%E2%80%AESAA", "page=-1"])
def test_the_catalogue_shows_a_bad_parameter_as_an_error(client, catalogue, query):
    response = client.get(f"/services/?{query}")
    assert response.status_code == 200 and ADDRESS_ERROR_LV in response.content.decode()
    assert "Bērna piedzimšanas pabalsts" in response.content.decode()  # the unfiltered list


def test_the_catalogue_shows_a_refused_search_and_no_list(client, catalogue):
    # A refused search is no search for everything (issue 19: it listed every service).
    html = client.get("/services/?q=%E2%80%AE").content.decode()
    assert "Meklēšanu nevarēja izmantot" in html
    assert "Bērna piedzimšanas pabalsts" not in html
