"""The workflows' subscribers: a case registered on the platform starts on the live workflow of
the institution that registered it, or of its holder (B2: "an application submitted on the
platform for a holder without a back-office system starts one")."""

from __future__ import annotations

from collections.abc import Sequence

from durvis.core.events import Event, subscriber
from durvis.register.events import CASE_REGISTERED
from durvis.register.models import ServiceCase
from durvis.workflows.services import start_cases


@subscriber(CASE_REGISTERED, "workflows.start_case")
def start_registered_cases(events: Sequence[Event]) -> None:
    ids = [e.payload["case_id"] for e in events]
    start_cases(list(ServiceCase.objects.filter(pk__in=ids).select_related("client_person")))
