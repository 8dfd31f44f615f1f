"""The search index (A13): one row per indexed object, written when the object changes."""

from django.db import models


class SearchEntry(models.Model):
    """The normalised text of one object of one kind (`catalog.service`, later news, articles...).

    The text is lower-case and stripped of diacritics (see `text.normalize`), so that "berna"
    finds "Bērna". PostgreSQL indexes it with a pg_trgm GIN index; SQLite mirrors it into an FTS5
    table with the trigram tokenizer (both made by this app's migration).
    """

    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="unique_search_entry")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
