"""Every refusal under /api/ has the one JSON error body, also those no endpoint makes: unknown
paths, methods a path does not take, bodies over the size limit (part of issue 10)."""

import json

import pytest
from django.conf import settings


def detail(response):
    assert response["Content-Type"].startswith("application/json")
    return response.json()["detail"][0]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/cases/1011-37/nothing", "/api/v2/"])
def test_an_unknown_api_path_is_a_json_404(client, path, db):
    response = client.get(path)
    assert response.status_code == 404
    assert detail(response) == {"loc": ["path"], "msg": "No such API path.", "type": "not_found"}


@pytest.mark.parametrize("method", ["delete", "put", "patch"])
def test_a_method_the_path_does_not_take_is_a_json_405(client, method, db):
    response = getattr(client, method)("/api/v1/cases")
    assert response.status_code == 405 and "POST" in response["Allow"]
    assert detail(response)["type"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/case-events", "/api/v1/messages"])
def test_a_body_over_the_limit_is_a_json_413(api_client_factory, path):
    system = api_client_factory("VSAA", operations=("cases:write", "messages:write"))
    body = json.dumps({"note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = system.post(path, body, content_type="application/json")
    assert response.status_code == 413
    assert detail(response)["type"] == "too_large"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in detail(response)["msg"]


def test_pages_keep_their_own_404(client, db):
    response = client.get("/eaccount/nothing-here/")
    assert response.status_code in (302, 404)
    assert not response.get("Content-Type", "").startswith("application/json")
