"""The search index (A13): written when an object changes, never by crawling.

Each indexed object has a `SearchEntry` (its normalised text, so an unchanged object is not
reindexed) and one `SearchEntryWord` per distinct word of that text. Every word the index knows
is a `SearchWord`: a query word is matched against this short dictionary (a few thousand words,
trigram-indexed on PostgreSQL), not against every object's long text, and the matching words
lead to the objects through `SearchEntryWord`.
"""

from django.db import models


class SearchEntry(models.Model):
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


class SearchWord(models.Model):
    word = models.CharField(max_length=100, primary_key=True)

    def __str__(self) -> str:
        return self.word


class SearchEntryWord(models.Model):
    entry = models.ForeignKey(SearchEntry, on_delete=models.CASCADE, related_name="words")
    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    word = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["word", "kind", "object_id"], name="search_word_entries")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.word}"
