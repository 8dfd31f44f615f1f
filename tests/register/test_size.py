"""The largest batch the schema allows is accepted (issue 10, "Size and text"): 1,000 events
with every field at its longest was a 500 over Django's default body limit."""

import datetime
import json

from django.utils import timezone

from tests.register.test_api import new_case, post


def test_a_batch_of_1000_events_at_their_longest_is_accepted(centre, vsaa, person):
    number = post(centre, "/cases", new_case(), 201).json()["number"]
    after_opening = (timezone.now() + datetime.timedelta(seconds=1)).isoformat()
    event = {"case_number": number, "occurred_at": after_opening,
             "status": "in_progress", "holder_status": "ā" * 100, "note": "ķ😀" * 1000}
    events = [{**event, "event_id": f"{i:0>90}"} for i in range(1000)]
    body = json.dumps({"events": events}, ensure_ascii=False).encode()
    assert len(body) > 4_100_000  # the example of the issue, which was a 500
    response = vsaa.post("/api/v1/case-events", body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["recorded"] == 1000, response.json()["items"][0]
