"""The appointments' link at a service point ("Book a time", A4) on the points' pages,
registered into `servicepoints.queries.POINT_LINKS`."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from durvis.calendars.models import Calendar
from durvis.catalog.models import Service
from durvis.servicepoints.queries import POINT_LINKS, PointLink


def _links(service: Service, point_ids: list[int]) -> dict[int, tuple[str, str]]:
    rows = Calendar.objects.filter(service=service, point_id__in=point_ids, active=True,
                                   point__active=True).values_list("point_id", "pk")
    return {point_id: (_("Book a time"), reverse("eaccount:appointment-book", args=[pk]))
            for point_id, pk in rows}


POINT_LINKS.register(PointLink("calendars.book", _links))
