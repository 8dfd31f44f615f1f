"""A memo that lives for one request: answers that many parts of one page ask again (the access
policy's "what is this person to this client", issue 15) are computed once per request and
never outlive it.

`RequestMemoMiddleware` (`core.middleware`) opens a scope around every request; `remembered`
answers from the scope or computes and keeps the answer. Outside a scope (the worker, a
management command, a benchmark, a test without a request) nothing is kept: every call computes.
So an answer is never stale across requests: a mandate revoked takes effect on the very next
request. Within a request, a write that changes such answers calls `forget` (the mandates' and
the base registers' writes do), and the scope holds at most `LIMIT` answers (further ones are
computed every time, not kept).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

# At most this many answers per request (a page lists tens of clients' records, not thousands).
LIMIT = 256

_scope: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar(
    "durvis_request_memo", default=None)

T = TypeVar("T")


@contextmanager
def request_scope() -> Iterator[None]:
    """Keep answers for the duration of the `with` block (one request); nested scopes are
    separate, and the outer one is back when the inner ends."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def scope() -> Iterator[None]:
    """Keep answers for the `with` block unless a scope is open already (then: that one's):
    one decision of the access policy asks each question once, even outside a request."""
    if _scope.get() is not None:
        yield
        return
    with request_scope():
        yield


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """The answer kept under `key` in the current scope, or `compute()` (kept when there is a
    scope with room: `LIMIT`). `key` must name everything the answer depends on besides the
    database (e.g. `("standing", person id, client kind, client id)`). Raises what `compute`
    raises (nothing is kept then)."""
    memo = _scope.get()
    if memo is None:
        return compute()
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    value = compute()
    if len(memo) < LIMIT:
        memo[key] = value
    return value


def forget() -> None:
    """Drop every answer kept in the current scope (after a write that may change them);
    nothing outside a scope."""
    memo = _scope.get()
    if memo is not None:
        memo.clear()
