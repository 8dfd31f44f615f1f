"""Secrets the platform must give back to another system (a CalDAV calendar's password, A4),
kept encrypted at rest: each value sealed as a JWE (RFC 7516, compact, `dir` with A256GCM:
authenticated encryption, with `joserfc`) under a key kept outside the database.

`DURVIS_SECRET_KEYS` (or the file `DURVIS_SECRET_KEYS_FILE`) lists `id:base64-secret` pairs
of 32 bytes, the current key first, as the activity log's keys are listed: a value is sealed
with the first and names its key (`kid`), so a key is rotated by putting a new one first and
keeping the old one listed until every value is sealed again (`manage.py` saves: any save
seals with the current key). Without the setting, a development key that production refuses
(`core.checks`). A sealed value is never shown, logged or audited; only the adapter that
sends it opens it (`unseal`)."""

from __future__ import annotations

from django.conf import settings
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ALGORITHM = {"alg": "dir", "enc": "A256GCM"}


class Unsealable(Exception):
    """A sealed value no listed key opens (its key was removed, or it was altered)."""


def _keys() -> dict[str, bytes]:
    keys: dict[str, bytes] = settings.DURVIS_SECRET_KEYS
    return keys


def seal(text: str) -> str:
    """`text` sealed with the current key (a JWE compact string of about 100 + 4/3 × its
    length characters); the empty text stays empty (nothing to keep)."""
    if not text:
        return ""
    kid, key = next(iter(_keys().items()))
    return jwe.encrypt_compact({**ALGORITHM, "kid": kid}, text.encode(),
                               OctKey.import_key(key))


def unseal(sealed: str) -> str:
    """The text a `seal` made; the empty string stays empty. Raises Unsealable when no listed
    key opens it."""
    if not sealed:
        return ""
    for kid, key in _keys().items():
        try:
            found = jwe.decrypt_compact(sealed, OctKey.import_key(key))
        except (JoseError, ValueError):
            continue
        if found.protected.get("kid") == kid and found.plaintext is not None:
            return found.plaintext.decode()
    raise Unsealable("no listed key opens the value")
