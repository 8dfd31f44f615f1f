"""One mechanism for every family of pluggable behaviour (ARCHITECTURE.md, "Registries").

A family — notification kinds, webhook event types, API scopes, sign-in methods, base-register
adapters, malware scanners, and later payment providers, calendar systems and back-office
adapters — is a `Registry` of entries under unique keys. The app that owns an entry registers
it in its own code; whoever offers a choice reads the registry. An entry may have a `check`
hook (is it configured? run by `check_all`, for example at start-up) and a `demo` flag: demo
entries are refused outside demo mode, so production can never be configured with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class Entry(Protocol):
    """What a registry holds: anything with a unique `key`; optionally `demo` and `check`."""

    @property
    def key(self) -> str: ...


E = TypeVar("E", bound=Entry)


@dataclass(frozen=True)
class Problem:
    """A configuration problem a check hook found: the registry, the entry and what is wrong."""

    registry: str
    key: str
    message: str


class Registry(Generic[E]):
    """Entries of one family under unique keys, in registration order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, E] = {}
        _ALL.append(self)

    def register(self, entry: E) -> E:
        """Add `entry`; raises ImproperlyConfigured for a key that is taken (two apps must not
        claim one name). Returns the entry, so it can be used as a decorator's result."""
        if entry.key in self._entries:
            raise ImproperlyConfigured(f"{self.name}: {entry.key!r} is registered twice")
        self._entries[entry.key] = entry
        return entry

    def get(self, key: str) -> E:
        """The entry under `key`; raises KeyError for an unknown key, and ImproperlyConfigured
        for a demo entry outside demo mode."""
        entry = self._entries[key]
        if getattr(entry, "demo", False) and not settings.DEMO_MODE:
            raise ImproperlyConfigured(f"{self.name}: {key!r} is a demo implementation")
        return entry

    def find(self, key: str) -> E | None:
        """The entry under `key`, or None (no demo check: for lookups, not for configuration)."""
        return self._entries.get(key)

    def available(self) -> list[E]:
        """The entries this deployment may use: all in demo mode, else all but demo entries."""
        return [e for e in self if settings.DEMO_MODE or not getattr(e, "demo", False)]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[E]:
        return iter(list(self._entries.values()))

    def keys(self) -> list[str]:
        return list(self._entries)

    def choices(self, label: Callable[[E], str]) -> list[tuple[str, str]]:
        """(key, label) pairs for a form's choices, in registration order."""
        return [(entry.key, label(entry)) for entry in self]

    def problems(self) -> list[Problem]:
        """What the entries' check hooks report (an entry without a hook is fine)."""
        found = []
        for entry in self:
            check: Callable[[], list[str]] | None = getattr(entry, "check", None)
            for message in check() if check else []:
                found.append(Problem(self.name, entry.key, message))
        return found


_ALL: list[Registry] = []  # type: ignore[type-arg]


def registries() -> list[Registry]:  # type: ignore[type-arg]
    """Every registry created so far (the architecture test lists them)."""
    return list(_ALL)


T = TypeVar("T")


@dataclass(frozen=True)
class Implementation(Generic[T]):
    """An implementation of a pluggable interface (a base-register adapter, a malware scanner, a
    sign-in method): the `target` (a class or a callable), a `check` of its configuration, and
    whether it is a `demo` that production refuses."""

    key: str
    target: T
    description: str = ""
    demo: bool = False
    check: Callable[[], list[str]] | None = None


def configured(registry: Registry[Implementation[Any]], value: str) -> Any:
    """The implementation a setting names: a key of the registry, or the dotted path of a
    deployment's own implementation. Raises ImproperlyConfigured for an unknown key, a path
    that does not import, or a demo implementation outside demo mode."""
    if value in registry:
        return registry.get(value).target
    try:
        return import_string(value)
    except ImportError as error:
        known = ", ".join(registry.keys())
        raise ImproperlyConfigured(
            f"{registry.name}: {value!r} is neither one of {known} nor an importable path"
        ) from error
