"""A client sign-in in progress: where it returns and in which language (A12).

Each sign-in keeps its own, next to the protocol's own state: OpenID Connect under its `state`
in the session (`oidc.py`), SAML under its AuthnRequest's id, sent as RelayState, in the signed
request cookie (`saml.py`). One value per browser would be shared by two sign-ins started in two
tabs, and the first to come back would land on the page the second asked for.

A return address is a local path only (`sessions.return_address`): never another site.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from durvis.identity.sessions import return_address

# How many sign-ins one browser may have under way at once; the oldest goes first.
MAX_PENDING = 4


@dataclass(frozen=True)
class SignInFlow:
    """Where a sign-in returns (a local path, or "" for the e-account's overview) and the
    language it started in."""

    next: str
    language: str

    def dump(self) -> list[Any]:
        """A compact form for the session or a cookie, with the time it started."""
        return [self.next, self.language, int(time.time())]

    @classmethod
    def load(cls, value: Any) -> SignInFlow | None:
        """The flow back from `dump`, its address and language checked again; None for anything
        else."""
        if not isinstance(value, list) or len(value) != 3:
            return None
        next_url, language, _started = value
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        return cls(return_address(str(next_url)), str(language))


def pending(stored: Any, max_age: int, limit: int = MAX_PENDING) -> dict[str, list[Any]]:
    """The dumped flows of `stored` (a key -> dump mapping) that started within `max_age`
    seconds, the newest `limit` of them (MAX_PENDING - 1 leaves room for one more)."""
    if not isinstance(stored, dict):
        return {}
    now = time.time()
    live = [(key, value) for key, value in stored.items()
            if isinstance(value, list) and len(value) == 3 and isinstance(value[2], int)
            and now - value[2] <= max_age]
    live.sort(key=lambda item: item[1][2])
    return dict(live[-limit:]) if limit > 0 else {}


def newest(flows: dict[str, list[Any]]) -> SignInFlow | None:
    """The flow started last among `pending` ones: its language shows a failure that names no
    sign-in of this browser (its return address is never used for another sign-in)."""
    return SignInFlow.load(list(flows.values())[-1]) if flows else None
