"""How an institution's system sends a message in the tests (the messaging API, B9)."""


def send(api, key=None, **fields):
    """POST /api/v1/messages with a default subject and text; `key` is an Idempotency-Key."""
    payload = {"subject": "Papildu informācija", "body": "Lūdzu iesniedziet izziņu.", **fields}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post("/api/v1/messages", payload, content_type="application/json", **headers)
