"""The activity log's keys (B5): HMAC-SHA256 secrets kept outside the database.

`settings.DURVIS_AUDIT_KEYS` maps key ids to secrets, the current key first (read from the
environment or a file at start-up; see `durvis.settings`). A row stores the id of the key its
hash was made with, and a checkpoint the id of the key that signed it, so that rotation is:
put a new key first, restart, and keep the old ones for as long as their rows must verify. A
row or checkpoint naming a key this deployment does not know fails verification.

Rows and checkpoints are signed with different keys derived from one secret, so that a row's
hash can never pass for a checkpoint's signature or the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings

_ROW = b"durvis audit row"
_CHECKPOINT = b"durvis audit checkpoint"


@dataclass(frozen=True)
class Key:
    """One audit key: its id and the two HMACs derived from its secret, ready to be copied (a
    copy skips preparing the key for every message)."""

    id: str
    row: hmac.HMAC
    checkpoint: hmac.HMAC

    def row_mac(self, message: bytes) -> str:
        mac = self.row.copy()
        mac.update(message)
        return mac.hexdigest()

    def checkpoint_mac(self, message: bytes) -> str:
        mac = self.checkpoint.copy()
        mac.update(message)
        return mac.hexdigest()


_cache: dict[tuple[str, bytes], Key] = {}


def _key(key_id: str, secret: bytes) -> Key:
    found = _cache.get((key_id, secret))
    if found is None:
        found = _cache[(key_id, secret)] = Key(
            key_id,
            hmac.new(hmac.digest(secret, _ROW, "sha256"), digestmod=hashlib.sha256),
            hmac.new(hmac.digest(secret, _CHECKPOINT, "sha256"), digestmod=hashlib.sha256),
        )
    return found


def current() -> Key:
    """The key new rows and checkpoints are signed with: the first of `DURVIS_AUDIT_KEYS`."""
    key_id, secret = next(iter(settings.DURVIS_AUDIT_KEYS.items()))
    return _key(key_id, secret)


def find(key_id: str) -> Key | None:
    """The key with this id, or None when this deployment does not know it."""
    secret = settings.DURVIS_AUDIT_KEYS.get(key_id)
    return _key(key_id, secret) if secret is not None else None
