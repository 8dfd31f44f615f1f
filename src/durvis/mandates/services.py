"""Writing mandates (C1, A2, A12): grant, request, confirm, refuse, revoke.

Every write is validated before anything is stored (a `ValidationError` naming the field, in
the person's language), runs in one transaction, is audited (`mandates.mandate.<verb>`) and
publishes `mandate.changed`, from which messaging tells both sides. Revocation takes effect at
once: the decision path reads only active mandates (`queries.active_filter`), and a revoked
mandate's sub-mandates end with it.

Who may do what: the grantor side (the person themself, a parent for a minor child, a
company's representative who may act alone: `rules.MandateAction.MANAGE`) grants, confirms or
refuses a request made to it, and revokes; the grantee side may also revoke (renounce). A
grantee passes a mandate on only when it is `transferable`, and the sub-mandate never exceeds
its parent's scope, rights or period.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from durvis.access.policy import allowed
from durvis.audit.services import record
from durvis.catalog.models import Category, Service
from durvis.core import memo
from durvis.core.actor import Actor
from durvis.core.events import publish
from durvis.identity import queries as identity
from durvis.identity.models import Company, Institution, Person
from durvis.identity.queries import audit_subject
from durvis.mandates import queries
from durvis.mandates.events import MANDATE_CHANGED
from durvis.mandates.models import (
    PAPER_BASES,
    Mandate,
    MandateBasis,
    MandateScope,
    MandateState,
    Right,
)
from durvis.mandates.rules import MandateAction

Client = Person | Company
Party = Person | Company | Institution  # a grantee: also an institution (assisted service)


@dataclass
class Terms:
    """What a mandate gives: `scope` (a `MandateScope`) with the chosen `service_ids` or
    `category_ids`, the `rights` (values of `Right`), the period (`valid_from`, default today;
    `valid_until`, None: until revoked; both inclusive) and whether it may be passed on."""

    scope: str = MandateScope.ALL
    service_ids: Collection[int] = ()
    category_ids: Collection[int] = ()
    rights: Collection[str] = field(default_factory=lambda: [Right.APPLY, Right.READ])
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None
    transferable: bool = False


def _error(field_name: str, message: str, code: str) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, code=code)})


_INSTITUTION_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,19}$")


def find_party(code: str, field_name: str = "grantee_code", *,
               institutions: bool = False) -> Client | Institution:
    """The person (a personal code) or company (an 11-digit registration number starting 4 or
    5) a code names; with `institutions`, also an institution by its registration number
    (11 digits starting 9) or its code (`VDAA`): a grantee for assisted service at its
    client-service centres (A3). Raises ValidationError on `field_name` for a code that is
    not valid or that names nobody."""
    code = (code or "").strip()
    if not code:
        raise _error(field_name, _("Enter a personal code or a company registration number."),
                     "required")
    digits = code.replace("-", "")
    found: Client | Institution | None
    if institutions and (_INSTITUTION_CODE.fullmatch(code) or (
            digits.isdigit() and len(digits) == 11 and digits[0] == "9" and "-" not in code)):
        found = identity.institution_by_code_or_number(code.upper())
        if found is None:
            raise _error(field_name, _("No institution with this code or registration number "
                                       "is known."), "unknown")
        return found
    try:
        if digits.isdigit() and len(digits) == 11 and digits[0] in "45" and "-" not in code:
            found = identity.find_company(digits)
        else:
            found = identity.find_person(code)
    except ValidationError as error:
        raise ValidationError({field_name: error.error_list}) from None
    if found is None:
        raise _error(field_name, _("Nobody with this code is known."), "unknown")
    return found


def _check_terms(terms: Terms, *, today: datetime.date) -> tuple[list[Service], list[Category]]:
    problems: dict[str, ValidationError] = {}
    if terms.scope not in MandateScope.values:
        problems["scope"] = ValidationError(_("Choose the services the mandate covers."),
                                            code="invalid")
    services = list(Service.objects.filter(pk__in=list(terms.service_ids)))
    categories = list(Category.objects.filter(pk__in=list(terms.category_ids)))
    if terms.scope == MandateScope.SERVICES and (not services
                                                 or len(services) != len(set(terms.service_ids))):
        problems["service_ids"] = ValidationError(_("Choose at least one service."),
                                                  code="required")
    if terms.scope == MandateScope.CATEGORIES and (
            not categories or len(categories) != len(set(terms.category_ids))):
        problems["category_ids"] = ValidationError(_("Choose at least one category."),
                                                   code="required")
    if not terms.rights or not set(terms.rights) <= set(Right.values):
        problems["rights"] = ValidationError(_("Choose at least one right."), code="required")
    start = terms.valid_from or today
    if start < today:
        problems["valid_from"] = ValidationError(_("A mandate cannot start in the past."),
                                                 code="past")
    if terms.valid_until is not None:
        if terms.valid_until < start:
            problems["valid_until"] = ValidationError(
                _("The end date must be the same as or after the start date."), code="order")
        elif terms.valid_until < today:
            problems["valid_until"] = ValidationError(_("The end date cannot be in the past."),
                                                      code="past")
    if problems:
        raise ValidationError(problems)
    if terms.scope != MandateScope.SERVICES:
        services = []
    if terms.scope != MandateScope.CATEGORIES:
        categories = []
    return services, categories


def _party_fields(prefix: str, party: Client | Institution) -> dict[str, Any]:
    if isinstance(party, Institution):  # only a grantee: assisted service (A3)
        return {f"{prefix}_person": None, f"{prefix}_company": None,
                f"{prefix}_institution": party}
    if isinstance(party, Company):
        return {f"{prefix}_person": None, f"{prefix}_company": party}
    return {f"{prefix}_person": party, f"{prefix}_company": None}


def _same_party(a: Client | Institution, b: Client | Institution) -> bool:
    return type(a) is type(b) and a.pk == b.pk


def _covered(scope: str, service_ids: set[int], category_ids: set[int]) -> set[int] | None:
    """The services a scope reaches now (None: all)."""
    if scope == MandateScope.ALL:
        return None
    if scope == MandateScope.SERVICES:
        return service_ids
    return set(Service.objects.filter(categories__in=category_ids)
               .values_list("pk", flat=True))


Scope = tuple[str, set[int], set[int]]  # (scope, service ids, category ids)


def _scopes_overlap(a: Scope, b: Scope) -> bool:
    """Whether two scopes (scope, service ids, category ids) reach a service in common: all
    services meets anything; two category scopes sharing a category meet even while it is
    empty (a service added to it later would be in both)."""
    if a[0] == b[0] == MandateScope.CATEGORIES and a[2] & b[2]:
        return True
    reach_a, reach_b = _covered(*a), _covered(*b)
    return reach_a is None or reach_b is None or bool(reach_a & reach_b)


def overlapping(grantor: Client, grantee: Party, terms: Terms, services: list[Service],
                categories: list[Category], today: datetime.date) -> Mandate | None:
    """The first mandate (by start, then number) that a new one from `grantor` to `grantee`
    with `terms` would overlap; None.

    The rule (docs/mandates.md, "Overlaps"): two mandates between the same grantor and the
    same grantee overlap when the existing one is active (in force, or waiting for its start)
    or requested, and their periods share a day (an end of None: until revoked), they share a
    right, and their scopes reach a service in common (`_scopes_overlap`). An ended, refused or
    expired mandate never overlaps. Overlaps are refused so that one mandate says what the
    representative may do for a service on a day (and a case's `mandate:<id>` names the one);
    terms are changed by revoking and granting anew."""
    start = terms.valid_from or today
    rights = Q()
    for right in set(terms.rights) & set(Right.values):
        rights |= Q(**{f"may_{right}": True})
    candidates = (Mandate.objects.filter(queries.grantor_filter(grantor))
                  .filter(queries.grantee_filter(grantee))
                  .filter(state__in=[MandateState.ACTIVE, MandateState.REQUESTED])
                  .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=max(start, today)))
                  .filter(rights).prefetch_related("services", "categories")
                  .order_by("valid_from", "pk"))
    if terms.valid_until is not None:
        candidates = candidates.filter(valid_from__lte=terms.valid_until)
    wanted = (terms.scope, {s.pk for s in services}, {c.pk for c in categories})
    for other in candidates:
        if _scopes_overlap(wanted, (other.scope, {s.pk for s in other.services.all()},
                                    {c.pk for c in other.categories.all()})):
            return other
    return None


def _check_duplicate(grantor: Client, grantee: Party, terms: Terms,
                     services: list[Service], categories: list[Category],
                     today: datetime.date, field_name: str) -> None:
    """Refuse (`duplicate` on `field_name`) a mandate that overlaps one there is
    (`overlapping`), naming it: its number, state and period."""
    other = overlapping(grantor, grantee, terms, services, categories, today)
    if other is None:
        return
    until = (date_format(other.valid_until, "SHORT_DATE_FORMAT") if other.valid_until
             else _("until revoked"))
    state = (_("waiting for confirmation") if other.state == MandateState.REQUESTED
             else _("in force") if other.valid_from <= today
             else _("not yet in force"))
    raise _error(field_name, _(
        "It overlaps mandate no. %(number)s between the same sides (%(state)s, "
        "%(start)s – %(until)s): they share services and rights for some days. Revoke that "
        "mandate first, or choose other services, rights or dates.") % {
            "number": other.pk, "state": state,
            "start": date_format(other.valid_from, "SHORT_DATE_FORMAT"), "until": until},
        "duplicate")


def _publish(actor: Actor, mandate: Mandate, verb: str,
             details: dict[str, Any] | None = None) -> None:
    memo.forget()  # this request's decisions are asked again (core.memo)
    publish(actor, MANDATE_CHANGED, [(f"mandate:{mandate.pk}", {
        "mandate_id": mandate.pk, "state": mandate.state,
        "grantor_person_id": mandate.grantor_person_id,
        "grantor_company_id": mandate.grantor_company_id,
        "grantee_person_id": mandate.grantee_person_id,
        "grantee_company_id": mandate.grantee_company_id,
        "grantee_institution_id": mandate.grantee_institution_id})])
    grantor = mandate.grantor
    record(actor, f"mandates.mandate.{verb}", mandate,
           subject=audit_subject(grantor) if isinstance(grantor, Person | Company) else None,
           details={"state": mandate.state, "scope": mandate.scope,
                    "rights": sorted(mandate.rights), **(details or {})})


def _store(grantor: Client, grantee: Party, terms: Terms, services: list[Service],
           categories: list[Category], *, state: str, basis: str, today: datetime.date,
           parent: Mandate | None = None, requested_by: Person | None = None,
           granted_by: Person | None = None, **paper: Any) -> Mandate:
    """Create the mandate and its lists; `paper`: the fields of a mandate on paper."""
    now = timezone.now()
    mandate = Mandate.objects.create(
        **_party_fields("grantor", grantor), **_party_fields("grantee", grantee),
        scope=terms.scope, valid_from=terms.valid_from or today, valid_until=terms.valid_until,
        transferable=terms.transferable, parent=parent, state=state, basis=basis,
        requested_by=requested_by, granted_by=granted_by,
        confirmed_at=now if state == MandateState.ACTIVE else None,
        **{f"may_{r}": r in set(terms.rights) for r in Right.values}, **paper)
    mandate.services.set(services)
    mandate.categories.set(categories)
    return mandate


def _within_parent(parent: Mandate, terms: Terms, services: list[Service],
                   categories: list[Category]) -> None:
    problems: dict[str, ValidationError] = {}
    if not set(terms.rights) <= parent.rights:
        problems["rights"] = ValidationError(
            _("A mandate passed on cannot give rights its own mandate does not give."),
            code="exceeds")
    if parent.scope != MandateScope.ALL:
        if parent.scope == MandateScope.SERVICES:
            reach = {s.pk for s in parent.services.all()}
        else:
            reach = set(Service.objects.filter(categories__in=parent.categories.all())
                        .values_list("pk", flat=True))
        if terms.scope == MandateScope.ALL:
            wanted: set[int] | None = None
        elif terms.scope == MandateScope.SERVICES:
            wanted = {s.pk for s in services}
        else:
            wanted = set(Service.objects.filter(categories__in=categories)
                         .values_list("pk", flat=True))
        if wanted is None or not wanted <= reach:
            problems["scope"] = ValidationError(
                _("A mandate passed on cannot cover services its own mandate does not cover."),
                code="exceeds")
    start = terms.valid_from or timezone.localdate()
    if start < parent.valid_from or (parent.valid_until is not None and (
            terms.valid_until is None or terms.valid_until > parent.valid_until)):
        problems["valid_until"] = ValidationError(
            _("A mandate passed on cannot last longer than its own mandate."), code="exceeds")
    if problems:
        raise ValidationError(problems)


def grant(actor: Actor, grantor: Client, grantee_code: str, terms: Terms, *,
          basis: str = MandateBasis.EACCOUNT, parent: Mandate | None = None) -> Mandate:
    """The grantor side grants a mandate at once (state active) to the person or company that
    `grantee_code` names (`find_party`). Without `parent`: the actor must manage `grantor`'s
    mandates (themself, a minor child, a company they represent alone). With `parent`: the
    actor passes on a mandate they hold, which must be in force and `transferable`; the new
    one is granted by the same grantor and never exceeds it.

    Raises ValidationError (nothing stored): `grantee_code` for an unknown or invalid code, a
    mandate to oneself (`self`) or one that overlaps a mandate in force, waiting for its start
    or requested between the same sides (`duplicate`, naming it: `overlapping`);
    `grantor` when the actor may not grant for it (`powers`); `scope`, `service_ids`,
    `category_ids`, `rights`, `valid_from`, `valid_until` for terms that are not valid or
    exceed the parent (`exceeds`)."""
    me = actor.person
    today = timezone.localdate()
    if me is None:
        raise PermissionDenied("only a signed-in person grants mandates")
    if parent is None:
        if not allowed(actor, MandateAction.MANAGE, None, grantor):
            raise _error("grantor", _("You can grant mandates only for yourself, your minor "
                                      "child or a company you represent alone."), "powers")
    elif not (queries.holds(me, parent) and _same_party(parent.grantor, grantor)
              and parent.transferable and parent.current_state(today) == MandateState.ACTIVE
              and parent.valid_from <= today):
        raise _error("grantor", _("This mandate may not be passed on."), "not_transferable")
    grantee = find_party(grantee_code, institutions=parent is None)
    if _same_party(grantee, grantor) or _same_party(grantee, me):
        raise _error("grantee_code", _("A mandate cannot be given to oneself."), "self")
    _refuse_minor(grantee, today, "grantee_code")
    services, categories = _check_terms(terms, today=today)
    if parent is not None:
        _within_parent(parent, terms, services, categories)
    with transaction.atomic():
        _check_duplicate(grantor, grantee, terms, services, categories, today,
                         "grantee_code")
        mandate = _store(grantor, grantee, terms, services, categories,
                         state=MandateState.ACTIVE, basis=basis, today=today, parent=parent,
                         granted_by=me)
        _publish(actor, mandate, "grant")
    return mandate


@dataclass(frozen=True)
class Paper:
    """The paper a mandate recorded at a centre rests on: its `basis` (`MandateBasis.
    SCANNED_PAPER` or `NOTARIAL_DEED`), the number of the identity document the signer showed
    (only its last four characters are audited), and for a notarial deed its number in the
    notary's register (up to 40 characters), the notary's name (up to 200) and its date."""

    basis: str
    document_number: str
    deed_number: str = ""
    deed_notary: str = ""
    deed_date: datetime.date | None = None


def _check_paper(paper: Paper, today: datetime.date) -> None:
    problems: dict[str, ValidationError] = {}
    if paper.basis not in PAPER_BASES:
        problems["basis"] = ValidationError(_("Choose what the mandate rests on."),
                                            code="invalid")
    if not paper.document_number.strip():
        problems["document_number"] = ValidationError(
            _("Enter the number of the identity document the signer showed."), code="required")
    if paper.basis == MandateBasis.NOTARIAL_DEED:
        if not paper.deed_number.strip():
            problems["deed_number"] = ValidationError(
                _("Enter the deed's number in the notary's register."), code="required")
        elif len(paper.deed_number.strip()) > 40:
            problems["deed_number"] = ValidationError(
                _("The deed's number has at most 40 characters."), code="max_length")
        if len(paper.deed_notary.strip()) > 200:
            problems["deed_notary"] = ValidationError(
                _("The notary's name has at most 200 characters."), code="max_length")
        if paper.deed_date is None:
            problems["deed_date"] = ValidationError(_("Enter the day the deed was made."),
                                                    code="required")
        elif paper.deed_date > today:
            problems["deed_date"] = ValidationError(
                _("A deed cannot be made after today."), code="future")
    if problems:
        raise ValidationError(problems)


def record_on_paper(actor: Actor, signer: Person, grantor: Client, grantee_code: str,
                    terms: Terms, paper: Paper, *, evidence_document_id: int) -> Mandate:
    """A client-service agent records a mandate of `grantor` to the person, company or
    institution `grantee_code` names (`find_party`), from a paper `signer` brings to the
    centre: a signed paper scanned there, or a notarial deed (seed §C1: "pilnvaras ... uz
    papīra"). It takes effect at once (state active) with the paper's `basis`, the agent's
    institution, the scan (`evidence_document_id`, a document the caller stored in the same
    transaction) and the deed's particulars; both sides are notified (`mandate.changed`) and the
    grantor sees it among the given mandates, with its basis.

    Raises PermissionDenied when the actor is not a client-service agent
    (`MandateAction.RECORD_ON_PAPER`); ValidationError (nothing stored): `grantor` when the
    signer may not grant for it (`powers`: only themself, their minor child or a company they
    represent alone), the grant's own codes (`grantee_code` `self`/`duplicate`/unknown,
    `scope`, `service_ids`, `category_ids`, `rights`, `valid_from`, `valid_until`), and the
    paper's: `basis` (`invalid`), `document_number` (`required`), `deed_number` (`required`,
    `max_length`), `deed_notary` (`max_length`), `deed_date` (`required`, `future`)."""
    today = timezone.localdate()
    if not allowed(actor, MandateAction.RECORD_ON_PAPER, None, grantor):
        raise PermissionDenied("not a client-service agent")
    _check_paper(paper, today)
    if not allowed(Actor(kind="person", person=signer), MandateAction.MANAGE, None, grantor):
        raise _error("grantor", _("The signer can grant mandates only for themself, their "
                                  "minor child or a company they represent alone."), "powers")
    grantee = find_party(grantee_code, institutions=True)
    if _same_party(grantee, grantor) or _same_party(grantee, signer):
        raise _error("grantee_code", _("A mandate cannot be given to oneself."), "self")
    _refuse_minor(grantee, today, "grantee_code")
    services, categories = _check_terms(terms, today=today)
    deed: dict[str, Any] = {"deed_number": paper.deed_number.strip(),
                            "deed_notary": paper.deed_notary.strip(),
                            "deed_date": paper.deed_date} \
        if paper.basis == MandateBasis.NOTARIAL_DEED else {}
    with transaction.atomic():
        _check_duplicate(grantor, grantee, terms, services, categories, today, "grantee_code")
        mandate = _store(grantor, grantee, terms, services, categories,
                         state=MandateState.ACTIVE, basis=paper.basis, today=today,
                         granted_by=signer, recorded_by_institution_id=actor.institution_id,
                         evidence_document_id=evidence_document_id, **deed)
        _publish(actor, mandate, "record_on_paper", details={
            "basis": paper.basis, "document": evidence_document_id,
            "identity_document": paper.document_number.strip()[-4:]})
    return mandate


def request(actor: Actor, grantee: Client, grantor_code: str, terms: Terms) -> Mandate:
    """A would-be representative (`grantee`: the actor themself, or a company they represent
    alone) asks the grantor that `grantor_code` names for a mandate; it takes effect only when
    the grantor confirms it (`confirm`). Raises ValidationError (nothing stored): `grantor_code`
    for an unknown or invalid code, a request to oneself (`self`) or one that overlaps a
    mandate or request there is (`duplicate` on `grantor_code`, `overlapping`); `grantee`
    when the actor may not ask in the grantee's name (`powers`);
    the terms' fields as `grant`."""
    me = actor.person
    today = timezone.localdate()
    if me is None:
        raise PermissionDenied("only a signed-in person requests mandates")
    if not allowed(actor, MandateAction.MANAGE, None, grantee):
        raise _error("grantee", _("You can ask for a mandate only for yourself or a company "
                                  "you represent alone."), "powers")
    grantor = find_party(grantor_code, "grantor_code")
    assert not isinstance(grantor, Institution)  # found only with `institutions`
    if _same_party(grantee, grantor) or _same_party(grantor, me):
        raise _error("grantor_code", _("A mandate cannot be given to oneself."), "self")
    _refuse_minor(grantee, today, "grantee")
    services, categories = _check_terms(terms, today=today)
    with transaction.atomic():
        _check_duplicate(grantor, grantee, terms, services, categories, today,
                         "grantor_code")
        mandate = _store(grantor, grantee, terms, services, categories,
                         state=MandateState.REQUESTED, basis=MandateBasis.EACCOUNT,
                         today=today, requested_by=me)
        _publish(actor, mandate, "request")
    return mandate


