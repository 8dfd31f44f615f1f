"""THE authorisation policy: may this actor do this action on this object, acting for this client?

One engine, deny by default. Every view, API endpoint and service asks `decide` (or `allowed`,
`require`); nothing else in the code base re-implements a rule. The rules themselves are
declared by the app that owns the action, next to its models, in its `rules.py`
(`@rule("register.read_case", list_filter=...)`): the predicate for one object and, where a
list is shown, the queryset filter that must agree with it (`visible`). This module imports no
app: the apps plug into it, so it sits low in the layers and everything above may ask it.

A rule answers a `Decision`, which carries the reason for a refusal (shown in logs and tests,
never to a client) and, where the person can do something about it, an `explanation` in their
language (shown to them: a company's representative who may act only jointly with another is
told so, C1, A12). `require` raises `Refused`, a PermissionDenied that carries the decision, so
a page can show the explanation (`explanation_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, Q, QuerySet

from durvis.core import memo
from durvis.core.actor import Actor
from durvis.core.registry import Registry


@dataclass(frozen=True)
class Decision:
    """A rule's answer: whether the actor may (`allowed`), why not (`reason`, for logs and
    tests, never shown to a client) and, for a refusal the person should understand, the
    `explanation` to show them (a text translated into the request's language; empty: show
    the page's own words).
    Truthy when allowed, so `if decide(...)` reads naturally."""

    allowed: bool
    reason: str = field(default="")
    explanation: Any = field(default="", compare=False)

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True, "allowed")


def deny(reason: str, explanation: Any = "") -> Decision:
    """A refusal carrying `reason` (a short English phrase for logs and tests, e.g. "a case of
    another institution"; never shown to a client) and optionally `explanation`, a translated
    text that the person is shown (e.g. why a joint representative cannot send in the
    company's name alone)."""
    return Decision(False, reason, explanation)


class Refused(PermissionDenied):
    """PermissionDenied raised by `require`, carrying the rule's `decision` (its `reason` is the
    exception's message; its `explanation`, if any, is for the person)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


def explanation_of(error: PermissionDenied, default: str) -> str:
    """What to tell the person about a refusal: the rule's explanation when `error` is a
    `Refused` that has one, else `default` (the page's own words). Raises nothing."""
    if isinstance(error, Refused) and error.decision.explanation:
        return str(error.decision.explanation)
    return default


Predicate = Callable[[Actor, Any, Any], Decision]
# (actor, client) -> the filter of the records the actor may see in a list: the same answer as
# the predicate gives record by record.
ListFilter = Callable[[Actor, Any], Q]


@dataclass(frozen=True)
class Rule:
    """One action's rule: `key` is the action (`<app>.<verb>_<object>`)."""

    key: str
    predicate: Predicate
    list_filter: ListFilter | None = None
    description: str = ""


RULES: Registry[Rule] = Registry("access rules")

P = TypeVar("P", bound=Predicate)


def rule(action: str, *, list_filter: ListFilter | None = None) -> Callable[[P], P]:
    """Register the decorated predicate `(actor, obj, client) -> Decision` as the rule of
    `action`; its docstring is the rule's description. Raises ImproperlyConfigured if the
    action has a rule already (one action, one rule)."""

    def register(predicate: P) -> P:
        RULES.register(Rule(str(action), predicate, list_filter,
                            (predicate.__doc__ or "").strip()))
        return predicate

    return register


def decide(actor: Actor, action: str, obj: Any = None, client: Any = None) -> Decision:
    """The one question every part of the platform asks: may `actor` do `action` (a rule key,
    e.g. `CaseAction.READ_CASE`) on `obj` (the record, or None for the action in general), acting
    for `client` (the Person or Company whose e-account it is; None when not acting for one)?
    Returns the rule's `Decision`; an action nobody declared is denied ("unknown action"). Raises
    nothing itself: a refusal is an answer here (`require` turns it into PermissionDenied)."""
    found = RULES.find(str(action))
    if found is None:
        return deny("unknown action")
    with memo.scope():  # a question the rule asks twice is answered once (core.memo)
        return found.predicate(actor, obj, client)


def allowed(actor: Actor, action: str, obj: Any = None, client: Any = None) -> bool:
    """`decide` as a plain bool (arguments as there), for conditions and templates that do not
    need the reason. Raises nothing."""
    return decide(actor, action, obj, client).allowed


def require(actor: Actor, action: str, obj: Any = None, client: Any = None) -> None:
    """`decide` as a guard (arguments as there): returns None when the actor may, and raises
    `Refused` (a PermissionDenied) carrying the rule's decision, whose message is its reason
    (or "unknown action" for an action nobody declared), when not."""
    decision = decide(actor, action, obj, client)
    if not decision:
        raise Refused(decision)


M = TypeVar("M", bound=Model)


def visible(actor: Actor, action: str, records: QuerySet[M], client: Any = None) -> QuerySet[M]:
    """`records` narrowed to those the actor may `action` (for `client`): the rule's list
    filter, which the property tests hold to the rule's single decisions. Raises
    ImproperlyConfigured for an action without a list filter."""
    found = RULES.find(str(action))
    if found is None or found.list_filter is None:
        raise ImproperlyConfigured(f"{action} has no list filter")
    with memo.scope():  # as in `decide`
        if getattr(found.list_filter, "takes_model", False):
            # A filter of records of any kind (a client's cases, consultations, invoices) that
            # needs to know which: it is also given the model.
            return records.filter(
                found.list_filter(actor, client, records.model))  # type: ignore[call-arg]
        return records.filter(found.list_filter(actor, client))
