"""Where webhooks may go (B9; issue 11, "The web's defences"): an institution names the address,
so the platform must not become its way into our own network. Only `https` (and `http` where
internal addresses are allowed), and only hosts whose every address is public: no loopback,
private, link-local (the cloud metadata service at 169.254.169.254), shared, reserved or
multicast address, checked after DNS resolution when the address is saved and again on every
delivery, which then connects to the very address it checked (a name cannot change what it
resolves to between the check and the connection). `DURVIS_WEBHOOK_ALLOW_INTERNAL` allows http,
loopback and private addresses for demo mode and tests, never in production (settings refuse
it); link-local addresses (the cloud metadata service) and 0.0.0.0 are refused even then.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from durvis.core.addresses import address_problem


class RefusedAddress(OSError):
    """A webhook host that resolves to an address the platform does not call."""


def check_webhook_url(url: str) -> None:
    """Refuse a webhook address before it is saved. Raises ValidationError keyed `url`: code
    `scheme` (not https; http only where internal addresses are allowed), `host` (no host),
    `host_name` (not a DNS name or an IP address),
    `port` (not a port number), `credentials` (a user name or password in it, which would be
    shown and logged with the address),
    `unresolvable` (the name does not resolve) or `internal` (it resolves to an address that is
    not public)."""
    allowed = ("https", "http") if settings.DURVIS_WEBHOOK_ALLOW_INTERNAL else ("https",)
    problem = address_problem(url, schemes=allowed)
    if problem == "scheme":
        raise _url_error(gettext("A webhook address starts with https://."), "scheme")
    if problem == "host":
        raise _url_error(gettext("The address has no host."), "host")
    if problem == "host_name":
        raise _url_error(gettext("The address's host is not a valid name: letters, digits, "
                                 "hyphens and dots, without * or spaces."), "host_name")
    if problem == "credentials":
        raise _url_error(gettext("The address may not contain a user name or password: the "
                                 "signature proves a delivery is ours."), "credentials")
    if problem == "port":
        raise _url_error(gettext("The address's port is not a number from 1 to 65535."), "port")
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None
    port = parts.port or 443
    try:
        public_address(parts.hostname, port)
    except RefusedAddress:
        raise _url_error(gettext("The address leads to an internal network, which webhooks may "
                                 "not call."), "internal") from None
    except OSError:
        if not settings.DURVIS_WEBHOOK_ALLOW_INTERNAL:  # demo and test names need not resolve
            raise _url_error(gettext("The host name of the address cannot be found."),
                             "unresolvable") from None


def public_address(host: str, port: int) -> str:
    """The address to connect to for `host`: its first resolved address when every one of them
    may be called (public; loopback and private too where internal addresses are allowed; never
    link-local). Raises RefusedAddress when one may not, OSError when the name does not
    resolve."""
    resolved = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    for address in resolved:
        if not _callable(str(address)):
            raise RefusedAddress(f"{host} resolves to an internal address")
    return str(resolved[0])


def _callable(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip.is_unspecified:  # the cloud metadata service: never
        return False
    return bool(settings.DURVIS_WEBHOOK_ALLOW_INTERNAL) or (ip.is_global and not ip.is_multicast)


def _url_error(message: str, code: str) -> ValidationError:
    return ValidationError({"url": ValidationError(message, code=code)})


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = socket.create_connection((public_address(self.host, self.port), self.port),
                                             self.timeout)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = socket.create_connection((public_address(self.host, self.port), self.port),
                                        self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_CheckedHTTPSConnection, req)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook is delivered only by a 2xx answer to the signed POST itself: a redirect is not
    followed (it would turn into a bodyless GET that proves nothing), it is a failed attempt."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def webhook_opener() -> urllib.request.OpenerDirector:
    """The opener deliveries use: no proxies from the environment, no redirects, and every
    connection to an address checked by `public_address`."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects,
                                       _CheckedHTTPHandler, _CheckedHTTPSHandler)
