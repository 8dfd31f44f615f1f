"""A holder's system opens the platform's e-form for a client with prefilled answers and a
return address (B9, A10): the API checks the answers against the live form and the return
address against the institution's hosts, the link is one-time and short-lived, and the client
who follows it (signed in, or sent to sign in and back) gets a new application with the answers,
whose confirmation offers the way back."""

import datetime
from urllib.parse import urlsplit

import pytest
from conftest import sign_in_person
from django.utils import timezone

from durvis.audit.models import AuditEvent
from durvis.eforms.models import Application, ApplicationOrigin, PrefillTicket
from durvis.identity import services as identity

RETURN = "https://e.vsaa.gov.lv/pieteikumi/atpakal"


@pytest.fixture
def prefiller(api_client_factory, institutions, submit_application, settings):
    """VSAA's system with the prefill scope; VSAA's website is www.vsaa.gov.lv; service 1011
    has a live e-form (the delivery fixture publishes it)."""
    settings.DURVIS_WEBHOOK_ALLOW_INTERNAL = True  # test names need not resolve
    institutions["VSAA"].website = "https://www.vsaa.gov.lv"
    institutions["VSAA"].save()
    return api_client_factory("VSAA", operations=("applications:prefill",))


def ask(http, status=201, **body):
    payload = {"service_code": 1011, "answers": {"name": "Jānis Bērziņš", "children_count": 3},
               "return_url": RETURN, **body}
    response = http.post("/api/v1/applications/prefill", payload, content_type="application/json")
    assert response.status_code == status, response.content
    return response.json()


def path_of(url):
    return urlsplit(url).path


def test_the_link_is_one_time_and_only_its_hash_is_stored(prefiller):
    answer = ask(prefiller)
    token = path_of(answer["url"]).rstrip("/").rsplit("/", 1)[1]
    ticket = PrefillTicket.objects.get()
    assert token not in ticket.token_hash and len(ticket.token_hash) == 64
    expires = datetime.datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
    assert timezone.now() + datetime.timedelta(minutes=14) < expires
    assert expires <= timezone.now() + datetime.timedelta(minutes=15)


def test_answers_the_form_refuses_are_named_by_key(prefiller):
    detail = ask(prefiller, 422, answers={"name": "J", "children_count": 99,
                                          "shoe_size": 44})["detail"]
    by_loc = {tuple(item["loc"]): item["type"] for item in detail}
    assert by_loc[("body", "answers", "shoe_size")] == "unknown"
    assert ("body", "answers", "children_count") in by_loc
    assert not PrefillTicket.objects.exists()


@pytest.mark.parametrize("url,code", [
    ("https://evil.example.com/back", "foreign_host"),
    ("https://vsaa.gov.lv.evil.example.com/", "foreign_host"),
    ("https://user:pw@e.vsaa.gov.lv/", "credentials"),
    ("ftp://e.vsaa.gov.lv/", "scheme"),
])
def test_a_return_address_off_the_institutions_hosts_is_refused(prefiller, url, code):
    item, = ask(prefiller, 422, return_url=url)["detail"]
    assert item["loc"] == ["body", "return_url"] and item["type"] == code


def test_another_institutions_service_and_a_missing_scope_are_refused(
        api_client_factory, prefiller):
    vid = api_client_factory("VID", operations=("applications:prefill",))
    assert ask(vid, 403)["detail"][0]["type"] == "forbidden"
    reader = api_client_factory("VDAA", operations=("applications:read",))
    ask(reader, 403)
    ask(prefiller, 422, service_code=1099)  # a draft service: no published service
    ask(prefiller, 422, personal_code="123456-12345")


def test_the_client_follows_the_link_and_starts_a_prefilled_application(
        prefiller, client, delivery_client):
    link = path_of(ask(prefiller, personal_code=delivery_client.personal_code)["url"])
    anonymous = client.get(link)
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    sign_in_person(client, delivery_client)
    page = client.get(link)
    assert page.status_code == 200
    assert "Valsts sociālās apdrošināšanas aģentūra" in page.content.decode()
    started = client.post(link, {"opened_as": "self"})
    assert started.status_code == 302
    application = Application.objects.get()
    assert started["Location"].endswith(f"/{application.reference}/{application.current_page}/")
    assert application.origin == ApplicationOrigin.HOLDER
    assert application.return_url == RETURN
    assert application.answers["children_count"] == 3
    ticket = PrefillTicket.objects.get()
    assert ticket.used_at is not None and ticket.answers == {}
    assert AuditEvent.objects.filter(action="eforms.prefill.use").exists()
    again = client.post(link, {"opened_as": "self"})
    assert again.status_code == 410
    assert Application.objects.count() == 1


def test_an_expired_or_someone_elses_link_is_refused_with_a_page(prefiller, client,
                                                                  delivery_client):
    other = identity.record_person(personal_code="02078913774", given_name="Anna",
                                   family_name="Cita")
    theirs = path_of(ask(prefiller, personal_code=other.personal_code)["url"])
    expired = path_of(ask(prefiller)["url"])
    PrefillTicket.objects.filter(personal_code="").update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))
    sign_in_person(client, delivery_client)
    assert client.get(theirs).status_code == 403
    assert client.post(theirs, {"opened_as": "self"}).status_code == 403
    assert client.get(expired).status_code == 410
    assert client.get("/applications/prefill/not-a-token/").status_code == 404
    assert not Application.objects.exists()


def test_the_confirmation_offers_the_way_back(client, submit_application, delivery_client):
    application = submit_application(delivery_client, file=None, pdf=False)
    Application.objects.filter(pk=application.pk).update(return_url=RETURN)
    sign_in_person(client, delivery_client)
    page = client.get(f"/eaccount/applications/{application.reference}/submitted/",
                      HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert RETURN in page.content.decode()


def test_a_file_cannot_be_prefilled(prefiller):
    item, = ask(prefiller, 422, answers={"certificate": {"document_id": 1, "name": "x.pdf"}}
                )["detail"]
    assert item["loc"] == ["body", "answers", "certificate"] and item["type"] == "file"


def test_thousands_of_unknown_answers_get_a_short_refusal(prefiller):
    answers = {f"extra_{n}": "x" for n in range(5000)}
    response = ask(prefiller, 422, answers=answers)
    unknown = [item for item in response["detail"] if item["type"] == "unknown"]
    assert len(unknown) == 50 and unknown[0]["loc"] == ["body", "answers", "extra_0"]
    assert not PrefillTicket.objects.exists()



def test_a_return_address_without_https_is_explained_as_a_return_address(prefiller):
    item, = ask(prefiller, 422, return_url="ftp://e.vsaa.gov.lv/")["detail"]
    assert item["msg"] == "The return address starts with https://."
