"""Who is asking: the `Actor` that every service, rule and audit entry receives.

An actor is an anonymous visitor, a person signed in through the national sign-in (a citizen,
or a company's representative: they act for a client, see `durvis.identity.rules`), a staff
member who passed both sign-in factors, or an institution's system with an API token
(`ApiGrant`). It lives in `core` because every layer above takes it, the audit log first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the types only: core imports no app at run time
    from durvis.identity.models import Person, StaffMember


@dataclass(frozen=True)
class ApiGrant:
    """What an API client's token allows: its institution, its scopes (operations) and services
    (None: every service the institution holds or provides)."""

    client_id: int
    institution_id: int
    institution_code: str
    operations: frozenset[str]
    service_ids: frozenset[int] | None

    def covers(self, service_id: int) -> bool:
        return self.service_ids is None or service_id in self.service_ids


@dataclass(frozen=True)
class Actor:
    """Who is asking: an anonymous visitor (`kind="anonymous"`), a signed-in `person`, a `staff`
    member, or an API client (`api`). `source_address` is the client's IP address for the
    activity log."""

    kind: str = "anonymous"
    person: Person | None = None
    staff: StaffMember | None = None
    api: ApiGrant | None = None
    source_address: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.staff.roles) if self.staff else frozenset()

    @property
    def institution_id(self) -> int | None:
        if self.api:
            return self.api.institution_id
        return self.staff.institution_id if self.staff else None

    @property
    def institution_code(self) -> str:
        if self.api:
            return self.api.institution_code
        return self.staff.institution.code if self.staff else ""

    @property
    def audit_id(self) -> str:
        """The actor's identity in the activity log: `api:<id>`, `user:<id>`, `person:<id>`."""
        if self.api:
            return f"api:{self.api.client_id}"
        if self.staff:
            return f"user:{self.staff.user_id}"
        if self.person:
            return f"person:{self.person.pk}"
        return ""

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        """Whether an API client's token carries the scope (False for anybody else)."""
        return self.api is not None and scope in self.api.operations


ANONYMOUS = Actor()
# The platform itself (the worker running event handlers, the scheduler): the activity log
# names it `system`.
SYSTEM = Actor(kind="system")
# Whoever runs a management command on a deployment (their authority is the shell access to it):
# the activity log names it `operator`; a rule that admits operators says so.
OPERATOR = Actor(kind="operator")
