"""The platform's own signing keys for tokens others verify (A12: the single sign-on hand-off to
holders' e-services), and their public JWKS (RFC 7517), with `joserfc`.

`DURVIS_SIGNING_KEY_FILES` names PEM files of EC P-256 private keys (ES256), comma-separated:
the first signs, all are published, so a key is rotated by putting a new one first and keeping
the old one listed for as long as tokens signed with it may still be checked (minutes: hand-off
tokens live two minutes). Without the setting, outside production, a key is generated once
into `DURVIS_VAR_DIR/signing-keys/` (owner-readable only); production refuses to start without
it (`problems`, run by `core.checks`). Each key's `kid` is its RFC 7638 thumbprint.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from joserfc import jwt
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
_LOCK = threading.Lock()


def _paths() -> list[Path]:
    configured = [Path(p.strip()) for p in str(settings.DURVIS_SIGNING_KEY_FILES).split(",")
                  if p.strip()]
    return configured or [Path(settings.VAR_DIR) / "signing-keys" / "es256.pem"]


def write_private_file(path: Path, content: bytes) -> None:
    """Write a private key file atomically (a temporary file renamed over `path`, so a reader
    never sees half a key) and readable by the owner only (0600)."""
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


@lru_cache(maxsize=8)
def _load(path: Path, generate: bool) -> ECKey:
    with _LOCK:
        if generate and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_private_file(path, ECKey.generate_key("P-256", private=True).as_pem(private=True))
        key = ECKey.import_key(path.read_bytes(), parameters={"use": "sig", "alg": ALGORITHM})
        key.ensure_kid()
        return key


def keys() -> list[ECKey]:
    """The signing keys, the current one first. Raises OSError or ValueError for a configured
    file that is missing or holds no EC private key."""
    generate = not settings.DURVIS_SIGNING_KEY_FILES
    return [_load(path, generate) for path in _paths()]


def sign(claims: dict[str, Any], *, typ: str = "JWT") -> str:
    """`claims` as a compact JWS (ES256) under the current key, its `kid` in the header."""
    key = keys()[0]
    return jwt.encode({"alg": ALGORITHM, "typ": typ, "kid": key.kid}, claims, key)


def jwks() -> dict[str, Any]:
    """The public keys as a JWK Set: `{"keys": [{"kty": "EC", "crv": "P-256", "x", "y", "kid",
    "use": "sig", "alg": "ES256"}, ...]}` (never a private part)."""
    return {"keys": [key.as_dict(private=False) for key in keys()]}


def problems() -> list[str]:
    """Production names its keys; every named file must load."""
    if settings.PRODUCTION and not settings.DURVIS_SIGNING_KEY_FILES:
        return ["Production needs DURVIS_SIGNING_KEY_FILES (the single sign-on hand-off's "
                "signing keys)."]
    if settings.DURVIS_SIGNING_KEY_FILES:
        try:
            keys()
        except (OSError, ValueError) as error:
            return [f"DURVIS_SIGNING_KEY_FILES: {error}"]
    return []
