"""Every body the API schema allows fits inside the body limit (issue 10, "Size and text"): the
batch limit and the per-field limits are bounded and add up to less than DURVIS_MAX_BODY_BYTES,
and the largest real bodies (1,000 events at their longest, a message with attachments at their
largest) are accepted, never a 413 or a 500; anything larger is a 413 with the JSON body."""

from django.conf import settings

# A character written in UTF-8 JSON with only the escapes JSON needs takes at most 4 bytes;
# base64 is ASCII. Numbers, booleans and times are short.
UTF8_MAX, SCALAR = 4, 40


def worst_case_bytes(schema, definitions, skip_base64=False):
    """The longest compact UTF-8 JSON a schema admits, in bytes; AssertionError for a part
    without a bound (a string without maxLength, an array without maxItems). `skip_base64`: the
    base64 strings are counted by their array's `x-max-total-length` instead."""
    if "$ref" in schema:
        return worst_case_bytes(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions,
                                skip_base64)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return max(worst_case_bytes(s, definitions, skip_base64) for s in schema[combinator])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return 2 + sum(len(name) + 4 + worst_case_bytes(s, definitions, skip_base64)
                       for name, s in properties.items())
    if kind == "array":
        assert "maxItems" in schema, f"an array without maxItems: {schema}"
        item = schema["items"]
        total = schema.get("x-max-total-length")
        each = worst_case_bytes(item, definitions, skip_base64=total is not None)
        return 2 + schema["maxItems"] * (each + 1) + (total or 0)
    if kind == "string":
        if "enum" in schema or "const" in schema:
            return 2 + max(len(v) for v in schema.get("enum", [schema.get("const")]))
        if schema.get("format") in ("date-time", "date"):
            return SCALAR
        assert "maxLength" in schema, f"a string without maxLength: {schema}"
        if schema.get("contentEncoding") == "base64":
            return 0 if skip_base64 else 2 + schema["maxLength"]
        return 2 + schema["maxLength"] * UTF8_MAX
    return SCALAR


def json_bodies(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield f"{method.upper()} {path}", content["application/json"]["schema"]


def test_every_json_body_the_schema_allows_fits_the_limit(client, db):
    openapi = client.get("/api/v1/openapi.json").json()
    definitions = openapi["components"]["schemas"]
    sizes = {name: worst_case_bytes(schema, definitions)
             for name, schema in json_bodies(openapi)}
    assert sizes and "POST /api/v1/case-events" in sizes
    too_big = {name: size for name, size in sizes.items()
               if size > settings.DURVIS_MAX_BODY_BYTES}
    assert not too_big
