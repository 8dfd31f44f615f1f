"""Access rules of the integration layer (B9), the API scopes (what an institution's system may
do with its token) and the webhook event types (what it may be told of).

Each scope is declared once, by the app that owns the operations it opens
(`declare_scope("cases:write", ...)` in `durvis.register.rules`), with the description that the
administration form and the OpenAPI schema show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.audit.queries import declare_use
from durvis.core.actor import Actor
from durvis.core.registry import Registry
from durvis.identity.models import Institution
from durvis.identity.rules import is_institution_admin_of


class IntegrationAction(StrEnum):
    MANAGE_INTEGRATIONS = "integrations.manage"
    # An institution's system reads its event feed (`GET /api/v1/events`); obj = None.
    READ_EVENTS = "integrations.read_events"


@dataclass(frozen=True)
class Scope:
    """An API scope (`<resource>:<read|write>`) and what it lets a system do."""

    key: str
    description: str | Promise
    owner: str


SCOPES: Registry[Scope] = Registry("API scopes")


def declare_scope(key: str, description: str | Promise, *, owner: str) -> str:
    """Declare a scope the calling app (`owner`) checks; returns the key (use it as a constant).
    Raises ImproperlyConfigured if the scope is declared already."""
    SCOPES.register(Scope(key, description, owner))
    return key


@dataclass(frozen=True)
class WebhookType:
    """A webhook event an endpoint may subscribe to: the domain event's name, what it means,
    the JSON Schema of its item (a CloudEvent's `data`, published in the AsyncAPI document) and
    whether the pull feed carries it. Declared through
    `durvis.integrations.events.forward_as_webhook`."""

    key: str
    description: str | Promise
    data: dict[str, Any] = field(default_factory=dict)
    in_feed: bool = False


WEBHOOK_TYPES: Registry[WebhookType] = Registry("webhook event types")


@rule(IntegrationAction.MANAGE_INTEGRATIONS)
def manage_integrations(actor: Actor, institution: Any, client: Any) -> Decision:
    """Only an institution's administrator manages its API clients, webhooks and dead letters;
    and an operator at the command line (`manage.py create_api_client`)."""
    if not isinstance(institution, Institution):
        return deny("not an institution")
    if is_institution_admin_of(actor, institution.pk) or actor.kind == "operator":
        return ALLOW
    return deny("only the institution's administrator manages its integrations")


EVENTS_READ = declare_scope(
    "events:read", _("Read the event feed (the webhooks' events, for systems that cannot "
                     "receive webhooks)"), owner="integrations")


@rule(IntegrationAction.READ_EVENTS)
def read_events(actor: Actor, obj: Any, client: Any) -> Decision:
    """An institution's system with the `events:read` scope reads its institution's feed (no
    personal data: identifiers and states; the rest is read through the API, audited)."""
    if actor.api is not None and EVENTS_READ in actor.api.operations:
        return ALLOW
    return deny("the client lacks the events:read scope")


# How the person reads what staff and systems did with their data ("who used my data", B4, B5).
declare_use("integrations.webhook.personal_data", _("Sent your data to an institution's system"))
