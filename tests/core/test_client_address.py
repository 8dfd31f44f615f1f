"""The client's address behind our load balancers (A12 lockout, B5 audit): only the hops our
own proxies added are trusted."""

import pytest
from django.test import RequestFactory

from durvis.core.middleware import ClientAddressMiddleware


def seen_address(settings, proxies, forwarded, remote="10.0.0.5"):
    settings.DURVIS_TRUSTED_PROXY_COUNT = proxies
    middleware = ClientAddressMiddleware(lambda request: request.META["REMOTE_ADDR"])
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return middleware(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "203.0.113.7", "10.0.0.5"),  # no proxy of ours: a client's header is ignored
    (1, "203.0.113.7", "203.0.113.7"),  # one load balancer: the address it saw
    (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a forged entry on the left is not trusted
    (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),  # two proxies: the outer one's view
    (2, "203.0.113.7", "10.0.0.5"),  # fewer hops than proxies: not through our proxies
    (1, None, "10.0.0.5"),
])
def test_only_our_proxies_hops_are_trusted(settings, proxies, forwarded, expected):
    assert seen_address(settings, proxies, forwarded) == expected
