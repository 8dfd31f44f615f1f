"""The holder's systems receive submitted applications through the API (B9, A10, B1): the feed
in commit order, one application, its files, acknowledgement; scopes and other institutions
refused; strict cursors on every feed."""

import hashlib
import uuid

import pytest

from durvis.audit.models import AuditEvent
from durvis.eforms.models import Application, ApplicationStatus
from tests.documents.samples import PDF, PNG

READ = ("applications:read",)


@pytest.fixture
def holder(api_client_factory, catalogue):
    """VSAA's system: receives applications and acknowledges cases."""
    return api_client_factory("VSAA", operations=("applications:read", "cases:write"))


def feed(http, status=200, **query):
    response = http.get("/api/v1/applications", query)
    assert response.status_code == status, response.content
    return response.json()


def test_the_feed_carries_answers_client_files_and_form_version(holder, submit_application, delivery_client):
    application = submit_application(delivery_client)
    page = feed(holder)
    item, = page["items"]
    version = application.form_version
    assert item["reference"] == str(application.reference)
    assert item["case_number"] == application.case.number
    assert item["service_code"] == 1011
    assert item["form"] == {"version": version.number, "checksum": version.checksum}
    assert item["client"] == {"kind": "person", "personal_code": delivery_client.personal_code,
                              "registration_number": None, "name": "Jānis Bērziņš"}
    assert item["acting_person"] == {"personal_code": delivery_client.personal_code,
                                     "name": "Jānis Bērziņš", "relation": "client"}
    assert item["answers"]["name"] == "Jānis Bērziņš"
    assert item["answers"]["children_count"] == 2
    attachment, = item["attachments"]
    assert attachment["question"] == "certificate"
    assert attachment["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert attachment["url"].endswith(
        f"/api/v1/applications/{application.reference}/attachments/{attachment['document_id']}")
    assert item["pdf"]["content_type"] == "application/pdf"
    assert item["acknowledged_at"] is None
    assert item["submitted_at"].endswith("Z")
    # The webhook carries the same body, times to the same precision.
    from durvis.eforms import delivery
    assert delivery.bodies([application])[0]["submitted_at"] == item["submitted_at"]
    assert feed(holder, since=page["next_cursor"]) == {"items": [],
                                                       "next_cursor": page["next_cursor"]}
    assert AuditEvent.objects.filter(action="eforms.application.read",
                                     object_id=str(application.pk),
                                     subject_person_id=delivery_client.pk).exists()


def test_pages_follow_the_cursor_in_submission_order(holder, submit_application, delivery_client):
    made = [submit_application(delivery_client, file=None, pdf=False).reference for _ in range(3)]
    first = feed(holder, limit=2)
    assert [i["reference"] for i in first["items"]] == [str(r) for r in made[:2]]
    rest = feed(holder, since=first["next_cursor"], limit=2)
    assert [i["reference"] for i in rest["items"]] == [str(made[2])]


def test_a_draft_is_not_delivered(holder, submit_application, delivery_client):
    application = submit_application(delivery_client, file=None, pdf=False)
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.DRAFT)
    assert feed(holder)["items"] == []
    assert holder.get(f"/api/v1/applications/{application.reference}").status_code == 404


