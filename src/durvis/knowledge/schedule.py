"""The knowledge base's clock (B6): a worker source (`core.worker.SOURCES`, key
`knowledge.schedule`) that publishes each scheduled article version when its time comes
(`services.publish_due`); nothing is leased, so a dead worker leaves nothing to release."""

from __future__ import annotations

from durvis.core.worker import SOURCES, Source
from durvis.knowledge.services import next_due_at, publish_due

SOURCES.register(Source("knowledge.schedule", lambda: publish_due(), next_due_at,
                        lambda _ids: 0))
