"""Start-up checks of the registries (ARCHITECTURE.md, "Registries"): every entry's check hook
(a sign-in method's provider, the malware scanner's daemon address, a notification kind's
templates), no demo implementation outside demo mode, and no development key for the activity
log. Run by `manage.py check` (and so by `migrate` and `runserver`) as system checks, and by the
WSGI/ASGI start-up, which refuses to serve a production deployment with a problem."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from durvis.core import signing_keys
from durvis.core.registry import Problem, registries


def problems() -> list[Problem]:
    """What the check hooks of every registry report now, and the settings checked here."""
    return [*(problem for registry in registries() for problem in registry.problems()),
            *_audit_key_problems(), *_secret_key_problems(), *_signing_key_problems()]


def _audit_key_problems() -> list[Problem]:
    """Production signs the activity log with keys of its own: the development key is public."""
    development = settings.DURVIS_AUDIT_DEVELOPMENT_KEY.partition(":")[2]
    if settings.PRODUCTION and base64.b64decode(development) in settings.DURVIS_AUDIT_KEYS.values():
        return [Problem("settings", "DURVIS_AUDIT_KEYS", "Production needs audit keys of its own "
                        "(DURVIS_AUDIT_KEYS or DURVIS_AUDIT_KEYS_FILE), not the development key.")]
    return []


def _secret_key_problems() -> list[Problem]:
    """Production seals secrets (`core.sealed`) with keys of its own."""
    development = base64.b64decode(settings.DURVIS_SECRET_DEVELOPMENT_KEY.partition(":")[2])
    if settings.PRODUCTION and development[:32] in settings.DURVIS_SECRET_KEYS.values():
        return [Problem("settings", "DURVIS_SECRET_KEYS", "Production needs secret keys of its "
                        "own (DURVIS_SECRET_KEYS or DURVIS_SECRET_KEYS_FILE), not the "
                        "development key.")]
    return []


def _signing_key_problems() -> list[Problem]:
    return [Problem("settings", "DURVIS_SIGNING_KEY_FILES", message)
            for message in signing_keys.problems()]


@checks.register()
def registry_checks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(problem.message, obj=f"{problem.registry}: {problem.key}",
                         id="durvis.E001") for problem in problems()]


def refuse_misconfigured_production() -> None:
    """Raise ImproperlyConfigured naming every problem, in production (a development server
    starts anyway and shows them as system-check errors)."""
    found = problems()
    if settings.PRODUCTION and found:
        raise ImproperlyConfigured("; ".join(f"{p.registry} {p.key}: {p.message}" for p in found))
