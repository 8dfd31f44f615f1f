"""Demo aids on otherwise real pages: only in demo mode, only for the demo accounts of
`data/staff.json`, whose secrets are public anyway (production refuses demo mode)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from durvis.demo.loader import DATA_DIR, totp_key_hex
from durvis.identity import services as identity


@cache
def _demo_keys() -> dict[str, str]:
    rows = json.loads((DATA_DIR / "staff.json").read_text(encoding="utf-8"))
    return {row["username"]: totp_key_hex(row["totp_secret"]) for row in rows}


def demo_totp_code(user: Any, device: TOTPDevice | None) -> str | None:
    """The code a demo account's authenticator app would show now, so that a newcomer signs in
    without a phone; None outside demo mode, for any other account, or for a demo account whose
    secret is no longer the published one."""
    if not settings.DEMO_MODE or device is None or not device.confirmed:
        return None
    if _demo_keys().get(user.get_username()) != device.key:
        return None
    return identity.current_totp_code(device)