def test_one_application_and_its_files(holder, submit_application, delivery_client):
    application = submit_application(delivery_client)
    body = holder.get(f"/api/v1/applications/{application.reference}").json()
    assert body["reference"] == str(application.reference)
    response = holder.get(_path(body["attachments"][0]["url"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    pdf = holder.get(_path(body["pdf"]["url"]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="eforms.application.attachment.read",
                                     subject_person_id=delivery_client.pk).count() == 2


def _path(url):
    return url[url.index("/api/v1/"):]


def test_a_document_of_another_application_is_not_found(holder, submit_application, delivery_client):
    one, other = submit_application(delivery_client), submit_application(delivery_client)
    theirs = feed(holder)["items"][1]["attachments"][0]["document_id"]
    response = holder.get(f"/api/v1/applications/{one.reference}/attachments/{theirs}")
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"
    assert other.reference != one.reference


def test_acknowledging_the_case_shows_in_the_application(holder, submit_application, delivery_client):
    application = submit_application(delivery_client, file=None, pdf=False)
    number = application.case.number.replace(" ", "-")
    response = holder.post(f"/api/v1/cases/{number}/acknowledge")
    assert response.status_code == 200, response.content
    body = holder.get(f"/api/v1/applications/{application.reference}").json()
    assert body["acknowledged_at"] is not None
    again = holder.post(f"/api/v1/cases/{number}/acknowledge")
    assert again.json()["acknowledged_at"] == response.json()["acknowledged_at"]


def test_without_the_scope_the_feed_is_refused(api_client_factory, submit_application, delivery_client):
    submit_application(delivery_client)
    cases_only = api_client_factory("VSAA", operations=("cases:read",))
    response = cases_only.get("/api/v1/applications")
    assert response.status_code == 403
    assert response.json()["detail"][0]["type"] == "forbidden"


def test_another_institution_sees_nothing(api_client_factory, submit_application, delivery_client):
    application = submit_application(delivery_client)
    vid = api_client_factory("VID", operations=READ)
    assert feed(vid)["items"] == []
    assert vid.get(f"/api/v1/applications/{application.reference}").status_code == 404
    document_id = application.answers["certificate"]["document_id"]
    assert vid.get(f"/api/v1/applications/{application.reference}/attachments/"
                   f"{document_id}").status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="eforms.application",
                                         actor_id=f"api:{vid.api_client.pk}").exists()


def test_a_provider_receives_them_and_a_token_limited_to_other_services_does_not(
        api_client_factory, submit_application, delivery_client, catalogue):
    vsaa_app = submit_application(delivery_client, file=None, pdf=False)
    vid_app = submit_application(delivery_client, code=1006, file=None, pdf=False)
    provider = api_client_factory("VDAA", operations=READ)  # VDAA provides both services
    assert {i["reference"] for i in feed(provider)["items"]} == {
        str(vsaa_app.reference), str(vid_app.reference)}
    narrow = api_client_factory("VID", operations=READ, services=[catalogue["vat"]])
    assert feed(narrow)["items"] == []


def test_an_unknown_reference_is_a_404_and_a_malformed_one_a_422(holder, submit_application):
    assert holder.get(f"/api/v1/applications/{uuid.uuid4()}").status_code == 404
    response = holder.get("/api/v1/applications/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "reference"]


FEEDS = ["/api/v1/applications", "/api/v1/cases", "/api/v1/messages/replies"]


@pytest.fixture
def everything(api_client_factory, catalogue):
    return api_client_factory("VSAA", operations=(
        "applications:read", "cases:read", "messages:read"))


@pytest.mark.parametrize("path", FEEDS)
@pytest.mark.parametrize("since", ["05", "0.5", "1.05", "00", "+5", " 5", "5 ", "-1", "1.",
                                   "0x10", "abc", "1e3", "9223372036854775808"])
def test_every_feed_refuses_what_is_not_a_cursor(everything, path, since):
    response = everything.get(path, {"since": since})
    assert response.status_code == 422, response.content
    item, = response.json()["detail"]
    assert item["loc"] == ["query", "since"] and item["type"] == "cursor"


@pytest.mark.parametrize("path", FEEDS)
@pytest.mark.parametrize("limit", ["0", "501", "-1", "x", ""])
def test_every_feed_refuses_a_limit_out_of_range(everything, path, limit):
    response = everything.get(path, {"limit": limit})
    assert response.status_code == 422, response.content
    assert [i["loc"] for i in response.json()["detail"]] == [["query", "limit"]]


@pytest.mark.parametrize("path", FEEDS)
@pytest.mark.parametrize("since", ["0", "7", "12.3"])
def test_every_feed_takes_what_a_cursor_is(everything, path, since):
    """`12.3` names transaction 12, a cursor PostgreSQL's feeds give; SQLite stamps no
    transaction, so there it is a cursor no feed gave (422, tests/register/test_api.py)."""
    from django.db import connection

    given = "." not in since or connection.vendor == "postgresql"
    assert everything.get(path, {"since": since}).status_code == (200 if given else 422)