def _refuse_minor(grantee: Party, today: datetime.date, field: str) -> None:
    """A representative must be of age (Civil Law: a minor acts through their parents, never
    for others): a mandate to a minor is refused (`minor`)."""
    if isinstance(grantee, Person) and grantee.is_minor(today):
        raise _error(field, _("A mandate cannot be given to a minor (under 18)."), "minor")


def _locked(mandate: Mandate) -> Mandate:
    return Mandate.objects.select_for_update().get(pk=mandate.pk)


def confirm(actor: Actor, mandate: Mandate) -> Mandate:
    """The grantor side confirms a request made to it: the mandate is active from now (or
    from its start). Raises ValidationError (nothing changed): `mandate` for someone else's
    request (`powers`), one that is not waiting (`state`), or whose period has passed
    (`past`)."""
    return _answer(actor, mandate, confirmed=True)


def refuse(actor: Actor, mandate: Mandate) -> Mandate:
    """The grantor side refuses a request made to it (state refused; who and when kept).
    Raises ValidationError as `confirm`."""
    return _answer(actor, mandate, confirmed=False)


def _answer(actor: Actor, mandate: Mandate, *, confirmed: bool) -> Mandate:
    me = actor.person
    if me is None:
        raise PermissionDenied("only a signed-in person answers a request")
    today = timezone.localdate()
    with transaction.atomic():
        locked = _locked(mandate)
        if not allowed(actor, MandateAction.MANAGE, None, locked.grantor):
            raise _error("mandate", _("Only the person asked for the mandate, or their "
                                      "representative, can answer this request."), "powers")
        if locked.state != MandateState.REQUESTED:
            raise _error("mandate", _("This request has already been answered."), "state")
        if confirmed and me.pk in (locked.requested_by_id, locked.grantee_person_id):
            raise _error("mandate", _("A request cannot be confirmed by the person who asked "
                                      "for it or would receive it (acting for a child or a "
                                      "company too): the grantor side confirms it."), "own")
        now = timezone.now()
        if confirmed:
            if locked.valid_until is not None and locked.valid_until < today:
                raise _error("mandate", _("The period of this request has already ended."),
                             "past")
            locked.state, locked.granted_by, locked.confirmed_at = (
                MandateState.ACTIVE, me, now)
            if locked.valid_from < today:
                locked.valid_from = today
        else:
            locked.state, locked.ended_by, locked.ended_at = MandateState.REFUSED, me, now
        locked.save()
        _publish(actor, locked, "confirm" if confirmed else "refuse")
    return locked


