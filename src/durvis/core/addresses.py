"""The shape of an address (URL) that an institution gives the platform, checked the same way
wherever one is given: a webhook (`integrations.addresses`, which also checks where its host
resolves, since the platform calls it), a holder's e-service and its return address
(`catalog`, A10, A12; the browser goes there), an origin allowed to frame the platform's forms.

`address_problem` says what is wrong with an address, as a stable code; each caller words it
for its field. An address with a user name or password is refused everywhere: it would be shown
on pages and logged with the address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import urllib.parse
from collections.abc import Collection

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def address_problem(url: str, *, schemes: Collection[str] = ("https",)) -> str | None:
    """What is wrong with `url`, or None: `scheme` (not one of `schemes`), `host` (no host),
    `credentials` (a user name or password in it), `host_name` for a host that is neither a DNS
    name (RFC 1123 labels; an internationalised name by IDNA) nor an IP address: no wildcard,
    space, `;` or other character that would change the meaning of a header it is put in
    (CSP `frame-ancestors`), `port` (not a number from 1 to 65535),
    `fragment` (a `#…` part, which a browser never sends). Pure: no DNS."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # an unclosed IPv6 bracket
        return "host"
    if parts.scheme not in schemes:
        return "scheme"
    if not parts.hostname:
        return "host"
    if not _is_host(parts.hostname):
        return "host_name"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        return "port"
    if parts.fragment or url.endswith("#"):
        return "fragment"
    return None


DNS_NAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*",
    re.ASCII)


def _is_host(hostname: str) -> bool:
    """Whether `hostname` (lower-cased by `urlsplit`) is an IP address or a DNS name."""
    try:
        ipaddress.ip_address(hostname)
        return True
    except ValueError:
        pass
    try:
        ascii_name = hostname.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return DNS_NAME.fullmatch(ascii_name) is not None


def browser_address_problem(url: str) -> str | None:
    """`address_problem` for an address the person's browser is sent to (a holder's e-service):
    `https` only; in demo mode also `http` on a loopback host (127.0.0.1, ::1, localhost), for a
    holder's e-service run beside the demo and in tests (production refuses demo mode)."""
    problem = address_problem(url, schemes=("https", "http"))
    if problem is None and urllib.parse.urlsplit(url).scheme == "http" and not (
            settings.DEMO_MODE and urllib.parse.urlsplit(url).hostname in LOOPBACK_HOSTS):
        return "scheme"
    return problem


def check_browser_address(url: str, field: str) -> None:
    """Raise ValidationError keyed `field` when `url` is not an address to send a browser to
    (`browser_address_problem`), in the active language, with the problem's code."""
    problem = browser_address_problem(url)
    if problem is not None:
        raise ValidationError({field: ValidationError(_message(problem), code=problem)})


def _message(problem: str) -> str:
    return {
        "scheme": gettext("The address starts with https://."),
        "host": gettext("The address has no host."),
        "host_name": gettext("The address's host is not a valid name: letters, digits, hyphens "
                             "and dots, without * or spaces."),
        "credentials": gettext("The address may not contain a user name or password."),
        "port": gettext("The address's port is not a number from 1 to 65535."),
        "fragment": gettext("The address may not contain a # part."),
    }[problem]


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an address, lower-cased, the default port left out: what a
    browser sends as `Origin` and what CSP `frame-ancestors` compares."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")  # as a browser sends it
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}".lower()
