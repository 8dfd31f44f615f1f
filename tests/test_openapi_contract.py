"""The OpenAPI schema is a contract (issue 20): the committed `docs/openapi.json` is what the API
serves; every operation has a stable, readable operationId and a tag; every request body has
an example; a breaking change is named (tools/openapi_contract.py)."""

import copy
import enum
import json
import re

from tools.openapi_contract import COMMITTED, breaking_changes, text

METHODS = ("get", "put", "post", "delete", "patch")


def served(client):
    response = client.get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    return [(method, path, operation) for path, item in schema["paths"].items()
            for method, operation in item.items() if method in METHODS]


def test_the_served_schema_is_the_committed_one(client):
    schema = served(client)
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    breaking = breaking_changes(committed, schema)
    assert breaking == [], f"breaking changes against docs/openapi.json: {breaking}"
    assert text(schema) == text(committed), (
        "the API changed: review, then `python tools/openapi_contract.py --write` and commit "
        "docs/openapi.json")


def test_every_operation_has_a_readable_id_a_tag_and_examples(client):
    schema = served(client)
    ids = [operation["operationId"] for _, _, operation in operations(schema)]
    assert len(ids) == len(set(ids))
    for method, path, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)*", operation["operationId"]), where
        assert operation.get("tags"), where
        for content_type, media in operation.get("requestBody", {}).get("content", {}).items():
            body = media["schema"]
            if "$ref" in body:
                body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            assert media.get("example") or body.get("examples"), f"{where} ({content_type})"
    assert {"createCase", "postCaseEvent", "postCaseEvents", "listEvents"} <= set(ids)
    tags = {tag["name"] for tag in schema["tags"]}
    assert {t for _, _, o in operations(schema) for t in o["tags"]} <= tags


def test_no_two_enums_share_a_name():
    """Like the schemas (tests/test_api_schema.py): two enums of one name are one in the
    published schema, and a generated client cannot read the other's values."""

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    import durvis.api  # noqa: F401 - every router and its schemas loaded

    ours = [e for base in (enum.Enum, enum.StrEnum) for e in subclasses(base)
            if e.__module__.startswith("durvis.")]
    names = sorted({f"{e.__module__}.{e.__qualname__}": e.__name__ for e in ours}.values())
    used = {name for name in names if name in json.loads(COMMITTED.read_text())["components"][
        "schemas"]}
    assert sorted(n for n in used if names.count(n) > 1) == []


def test_breaking_changes_are_named(client):
    old = served(client)
    assert breaking_changes(old, old) == []

    new = copy.deepcopy(old)
    del new["paths"]["/api/v1/whoami"]
    new["paths"]["/api/v1/cases"]["post"]["operationId"] = "durvis_register_api_create_case"
    case_in = new["components"]["schemas"]["CaseIn"]
    case_in["required"] = [*case_in.get("required", []), "note"]
    client_out = new["components"]["schemas"]["CaseClientOut"]
    kind = client_out["properties"]["kind"]
    kind_enum = kind.get("enum") or new["components"]["schemas"][
        kind["$ref"].rsplit("/", 1)[1]]["enum"]
    kind_enum.append("robot")
    problems = "\n".join(breaking_changes(old, new))
    assert "GET /api/v1/whoami: removed" in problems
    assert "operationId createCase became durvis_register_api_create_case" in problems
    assert "schema CaseIn: property note now required in requests" in problems
    assert "robot" in problems

    compatible = copy.deepcopy(old)
    compatible["components"]["schemas"]["CaseOut"]["properties"]["new_field"] = {"type": "string"}
    assert breaking_changes(old, compatible) == []
