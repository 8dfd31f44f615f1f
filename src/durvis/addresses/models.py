"""The State Address Register (VZD's VARIS) as the platform keeps it (A9).

Every object of the register's open data is one `AddressObject`, keyed by its register code
(`KODS`, 9 digits, unique across the tables): the administrative units and places (cities,
municipalities, parishes, villages, streets) and the addresses proper (buildings and land units
for building, premises). Nothing is ever deleted: an object the register retires keeps its row
with its status (`DEL`) and its end date (`valid_to`), so an old application's address code still
reads.

Search (`queries.search`) reads two tables of its own, written by the import only:
`AddressWord`, the dictionary of every word of the existing addresses' standard texts (folded by
`search.text.normalize`: lower case, no diacritics), trigram-indexed on PostgreSQL; and
`AddressPosting`, one row per (word, address). A query word is matched against the short
dictionary (typos and missing diacritics by trigram similarity), and the rarest query word's
postings lead to the candidate addresses, which must hold every other query word: the cost grows
with the rarest word's count, not with the register's 1.4 million addresses.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.IntegerChoices):
    """The register's object types (`TIPS_CD`, `VKUR_TIPS`)."""

    REPUBLIC = 101, _("Republic of Latvia")
    DISTRICT = 102, _("District")
    CITY = 104, _("City")
    PARISH = 105, _("Parish")
    VILLAGE = 106, _("Village")
    STREET = 107, _("Street")
    BUILDING = 108, _("Building")
    PREMISES = 109, _("Premises")
    MUNICIPALITY = 113, _("Municipality")


ADDRESS_KINDS = (Kind.BUILDING, Kind.PREMISES)
REPUBLIC_CODE = 100000000


class Status(models.TextChoices):
    EXISTING = "EKS", _("Existing")
    REMOVED = "DEL", _("Removed")
    ERRONEOUS = "ERR", _("Erroneous")


class AddressObject(models.Model):
    """One object of the register, as its last import gave it. `std` is the register's full
    standard text ("Krišjāņa Barona iela 1, Rīga, LV-1050"); `atrib` the ATVK code of an
    administrative unit or the postcode of a building (`LV-1050`); `lks_x`/`lks_y` LKS-92
    metres (EPSG:3059, X northing), `lat`/`lon` WGS84 degrees. `fingerprint` is a hash of the
    register's row, so a repeated import finds what changed without comparing every field."""

    code = models.BigIntegerField(_("register code"), primary_key=True)
    kind = models.PositiveSmallIntegerField(_("kind"), choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    sort_name = models.CharField(max_length=200, blank=True, default="")
    parent_code = models.BigIntegerField(null=True, blank=True)
    parent_kind = models.PositiveSmallIntegerField(null=True, blank=True, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=3, choices=Status.choices)
    approved = models.BooleanField(default=False)
    approval = models.PositiveSmallIntegerField(null=True, blank=True)
    atrib = models.CharField(max_length=20, blank=True, default="")
    std = models.CharField(_("standard address"), max_length=400, blank=True, default="")
    valid_from = models.DateField(null=True, blank=True)
    modified = models.DateField(null=True, blank=True)
    valid_to = models.DateField(_("end date"), null=True, blank=True)
    for_build = models.BooleanField(null=True, blank=True)
    planned = models.BooleanField(null=True, blank=True)
    lks_x = models.FloatField(null=True, blank=True)
    lks_y = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    fingerprint = models.CharField(max_length=32)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("address register object")
        verbose_name_plural = _("address register objects")
        indexes = [models.Index(fields=["parent_code"], name="address_parent")]

    def __str__(self) -> str:
        return self.std or self.name

    @property
    def is_address(self) -> bool:
        return self.kind in ADDRESS_KINDS

    @property
    def postcode(self) -> str:
        return self.atrib if self.atrib.startswith("LV-") else ""


class AddressWord(models.Model):
    """A folded word of some existing address's standard text; `frequency` is how many
    addresses hold it (set at the end of every import), which picks the rarest query word."""

    word = models.CharField(max_length=100, unique=True)
    frequency = models.IntegerField(default=0, db_default=0)

    class Meta:
        indexes = [models.Index(fields=["word"], name="address_word_prefix",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.word


class AddressPosting(models.Model):
    """An existing address holds a word. `level` 0 is a building, 1 premises: a query with one
    number looks for buildings only (premises need a second number, the flat's)."""

    pk = models.CompositePrimaryKey("word_id", "level", "address_code")
    word_id = models.IntegerField()
    level = models.PositiveSmallIntegerField()
    address_code = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["address_code", "word_id"], name="address_posting_back")]

    def __str__(self) -> str:
        return f"{self.word_id}:{self.address_code}"
