"""The OpenAPI schema as a contract (issue 20): `docs/openapi.json` is the published schema of
`/api/v1/`, committed, and a test fails when the served schema differs from it. Changing the API
means writing the file again (`python tools/openapi_contract.py --write`, after which git shows
the difference for review), and a change that would break a client already generated from the
committed file is named (`breaking_changes`): it needs a new API version instead.

What breaks a client generated from the schema (the old file against the new schema):
- an operation removed, or its `operationId` changed (the client's function name);
- a parameter removed, or a required one added (or one made required);
- a request schema's property removed, or one newly required;
- a response schema's property removed, or one no longer always present;
- a request enum losing a value, or a response enum gaining one (a strict client refuses a
  value it does not know: issue 20's `'phone' is not a valid ClientOutKind`);
- a schema the old file named gone.

Usage: `python tools/openapi_contract.py --write` (write the file), `--check` (exit 1 on a
difference, naming the breaking changes).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "patch")


def served() -> dict[str, Any]:
    """The schema the platform serves, in English (its descriptions do not follow the reader's
    language), as JSON would carry it."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "durvis.settings")
    django.setup()
    from django.utils import translation

    from durvis.api import api

    with translation.override("en"):
        schema = api.get_openapi_schema(path_prefix="/api/v1/")
        decoded: dict[str, Any] = json.loads(json.dumps(schema, default=str))
    return decoded


def text(schema: dict[str, Any]) -> str:
    """The file's text: sorted keys, two-space indentation, UTF-8, a final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _refs(node: Any) -> set[str]:
    """The component schema names `node` refers to, directly."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _closure(schema: dict[str, Any], names: set[str]) -> set[str]:
    components = schema.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in components:
            continue
        seen.add(name)
        todo += _refs(components[name])
    return seen


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): operation for path, item in schema.get("paths", {}).items()
            for method, operation in item.items() if method in METHODS}


def _uses(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The component schemas reachable from request bodies and parameters, and from
    responses."""
    requests: set[str] = set()
    responses: set[str] = set()
    for operation in _operations(schema).values():
        requests |= _refs(operation.get("requestBody", {})) | _refs(operation.get("parameters", []))
        responses |= _refs(operation.get("responses", {}))
    return _closure(schema, requests), _closure(schema, responses)


def _enums(node: Any) -> set[Any]:
    values: set[Any] = set()
    if isinstance(node, dict):
        for value in node.get("enum", []):
            values.add(json.dumps(value))
        for key in ("anyOf", "oneOf", "allOf"):
            for part in node.get(key, []):
                values |= _enums(part)
    return values


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `new` breaks a client generated from `old` (see the module's list), one line
    each; empty when nothing does."""
    problems: list[str] = []
    old_ops, new_ops = _operations(old), _operations(new)
    for key, operation in old_ops.items():
        where = f"{key[0].upper()} {key[1]}"
        now = new_ops.get(key)
        if now is None:
            problems.append(f"{where}: removed")
            continue
        if operation.get("operationId") != now.get("operationId"):
            problems.append(f"{where}: operationId {operation.get('operationId')} became "
                            f"{now.get('operationId')}")
        before = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
        after = {(p["in"], p["name"]): p for p in now.get("parameters", [])}
        for place in before.keys() - after.keys():
            problems.append(f"{where}: parameter {place[1]} ({place[0]}) removed")
        for place, parameter in after.items():
            if parameter.get("required") and not before.get(place, {}).get("required"):
                problems.append(f"{where}: parameter {place[1]} ({place[0]}) now required")
        if now.get("requestBody", {}).get("required") and not operation.get("requestBody"):
            problems.append(f"{where}: a request body is now required")
    old_components = old.get("components", {}).get("schemas", {})
    new_components = new.get("components", {}).get("schemas", {})
    old_requests, old_responses = _uses(old)
    for name, before in old_components.items():
        after = new_components.get(name)
        if after is None:
            problems.append(f"schema {name}: removed")
            continue
        props_before, props_after = before.get("properties", {}), after.get("properties", {})
        for prop in props_before.keys() - props_after.keys():
            problems.append(f"schema {name}: property {prop} removed")
        required_before = set(before.get("required", []))
        required_after = set(after.get("required", []))
        if name in old_requests:
            for prop in sorted(required_after - required_before):
                problems.append(f"schema {name}: property {prop} now required in requests")
            lost = _enums(before) - _enums(after)
            if lost:
                problems.append(f"schema {name}: enum values {sorted(lost)} removed")
            for prop in props_before.keys() & props_after.keys():
                lost = _enums(props_before[prop]) - _enums(props_after[prop])
                if lost:
                    problems.append(f"schema {name}.{prop}: enum values {sorted(lost)} removed")
        if name in old_responses:
            for prop in sorted(required_before - required_after):
                problems.append(f"schema {name}: property {prop} no longer always answered")
            gained = _enums(after) - _enums(before) if _enums(before) else set()
            if gained:
                problems.append(f"schema {name}: enum values {sorted(gained)} added to answers")
            for prop in props_before.keys() & props_after.keys():
                old_values = _enums(props_before[prop])
                gained = _enums(props_after[prop]) - old_values if old_values else set()
                if gained:
                    problems.append(f"schema {name}.{prop}: enum values {sorted(gained)} added "
                                    "to answers")
    return problems


def main(argv: list[str]) -> int:
    schema = served()
    if "--write" in argv:
        COMMITTED.write_text(text(schema), encoding="utf-8")
        print(f"wrote {COMMITTED.relative_to(ROOT)}")
        return 0
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for problem in breaking_changes(committed, schema):
        print(f"BREAKING {problem}")
    if text(committed) != text(schema):
        print("docs/openapi.json differs from the served schema: review, then run "
              "`python tools/openapi_contract.py --write`")
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main(sys.argv[1:]))