def revoke(actor: Actor, mandate: Mandate) -> Mandate:
    """End a mandate at once: its grantor side revokes it, or its grantee side renounces it;
    the mandates passed on from it end with it. Who ended it and when are kept (shown to both
    sides for 15 months). Raises ValidationError (nothing changed): `mandate` for someone
    who is neither side (`powers`) or a mandate that has already ended (`state`)."""
    me = actor.person
    if me is None:
        raise PermissionDenied("only a signed-in person revokes a mandate")
    today = timezone.localdate()
    with transaction.atomic():
        locked = _locked(mandate)
        if not (allowed(actor, MandateAction.MANAGE, None, locked.grantor)
                or allowed(actor, MandateAction.MANAGE, None, locked.grantee)):
            raise _error("mandate", _("Only the grantor or the holder of this mandate can "
                                      "revoke it."), "powers")
        if locked.current_state(today) not in (MandateState.ACTIVE, MandateState.REQUESTED):
            raise _error("mandate", _("This mandate has already ended."), "state")
        now = timezone.now()
        ended = [locked]
        frontier = [locked.pk]
        while frontier:  # the mandates passed on from it, at any depth
            children = list(Mandate.objects.select_for_update().filter(
                parent_id__in=frontier, state__in=[MandateState.ACTIVE,
                                                   MandateState.REQUESTED]))
            ended += children
            frontier = [c.pk for c in children]
        for item in ended:
            item.state, item.ended_by, item.ended_at = MandateState.REVOKED, me, now
            item.save(update_fields=["state", "ended_by", "ended_at"])
            _publish(actor, item, "revoke")
    return locked
