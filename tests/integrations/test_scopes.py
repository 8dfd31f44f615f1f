"""API scopes are declared once, by the app that owns the operation, and the OpenAPI schema
shows each authenticated operation's scopes with their descriptions (issue 8)."""

from durvis.integrations.rules import SCOPES


def test_every_authenticated_operation_names_declared_scopes(client):
    schema = client.get("/api/v1/openapi.json").json()
    declared = {scope.key: str(scope.description) for scope in SCOPES}
    assert {scope.key: scope.owner for scope in SCOPES} == {
        "cases:read": "register", "cases:write": "register",
        "consultations:write": "register", "messages:write": "documents",
        "messages:read": "messaging", "applications:read": "eforms",
        "applications:prefill": "eforms", "invoices:read": "payments",
        "invoices:write": "payments", "payments:write": "payments",
        "events:read": "integrations", "appointments:read": "calendars",
        "appointments:write": "calendars"}
    seen = set()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if not operation.get("security") or path.endswith("/whoami"):
                continue
            scopes = operation.get("x-scopes")
            assert scopes, f"{method.upper()} {path} names no scope"
            for item in scopes:
                assert declared[item["scope"]] == item["description"]
                seen.add(item["scope"])
    assert seen == set(declared)
