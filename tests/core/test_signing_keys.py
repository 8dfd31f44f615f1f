"""The platform's signing key (A12: the hand-off token): generated once outside production,
readable by its owner only."""

from __future__ import annotations

import stat

from durvis.core import signing_keys


def test_a_generated_key_is_kept_and_readable_by_its_owner_only(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DURVIS_SIGNING_KEY_FILES = ""
    signing_keys._load.cache_clear()
    first = signing_keys.keys()[0]
    path = tmp_path / "signing-keys" / "es256.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    signing_keys._load.cache_clear()
    assert signing_keys.keys()[0].kid == first.kid  # the same key, not a new one
    signing_keys._load.cache_clear()
