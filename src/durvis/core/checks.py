"""Start-up checks of the registries (ARCHITECTURE.md, "Registries"): every entry's check hook
(a sign-in method's provider, the malware scanner's daemon address, a notification kind's
templates) and no demo implementation outside demo mode. Run by `manage.py check` (and so by
`migrate` and `runserver`) as system checks, and by the WSGI/ASGI start-up, which refuses to
serve a production deployment with a problem."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from durvis.core.registry import Problem, registries


def problems() -> list[Problem]:
    """What the check hooks of every registry report now."""
    return [problem for registry in registries() for problem in registry.problems()]


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
