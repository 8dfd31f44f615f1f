"""The search index (A13): written when an object changes, never by crawling.

Each indexed object has a `SearchEntry` (its normalised text, so an unchanged object is not
reindexed) and one `SearchEntryWord` per distinct term (a word's stem, `search.text.terms`) of
that text, weighed by where it stands (`Weight`: its name or its other text), and one per code
(an exact identifier: `Weight.CODE`, its `code_key`). Every term the index knows is a
`SearchWord`: a query term is matched against this short dictionary (a few thousand terms,
trigram-indexed on PostgreSQL), not against every object's long text, and the matching terms
lead to the objects through `SearchEntryWord`. How many objects of an index have each term
(`SearchTermCount`) and how many objects it has (`SearchIndexSize`) are kept as the index is
written, so a query weighs a term's rarity without counting its objects.

`Synonyms` are groups of words and phrases that mean the same to the person searching
(*tax return* = *income declaration*), applied to every query of every index; the catalogue's
central editor keeps them (`catalog.services.save_synonyms`).
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


class Weight(models.IntegerChoices):
    """Where a term stands in the object: a name outranks the rest; a code is matched whole."""

    TEXT = 1, "text"
    NAME = 2, "name"
    CODE = 3, "code"


class SearchEntryWord(models.Model):
    entry = models.ForeignKey(SearchEntry, on_delete=models.CASCADE, related_name="words")
    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    word = models.CharField(max_length=100)
    weight = models.PositiveSmallIntegerField(choices=Weight.choices, default=Weight.TEXT,
                                              db_default=Weight.TEXT)

    class Meta:
        indexes = [models.Index(fields=["word", "kind", "object_id", "weight"],
                                name="search_word_entry_weights")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.word}"


class SearchTermCount(models.Model):
    """How many objects of the index `kind` have the dictionary term `word` (in their name or
    their other text; codes are not counted): a term's document frequency, for its rarity in the
    rank (`services.match`). Kept by `services.index` and `services.remove` in the transaction
    that writes the object's words (issue 19: counting them per query cost the search its
    speed)."""

    kind = models.CharField(max_length=40)
    word = models.CharField(max_length=100)
    # An IntegerField, not a positive one: `services.index` adds -1 for a word an object lost in
    # the same statement as +1 for the words it gained (one statement locks in one order).
    objects_with = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "word"], name="unique_search_term_count")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.word}: {self.objects_with}"


class SearchIndexSize(models.Model):
    """How many objects the index `kind` has (`SearchEntry` rows), kept with `SearchTermCount`."""

    kind = models.CharField(max_length=40, primary_key=True)
    objects_in = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind}: {self.objects_in}"


class Synonyms(models.Model):
    """One group of words or phrases that mean the same in one language (`terms`, as the
    editor wrote them, one a line), and their stems as the query matches them (`stems`: a list
    of lists of terms, `search.text.terms`), kept in step by `services.save_synonyms`."""

    language = models.CharField(max_length=8)
    terms = models.TextField()
    stems = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1, db_default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language", "pk"]
        verbose_name_plural = "synonyms"

    def __str__(self) -> str:
        return f"{self.language}: {self.terms.replace(chr(10), ' = ')}"

    @property
    def term_list(self) -> list[str]:
        """The words or phrases of the group, one each."""
        return [t for t in (line.strip() for line in self.terms.splitlines()) if t]
