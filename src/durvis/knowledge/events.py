"""Domain events of the knowledge base (B6): an article version was published (the subscribers
are notified), staff gave feedback that its editors must see."""

from __future__ import annotations

from durvis.core.events import declare

ARTICLE_PUBLISHED = declare(
    "knowledge.article_published", publisher="knowledge",
    payload=("article_id", "version_id", "number", "institution_id", "service_id",
             "category_id", "topic"),
    description="A version of a knowledge base article was published (now or as scheduled); "
                "the previous one is outdated.")
FEEDBACK_GIVEN = declare(
    "knowledge.feedback_given", publisher="knowledge",
    payload=("feedback_id", "article_id", "version_id", "institution_id", "flagged"),
    description="A staff member commented on an article or flagged it for review.")
