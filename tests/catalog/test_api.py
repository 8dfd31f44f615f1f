"""Catalogue API (C4) through HTTP: lists, filters, one service, and precise 4xx errors."""

import re

import pytest


@pytest.fixture
def api(client):
    def get(path, status=200, **params):
        response = client.get(f"/api/v1{path}", params)
        assert response.status_code == status, response.content
        return response.json()

    return get


def test_list_services_paginated(api, catalogue):
    body = api("/services", limit=2)
    assert body["count"] == 5
    assert len(body["items"]) == 2
    assert set(body["items"][0]) >= {"code", "pilot_code", "name", "holder"}
    assert api("/services", limit=2, offset=4)["items"][0]["code"] == 2101


def test_search_and_language(api, client, catalogue):
    body = api("/services", q="berna pabalsts")
    assert body["items"][0]["code"] == 1011
    assert body["items"][0]["name"] == "Childbirth benefit"  # the API's default is English
    response = client.get("/api/v1/services", {"q": "childbirth"}, HTTP_ACCEPT_LANGUAGE="lv")
    assert response.json()["items"][0]["name"] == "Bērna piedzimšanas pabalsts"


@pytest.mark.parametrize(("params", "expected"), [
    ({"holder": "VID"}, {1006, 1101}),
    ({"audience": "companies"}, {1006, 1101}),
    ({"audience": "residents"}, {1011, 1006, 2001, 2101}),
    ({"municipality": "RIGA"}, {2001}),
    ({"category": "family"}, {1011}),
    ({"life_situation": "birth-of-a-child"}, {1011, 2001}),
    ({"audience": "internal"}, set()),  # anonymous callers never see internal services
])
def test_filters(api, catalogue, params, expected):
    assert {i["code"] for i in api("/services", **params)["items"]} == expected


@pytest.mark.parametrize(("params", "field"), [
    ({"holder": "NOPE"}, "holder"),
    ({"category": "no-such-category"}, "category"),
    ({"life_situation": "no-such"}, "life_situation"),
    ({"municipality": "VSAA"}, "municipality"),
    ({"audience": "aliens"}, "audience"),
    ({"limit": "0"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"category": "Bad Slug!"}, "category"),
    ({"q": "x" * 201}, "q"),
])
def test_bad_filters_get_422_naming_the_field(api, catalogue, params, field):
    body = api("/services", status=422, **params)
    assert body["detail"][0]["loc"][-1] == field
    assert body["detail"][0]["msg"]


def test_one_service(api, catalogue):
    body = api("/services/1011")
    assert body["pilot_code"] is None
    assert body["holder"]["code"] == "VSAA"
    assert body["categories"] == ["family-benefits"]
    assert body["application_channels"] == ["eaccount", "centre"]
    assert {p["code"] for p in body["providers"]} == {"VSAA", "VDAA"}


@pytest.mark.parametrize("code", ["1099", "1201", "999999", "99999999999"])
def test_draft_internal_and_unknown_services_are_404(api, catalogue, code):
    body = api(f"/services/{code}", status=404)
    assert body["detail"][0]["type"] == "not_found"


def test_reference_lists(api, catalogue):
    assert {c["slug"]: c["parent"] for c in api("/categories")} == {
        "family": None, "family-benefits": "family"}
    assert api("/life-situations")[0]["slug"] == "birth-of-a-child"
    assert {i["code"] for i in api("/institutions")} >= {"VSAA", "RIGA"}


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/services" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_api_docs_load_only_local_static_files(client):
    """Swagger UI comes from django-ninja's bundled static files, never from a CDN."""
    page = client.get("/api/v1/docs").content.decode()
    urls = re.findall(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", page)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls), urls
    assert any(url.endswith("swagger-ui.css") for url in urls), urls
    for url in urls:
        assert url.startswith("/static/"), f"{url} is not one of this site's static files"
