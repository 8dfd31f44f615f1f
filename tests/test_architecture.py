"""docs/architecture.md stays true: its layer list is the import contract's, its event
catalogue is the code's (issue 8)."""

import re
import tomllib
from pathlib import Path

from django.core.management import call_command

from durvis.core import events
from durvis.core.actor import SYSTEM

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def section(name: str) -> list[list[str]]:
    """The rows of the table between `<!-- name ... -->` and `<!-- /name -->`."""
    body = DOC.split(f"<!-- {name}", 1)[1].split(f"<!-- /{name} -->", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_layers_on_the_page_are_the_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["id"] == "layers")
    documented = [" | ".join(re.findall(r"`(\w+)`", row[1])) for row in section("layers")]
    assert documented == contract["layers"]


def test_the_event_catalogue_is_the_code():
    rows = {re.sub(r"`", "", row[0]): row for row in section("events")}
    declared = {event.key: event for event in events.EVENT_TYPES
                if event.publisher != "tests"}
    assert set(rows) == set(declared)
    for name, event in declared.items():
        assert rows[name][1] == event.publisher
        subscribing_apps = {s.key.split(".", 1)[0].split(":", 1)[0]
                            for s in events.SUBSCRIBERS if s.event == name}
        documented = rows[name][3]
        assert ("webhooks" in documented) == ("integrations" in subscribing_apps)
        assert ("messaging" in documented) == ("messaging" in subscribing_apps)


def test_dead_event_deliveries_are_listed_and_replayed(db, capsys):
    from durvis.core.models import DeliveryStatus, EventDelivery

    name = events.EVENT_TYPES.keys()[0]
    events.publish(SYSTEM, name, [("case:0", {})])
    delivery = EventDelivery.objects.first()
    EventDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD,
                                                        last_error="boom")
    call_command("event_dead_letters")
    assert f"{delivery.pk}\t{name}\tcase:0" in capsys.readouterr().out
    call_command("event_dead_letters", "--replay", str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    call_command("event_dead_letters")
    assert capsys.readouterr().out.splitlines()[-1] == "no dead event deliveries"
