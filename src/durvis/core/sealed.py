"""Secrets the platform must give back to another system (a CalDAV calendar's password, A4; a
merchant's secret, A8; a webhook's signing secret, B9: `SealedCharField`),
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

from typing import Any

from django.conf import settings
from django.db import migrations, models
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


def is_sealed(value: str) -> bool:
    """Whether `value` has the shape of a `seal` (a JWE compact: five base64url parts whose
    header is JSON), as opposed to a secret kept in plain text before sealing."""
    parts = value.split(".")
    return len(parts) == 5 and parts[0].startswith("eyJ") and not parts[1]


class SealedCharField(models.CharField):  # type: ignore[type-arg]
    """A text column kept sealed at rest (`seal` on the way to the database, `unseal` on the
    way back), for a secret the platform must give back to another system (a merchant's
    secret, a webhook's signing secret). Python code reads and writes the plain text; the
    column holds the JWE, so `max_length` must allow about 100 + 4/3 × the text's length. A
    value still in plain text (written before the column was sealed) reads as it is until a
    data migration seals it. Lookups by value cannot match (each seal differs)."""

    def from_db_value(self, value: str | None, expression: object, connection: object
                      ) -> str | None:
        if value is None or not is_sealed(value):
            return value
        return unseal(value)

    def get_prep_value(self, value: object) -> object:
        value = super().get_prep_value(value)
        if isinstance(value, str) and value and not is_sealed(value):
            return seal(value)
        return value


def seal_rows_operation(app_label: str, model_name: str, fields: list[str]) -> Any:
    """The data migration that seals the values of `fields` (SealedCharField columns) that a
    model's rows still keep in plain text, and back opens them: a `RunPython` operation. Its
    own migration, apart from the schema change, so that PostgreSQL never alters a table with
    these rows' updates pending in the same transaction."""

    def seal_all(apps: Any, schema_editor: Any) -> None:
        # The field seals on write: each row's value is written back as read.
        model = apps.get_model(app_label, model_name)
        for row in model.objects.only("pk", *fields):
            model.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})

    def open_all(apps: Any, schema_editor: Any) -> None:
        # Back: every value written in plain text again (read opened, written as raw SQL).
        model = apps.get_model(app_label, model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        with schema_editor.connection.cursor() as cursor:
            for row in model.objects.only("pk", *fields):
                for name in fields:
                    cursor.execute(
                        f"UPDATE {table} SET {schema_editor.quote_name(name)} = %s "  # noqa: S608 - fixed names
                        "WHERE id = %s", [getattr(row, name), row.pk])

    return migrations.RunPython(seal_all, open_all)
