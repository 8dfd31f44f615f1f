"""Address search API (A9): `GET /api/v1/addresses?q=`, open to anyone like the catalogue (the
register's open data is public, CC BY 4.0), for other portals' and institutions' forms.

Every error is the platform's one body (`{"detail": [{"loc", "msg", "type"}]}`): a missing,
empty or over-long `q` or a `limit` out of 1..50 is the framework's 422 at its `loc`; a `q`
given twice is `repeated`; a `q` without a letter or digit to match is `no_words`; a postcode
alone (`LV-1050`) finds that postcode's buildings.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from durvis.addresses import queries
from durvis.addresses.models import Kind
from durvis.addresses.words import searchable
from durvis.core.api import ApiError, ErrorOut

router = Router(tags=["addresses"])


class AddressOut(Schema):
    code: int = Field(description="The State Address Register's code of the address (9 digits)")
    text: str = Field(description="The register's full standard address text")
    kind: Literal["building", "premises"]
    postcode: str | None = Field(description="`LV-NNNN`; null for premises (their building's)")
    lat: float | None = Field(description="WGS84 latitude, degrees; null where the register "
                                          "has no coordinates (premises)")
    lon: float | None = Field(description="WGS84 longitude, degrees")


class AddressPage(Schema):
    items: list[AddressOut]


class AddressQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200,
                   description="What the person typed: words in any order, with or without "
                               "diacritics, typos tolerated (`barona 1 riga`)")
    limit: int = Field(10, ge=1, le=queries.MAX_LIMIT)


@router.get("/addresses", response={200: AddressPage, 422: ErrorOut},
            summary="Find addresses in the State Address Register")
def list_addresses(request: HttpRequest, query: Query[AddressQuery]) -> dict[str, object]:
    """Existing addresses (buildings; premises when two numbers are given) matching every word
    of `q`, best first. Two numbers look for premises: `barona 1 5` is flat 5 of Barona 1."""
    if len(request.GET.getlist("q")) > 1:
        raise ApiError(422, ["query", "q"], _("Give q only once."), "repeated")
    if not searchable(query.q):
        raise ApiError(422, ["query", "q"], _("Type a street, place or number to search for."),
                       "no_words")
    return {"items": [
        {"code": f.code, "text": f.text,
         "kind": "building" if f.kind == Kind.BUILDING else "premises",
         "postcode": f.postcode or None, "lat": f.lat, "lon": f.lon}
        for f in queries.search(query.q, limit=query.limit)]}
