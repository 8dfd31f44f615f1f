"""The knowledge base's clock (B6): worker sources (`core.worker.SOURCES`) that publish each
scheduled article version (`knowledge.schedule`: `services.publish_due`) and call script version
(`knowledge.script_schedule`: `scripts.publish_due`) when its time comes; nothing is leased, so a
dead worker leaves nothing to release."""

from __future__ import annotations

from durvis.core.worker import SOURCES, Source
from durvis.knowledge import scripts
from durvis.knowledge.services import next_due_at, publish_due

SOURCES.register(Source("knowledge.schedule", lambda: publish_due(), next_due_at,
                        lambda _ids: 0))
SOURCES.register(Source("knowledge.script_schedule", lambda: scripts.publish_due(),
                        scripts.next_due_at, lambda _ids: 0))
