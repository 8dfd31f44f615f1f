"""Catalogue writes (A1, A5): `create_service` and `update_service` check the access policy,
write the audit log and reindex the service for search, all in one transaction; the imports of
the pilot catalogue. Reads are in `durvis.catalog.queries`.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
import secrets
import time
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from durvis.access.policy import decide, require
from durvis.audit.services import record
from durvis.catalog.models import (
    Category,
    Claim,
    Delegation,
    EmbedOrigin,
    EService,
    LifeSituation,
    Service,
    Stage,
    TreeNode,
)
from durvis.catalog.queries import SEARCH_KIND, day_of, eservice_for, in_force
from durvis.catalog.rules import CatalogAction
from durvis.core import signing_keys
from durvis.core.actor import Actor
from durvis.core.addresses import browser_address_problem, check_browser_address, origin_of
from durvis.core.concurrency import advance_version
from durvis.identity.models import Company, Institution, Person
from durvis.identity.rules import IdentityAction
from durvis.search import services as search
from durvis.search.models import Synonyms

FIRST_SERVICE_CODE = 1000
TRANSLATED_FIELDS = ("name", "summary", "description")


def next_service_code() -> int:
    """Codes are never reused: the next code follows the highest ever given (services are never
    deleted, so the highest is still in the table)."""
    highest = Service.objects.aggregate(top=Coalesce(Max("code"), FIRST_SERVICE_CODE - 1))["top"]
    return int(highest) + 1


def reindex(service: Service) -> None:
    """Index the service for search: its names in every language (a match there ranks first),
    its summaries, descriptions and holder, and its code and pilot code (matched whole)."""
    names = [str(getattr(service, f"name_{lang}") or "") for lang in ("lv", "en")]
    texts: list[str] = [service.holder.code]
    for field in TRANSLATED_FIELDS[1:]:
        texts.extend(str(getattr(service, f"{field}_{lang}") or "") for lang in ("lv", "en"))
    texts.extend(str(getattr(service.holder, f"name_{lang}") or "") for lang in ("lv", "en"))
    search.index(SEARCH_KIND, service.pk, texts, names=names,
                 codes=[str(service.code), service.pilot_code])


def reindex_all() -> int:
    """Index every service again (`manage.py search_reindex`); how many."""
    count = 0
    for service in Service.objects.select_related("holder").order_by("pk").iterator():
        with transaction.atomic():
            reindex(service)
        count += 1
    return count


@transaction.atomic
def create_service(
    actor: Actor, holder: Institution, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]]
) -> Service:
    """Add a service to the `holder`'s catalogue under the next code (`next_service_code`),
    index it for search and audit it; returns it. `fields` maps model field names to values
    (e.g. `name_lv`, `audience`, `status`); `relations` maps many-to-many names (`categories`,
    `life_situations`) to the objects to link (providers are delegations: `create_delegation`).
    Raises PermissionDenied unless the actor is the holder's (pakalpojuma turētājs) institution administrator
    (`CatalogAction.CREATE_SERVICE`, A5), and ValidationError keyed by model field from the
    model's validation (`full_clean`); an unknown field name is a programming error
    (TypeError)."""
    decision = decide(actor, CatalogAction.CREATE_SERVICE, holder)
    if not decision:
        raise PermissionDenied(decision.reason)
    service = Service(holder=holder, code=next_service_code(), **fields)
    service.full_clean()
    service.save()
    _set_relations(service, relations)
    reindex(service)
    record(actor, "catalog.service.create", service, details={"code": service.code})
    return service


@transaction.atomic
def update_service(
    actor: Actor, service: Service, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]],
    *, version: int | None = None,
) -> Service:
    """Change a service's `fields` and `relations` (shapes as in `create_service`) and reindex
    it; the audit event lists the fields and relations that changed, and the service's version
    moves on. `version` is the version the edit form was opened on (None: no form). Raises
    PermissionDenied unless the actor is the administrator of the service's holder
    (`CatalogAction.CHANGE_SERVICE`, A5); StaleVersion (`durvis.core.concurrency`), saving
    nothing, when the service changed after the form was opened (another administrator, another
    tab, an import); and ValidationError keyed by model field from the model's validation
    (nothing is saved then, but the `service` instance keeps the new values); an unknown field
    or relation name is a programming error (AttributeError)."""
    decision = decide(actor, CatalogAction.CHANGE_SERVICE, service)
    if not decision:
        raise PermissionDenied(decision.reason)
    service.version = advance_version(Service.objects.filter(pk=service.pk), version)
    changed = sorted(name for name, value in fields.items() if getattr(service, name) != value)
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean()
    service.save()
    changed += _set_relations(service, relations)
    reindex(service)
    record(actor, "catalog.service.update", service, details={"changed": changed})
    return service


def _relations_differ(service: Service, relations: Mapping[str, Iterable[Any]]) -> bool:
    return any({v.pk for v in values} != set(getattr(service, name).values_list("pk", flat=True))
               for name, values in relations.items())


def _set_relations(service: Service, relations: Mapping[str, Iterable[Any]]) -> list[str]:
    changed = []
    for name, values in relations.items():
        manager = getattr(service, name)
        wanted = {v.pk for v in values}
        if wanted != set(manager.values_list("pk", flat=True)):
            manager.set(list(values))
            changed.append(name)
    return changed


@transaction.atomic
def import_service(
    code: int, holder: Institution, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]]
) -> tuple[Service, bool]:
    """Create or update a service under a given code, as a trusted import (demo data, a
    migration from an institution's old catalogue): no access check and no audit event. `fields`
    and `relations` are shaped as in `create_service`. Returns (service, changed); a service
    whose data is unchanged is not written again, a changed one gets its next version (an open
    edit form notices). Raises ValidationError keyed by model field from the model's
    validation."""
    service = Service.objects.select_for_update().filter(code=code).first() or Service(code=code)
    fields = {**fields, "holder": holder}
    changed = service.pk is None or any(getattr(service, k) != v for k, v in fields.items())
    changed = changed or _relations_differ(service, relations)
    if changed:
        for name, value in fields.items():
            setattr(service, name, value)
        if service.pk is not None:
            service.version += 1  # the row is locked (select_for_update above)
        service.full_clean(validate_unique=True)
        service.save()
        _set_relations(service, relations)
        reindex(service)
    return service, changed


@transaction.atomic
def import_tree_node(
    model: type[Category] | type[LifeSituation], slug: str, fields: dict[str, Any], parent: Any,
) -> TreeNode:
    """Create or update a category or life situation by slug (trusted import)."""
    node, _ = model.objects.update_or_create(slug=slug, defaults={**fields, "parent": parent})
    return node


# --- Holders and providers, per stage (A1, B3; issue 16) ---------------------------------------

def _field(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def _date_text(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _period_text(start: datetime.date, end: datetime.date | None) -> str:
    """A delegation's period as a phrase: "from 01.12.2026 to 31.12.2026", or "from 01.12.2026,
    with no end date" for one that runs until it is ended."""
    if end is None:
        return _("from %(start)s, with no end date") % {"start": _date_text(start)}
    return _("from %(start)s to %(end)s") % {"start": _date_text(start), "end": _date_text(end)}


def _overlapping(service: Service, provider: Institution, stage: str, valid_from: datetime.date,
                 valid_until: datetime.date | None) -> Delegation | None:
    """A delegation of the same stage of the service to the same provider whose period shares a
    day with [valid_from, valid_until] (an empty period left by an early ending shares none)."""
    rows = Delegation.objects.filter(service=service, provider=provider, stage=stage).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")))
    if valid_until is not None:
        rows = rows.filter(valid_from__lte=valid_until)
    return rows.order_by("valid_from").first()


@transaction.atomic
def create_delegation(actor: Actor, service: Service, *, provider: Institution, stage: str,
                      valid_from: datetime.date, valid_until: datetime.date | None = None,
                      ) -> Delegation:
    """The holder hands `stage` (a `models.Stage` value) of `service` to `provider` from
    `valid_from` to `valid_until` (both days included; None: until ended); audited as
    `catalog.delegation.create`. Returns the delegation.

    Raises PermissionDenied unless the actor is the holder's institution administrator
    (`CatalogAction.MANAGE_DELEGATIONS`); ValidationError keyed `provider` (`holder`: the
    holder serves every stage itself), `stage` (`invalid`), `valid_from` (`past`: before
    today, a decision already taken cannot be re-made), `valid_until` (`order`: before
    `valid_from`), `valid_from` (`overlap`: the provider has this stage already for a day of
    the period). The service's row is locked while the overlap is checked, so two
    administrators cannot both add one."""
    require(actor, CatalogAction.MANAGE_DELEGATIONS, service)
    Service.objects.select_for_update().filter(pk=service.pk).first()
    if provider.pk == service.holder_id:
        raise _field("provider", _("The holder provides every stage of its own services: "
                                   "choose another institution."), "holder")
    if stage not in Stage.values:
        raise _field("stage", _("Choose a stage from the list."), "invalid")
    if valid_from < day_of():
        raise _field("valid_from", _("The delegation cannot begin before today."), "past")
    if valid_until is not None and valid_until < valid_from:
        raise _field("valid_until", _("The end date cannot be before the start date."), "order")
    clash = _overlapping(service, provider, stage, valid_from, valid_until)
    if clash is not None:
        raise _field("valid_from", _(
            "%(provider)s has this stage of the service already %(period)s: end that "
            "delegation or choose days outside it.") % {
                "provider": provider.name,
                "period": _period_text(clash.valid_from, clash.valid_until)}, "overlap")
    delegation = Delegation.objects.create(
        service=service, provider=provider, stage=stage, valid_from=valid_from,
        valid_until=valid_until, created_by=actor.staff)
    record(actor, "catalog.delegation.create", delegation, details={
        "service": service.code, "provider": provider.code, "stage": stage,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None})
    return delegation


@transaction.atomic
def end_delegation(actor: Actor, delegation: Delegation) -> Delegation:
    """End a delegation from today: it holds until yesterday (a delegation not begun yet never
    holds); the provider's staff and systems lose the stage at once. Audited as
    `catalog.delegation.end`. Raises PermissionDenied unless the actor is the holder's
    institution administrator (`CatalogAction.MANAGE_DELEGATIONS`); ValidationError keyed
    `delegation` (`ended`) when it was ended already or its period is over."""
    delegation = Delegation.objects.select_for_update().select_related(
        "service", "provider").get(pk=delegation.pk)
    require(actor, CatalogAction.MANAGE_DELEGATIONS, delegation.service)
    today = day_of()
    if delegation.ended_at is not None or (
            delegation.valid_until is not None and delegation.valid_until < today):
        raise _field("delegation", _("This delegation has ended already."), "ended")
    delegation.valid_until = today - datetime.timedelta(days=1)
    delegation.ended_at, delegation.ended_by = timezone.now(), actor.staff
    delegation.save(update_fields=["valid_until", "ended_at", "ended_by"])
    record(actor, "catalog.delegation.end", delegation, details={
        "service": delegation.service.code, "provider": delegation.provider.code,
        "stage": delegation.stage, "valid_until": delegation.valid_until.isoformat()})
    return delegation


@transaction.atomic
def import_delegations(service: Service, stages: Mapping[Institution, Iterable[str]], *,
                       since: datetime.date) -> int:
    """Make each provider's `stages` of `service` hold today, as a trusted import (demo data, a
    migration from an institution's old catalogue): no access check and no audit event. A stage
    the provider never had begins on `since`; one that ended begins again today; one in force
    or still to come is left as it is, and nothing is ended. Returns how many it added. Raises
    ValueError for the holder or an unknown stage."""
    added = 0
    today = day_of()
    for provider, provider_stages in stages.items():
        for stage in provider_stages:
            if provider.pk == service.holder_id or stage not in Stage.values:
                raise ValueError(f"no delegation of {stage!r} to {provider.code}")
            rows = Delegation.objects.filter(service=service, provider=provider, stage=stage)
            if rows.filter(in_force(today) | Q(valid_from__gt=today, ended_at__isnull=True)
                           ).exists():
                continue
            Delegation.objects.create(service=service, provider=provider, stage=stage,
                                      valid_from=today if rows.exists() else since)
            added += 1
    return added


# --- Holders' e-services: single sign-on and embedding (A12, A10, issue 13) ----------------------

MAX_RETURN_URLS = 10


def _require_manager(actor: Actor, institution: Institution) -> None:
    decision = decide(actor, CatalogAction.MANAGE_ESERVICES, institution)
    if not decision:
        raise PermissionDenied(decision.reason)


def _checked_return_urls(urls: Iterable[str]) -> list[str]:
    """The return addresses, each a browser address (`core.addresses`), once each, 1 to
    MAX_RETURN_URLS. Raises ValidationError keyed `return_urls` with the first problem's code."""
    cleaned = list(dict.fromkeys(url.strip() for url in urls if url.strip()))
    if not cleaned or len(cleaned) > MAX_RETURN_URLS:
        raise ValidationError({"return_urls": ValidationError(
            _("Give from 1 to %(max)d return addresses, one per line.") % {"max": MAX_RETURN_URLS},
            code="count")})
    for url in cleaned:
        check_browser_address(url, "return_urls")
    return cleaned


@transaction.atomic
def register_eservice(actor: Actor, institution: Institution, *, name: str,
                      return_urls: Iterable[str], claims: Iterable[str]) -> EService:
    """Register an e-service of `institution` for single sign-on (A12): a new `client_id`
    (`es_` and 16 hex digits, the `aud` of its hand-off tokens), its return addresses (https,
    no credentials; where the tokens are POSTed) and the claims it is entitled to
    (`models.Claim` values). Audited. Raises PermissionDenied unless the actor is the
    institution's administrator (`CatalogAction.MANAGE_ESERVICES`), ValidationError keyed
    `return_urls` (codes `count`, `scheme`, `host`, `credentials`, `port`, `fragment`) or
    `claims`."""
    _require_manager(actor, institution)
    eservice = EService(institution=institution, name=name.strip(),
                        client_id=f"es_{secrets.token_hex(8)}",
                        return_urls=_checked_return_urls(return_urls), claims=sorted(set(claims)))
    eservice.full_clean()
    eservice.save()
    record(actor, "catalog.eservice.register", eservice,
           details={"client_id": eservice.client_id, "claims": eservice.claims})
    return eservice


@transaction.atomic
def update_eservice(actor: Actor, eservice: EService, *, name: str, return_urls: Iterable[str],
                    claims: Iterable[str], is_active: bool, version: int | None = None,
                    ) -> EService:
    """Change a registered e-service (shapes and refusals as `register_eservice`); `version` is
    the version its form was opened on: StaleVersion, saving nothing, when it changed since.
    A deactivated e-service receives no hand-off. Audited with what changed."""
    _require_manager(actor, eservice.institution)
    eservice.version = advance_version(EService.objects.filter(pk=eservice.pk), version)
    new = {"name": name.strip(), "return_urls": _checked_return_urls(return_urls),
           "claims": sorted(set(claims)), "is_active": is_active}
    changed = sorted(key for key, value in new.items() if getattr(eservice, key) != value)
    for key, value in new.items():
        setattr(eservice, key, value)
    eservice.full_clean()
    eservice.save()
    record(actor, "catalog.eservice.update", eservice, details={"changed": changed})
    return eservice


def _checked_origin(origin: str) -> str:
    """`https://host[:port]` exactly (no path, query or credentials; `http` on a loopback host
    in demo mode, as `core.addresses.browser_address_problem`), lower-cased. Raises
    ValidationError keyed `origin`."""
    origin = origin.strip().rstrip("/").lower()
    problem = browser_address_problem(origin)
    if problem is None:
        parts = urllib.parse.urlsplit(origin)
        if parts.path or parts.query or origin.endswith("?"):
            problem = "path"
        origin = origin_of(origin)  # an internationalised host as browsers send it (IDNA)
    if problem is not None:
        raise ValidationError({"origin": ValidationError(
            _("Give the web site as https://portal.example.lv, without a path."), code=problem)})
    return origin


@transaction.atomic
def add_embed_origin(actor: Actor, institution: Institution, origin: str) -> EmbedOrigin:
    """Let the web site `origin` frame the e-forms of the institution's services (A10); audited.
    Raises PermissionDenied (`CatalogAction.MANAGE_ESERVICES`), ValidationError keyed `origin`
    (not `https://host[:port]`: codes as `core.addresses.address_problem`, or `path`; `duplicate`
    when it is registered already)."""
    _require_manager(actor, institution)
    origin = _checked_origin(origin)
    if EmbedOrigin.objects.filter(institution=institution, origin=origin).exists():
        raise ValidationError({"origin": ValidationError(
            _("This web site may embed your forms already."), code="duplicate")})
    embed = EmbedOrigin.objects.create(institution=institution, origin=origin)
    record(actor, "catalog.embed_origin.add", embed, details={"origin": origin})
    return embed


@transaction.atomic
def remove_embed_origin(actor: Actor, embed: EmbedOrigin) -> None:
    """Stop letting a web site frame the institution's e-forms (from the next page load on);
    audited. Raises PermissionDenied (`CatalogAction.MANAGE_ESERVICES`)."""
    _require_manager(actor, embed.institution)
    record(actor, "catalog.embed_origin.remove", embed, details={"origin": embed.origin})
    embed.delete()


# --- The single sign-on hand-off (A12, A10) ------------------------------------------------------

HANDOFF_TOKEN_TYPE = "durvis-handoff+jwt"  # noqa: S105 - a media type, not a secret
ACR_NATIONAL = "urn:durvis:acr:national-signin"


@dataclass(frozen=True)
class HandOff:
    """A hand-off ready for the browser: POST `token` (form field `handoff_token`) to `url`."""

    eservice: EService
    url: str
    token: str
    jti: str


def pairwise_subject(institution: Institution, party: Person | Company) -> str:
    """The stable identifier of a person or company for one holder institution (OpenID Connect
    Core §8.1, pairwise): the same for every e-service of the institution and every hand-off,
    different for another institution, and no personal code in it. 43 base64url characters."""
    kind = "company" if isinstance(party, Company) else "person"
    digest = hmac.new(settings.SECRET_KEY.encode(),
                      f"durvis-pairwise:{institution.code}:{kind}:{party.pk}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _role_claims(eservice: EService, me: Person, client: Person | Company) -> dict[str, Any]:
    """`act_as`: in whose name the person acts: themself, a minor child, a company (with its
    registration number); the child's personal code only with the `personal_code` claim."""
    institution = eservice.institution
    if isinstance(client, Company):
        return {"kind": "company", "name": client.name,
                "registration_number": client.registration_number,
                "sub": pairwise_subject(institution, client)}
    if client.pk == me.pk:
        return {"kind": "self"}
    role = {"kind": "child", "name": str(client), "sub": pairwise_subject(institution, client)}
    if Claim.PERSONAL_CODE in eservice.claims:
        role["personal_code"] = client.personal_code
    return role


@transaction.atomic
def hand_off(actor: Actor, service: Service, *, client: Person | Company, language: str,
             signed_in_at: float | None = None, method: str = "") -> HandOff:
    """Hand the signed-in person over to the holder's e-service of a holder-hosted `service`
    (A12 single sign-on, A10): a token signed with the platform's key (`core.signing_keys`,
    ES256, published as JWKS) for the holder's registered e-service whose return addresses hold
    the service's e-service address (`queries.eservice_for`), to be POSTed there by the browser.

    Claims: `iss` (DURVIS_PUBLIC_URL), `aud` (the e-service's `client_id`), `sub` (pairwise per
    holder institution, `pairwise_subject`), `iat`, `nbf`, `exp` (+DURVIS_HANDOFF_TOKEN_SECONDS,
    120), `jti` (random, once: the e-service refuses a `jti` it saw), `auth_time` (the national
    sign-in, Unix seconds; `signed_in_at`), `acr` (ACR_NATIONAL), `amr` (the sign-in's protocol
    and method, `method`), `given_name`, `family_name`, `name`, `act_as` (`_role_claims`),
    `service` (`{"code", "name"}`), `locale`; `personal_code` and `email` only when the
    registration lists them (`models.Claim`). Audited as `catalog.eservice.handoff` with the
    service, the client id, the role's kind and the `jti` (never a personal code).

    Raises PermissionDenied (`identity.IdentityAction.CLIENT_WRITE`: the actor may not act in
    `client`'s name, e.g. a joint representative, with the rule's explanation; or no person is
    signed in); LookupError when the service is not holder-hosted or no active registration of
    its holder has its address (the hand-off cannot be made)."""
    me = actor.person
    if me is None:
        raise PermissionDenied("only a signed-in person is handed over")
    require(actor, IdentityAction.CLIENT_WRITE, None, client=client)
    eservice = eservice_for(service)
    if eservice is None:
        raise LookupError(f"service {service.code} has no registered e-service to hand over to")
    now = int(time.time())
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "iss": str(settings.DURVIS_PUBLIC_URL).rstrip("/"), "aud": eservice.client_id,
        "sub": pairwise_subject(eservice.institution, me), "iat": now, "nbf": now,
        "exp": now + int(settings.DURVIS_HANDOFF_TOKEN_SECONDS), "jti": jti,
        "acr": ACR_NATIONAL, "amr": [part for part in method.split(":") if part] or ["national"],
        "given_name": me.given_name, "family_name": me.family_name, "name": str(me),
        "act_as": _role_claims(eservice, me, client),
        "service": {"code": service.code, "name": service.name}, "locale": language,
    }
    if signed_in_at is not None:
        claims["auth_time"] = int(signed_in_at)
    if Claim.PERSONAL_CODE in eservice.claims:
        claims["personal_code"] = me.personal_code
    if Claim.EMAIL in eservice.claims and me.email:
        claims["email"] = me.email
    record(actor, "catalog.eservice.handoff", eservice, subject=me,
           details={"service": service.code, "client_id": eservice.client_id,
                    "role": claims["act_as"]["kind"], "jti": jti,
                    "claims": sorted(eservice.claims)})
    return HandOff(eservice=eservice, url=service.eservice_url,
                   token=signing_keys.sign(claims, typ=HANDOFF_TOKEN_TYPE), jti=jti)


MAX_SYNONYM_TERMS = 20
SYNONYM_SEPARATORS = re.compile(r"[/=;|\n]")
MARKUP = re.compile(r"[<>&{}\[\]\\\"`]")
MAX_SYNONYM_LENGTH = 100
SYNONYM_LANGUAGES = ("lv", "en")


def _synonym_words(language: str, words: Iterable[str]) -> list[str]:
    """The group's words or phrases, checked. Raises ValidationError keyed by `language` or
    `words`."""
    if language not in SYNONYM_LANGUAGES:
        raise ValidationError({"language": _("Choose Latvian or English.")})
    # "un / par" or "tax return = income declaration" on one line are two phrases, not one
    # (issue 19's review): a line is split at `/`, `=`, `;` and `|`.
    words = list(words)
    parts = [part for line in words for part in SYNONYM_SEPARATORS.split(line)]
    markup = [line.strip() for line in words if MARKUP.search(line)]
    if markup:  # "<b>" is no word a person searches for, and the page would show it
        raise ValidationError({"words": _(
            "Words may not contain markup or the signs < > & { } [ ] \\ \" `: %(words)s. Give "
            "the words as people type them.") % {"words": ", ".join(markup)}})
    # Phrases the search reads alike ("Pase" and "pase ", "pase" and "pases") are one: the
    # first is kept (a fresh tester saved "Pase / pase" as a group of two).
    alike: dict[tuple[str, ...], str] = {}
    for phrase in (" ".join(w.split()) for w in parts if w.strip()):
        alike.setdefault(tuple(search.query_words(phrase)) or (phrase.casefold(),), phrase)
    phrases = list(alike.values())
    if len(phrases) < 2:
        raise ValidationError({"words": _(
            "Give at least two different words or phrases, separated by a new line or by / = ; "
            "| (words that differ only in case or ending are one to the search).")})
    if len(phrases) > MAX_SYNONYM_TERMS:
        raise ValidationError({"words": _("Give at most %(count)d words or phrases.")
                               % {"count": MAX_SYNONYM_TERMS}})
    if any(len(p) > MAX_SYNONYM_LENGTH for p in phrases):
        raise ValidationError({"words": _("Each word or phrase may be at most %(count)d "
                                          "characters long.") % {"count": MAX_SYNONYM_LENGTH}})
    unsearchable = [p for p in phrases if not search.synonym_stems([p])]
    if unsearchable:
        raise ValidationError({"words": _("These have no word a search can match: %(words)s.")
                               % {"words": ", ".join(unsearchable)}})
    little = [p for p in phrases if search.little_words_only(p)]
    if little:  # "un / par" would join every service that has both
        raise ValidationError({"words": _(
            "These are only little words a search leaves out (such as un, par, the): "
            "%(words)s. Give words that name what people look for.")
            % {"words": ", ".join(little)}})
    return phrases


def _refuse_same_group(language: str, phrases: list[str], group: Synonyms | None) -> None:
    """A group the search would read as one that exists already (the same stems, in any order)
    is refused naming it (a fresh tester saved an exact copy); so is a word or phrase that
    another group has (in either language: every query uses every group), naming that group:
    the two groups would silently join (issue 19's review)."""
    stems = sorted(map(tuple, search.synonym_stems(phrases)))
    others = Synonyms.objects.all()
    if group is not None:
        others = others.exclude(pk=group.pk)
    for other in others:
        if other.language == language and sorted(map(tuple, other.stems)) == stems:
            raise ValidationError({"words": _("The same group exists already: %(words)s.")
                                   % {"words": " = ".join(other.term_list)}})
    for other in others:
        theirs = {tuple(s) for s in other.stems}
        shared = [p for p, s in zip(phrases, search.synonym_stems(phrases), strict=True)
                  if tuple(s) in theirs]
        if shared:
            raise ValidationError({"words": _(
                "%(words)s is in another group already: %(group)s. Add these words to that "
                "group instead, or take it out of that group first.")
                % {"words": ", ".join(shared), "group": " = ".join(other.term_list)}})


@transaction.atomic
def save_synonyms(actor: Actor, group: Synonyms | None, *, language: str,
                  words: Iterable[str], version: int | None = None) -> Synonyms:
    """Add a synonym group (`group` None) or change one: `words` are words or phrases (2 to 20,
    100 characters each) that mean the same in `language` (`lv`, `en`) to the person searching;
    every search of every index uses them from the next query on. `version` is the version the
    editor's form showed (None: any). Audited. Raises PermissionDenied unless the actor is the
    catalogue's central editor (`CatalogAction.MANAGE_SYNONYMS`), ValidationError keyed by
    `language` or `words`, and `StaleVersion` when the group changed meanwhile."""
    require(actor, CatalogAction.MANAGE_SYNONYMS, None)
    phrases = _synonym_words(language, words)
    _refuse_same_group(language, phrases, group)
    if group is not None:
        advance_version(Synonyms.objects.filter(pk=group.pk), version)
        group = Synonyms.objects.get(pk=group.pk)
    created = group is None
    group = search.save_synonyms(group, language=language, words=phrases)
    record(actor, "catalog.synonyms.create" if created else "catalog.synonyms.update", group,
           details={"language": language, "words": phrases, "version": group.version})
    return group


@transaction.atomic
def delete_synonyms(actor: Actor, group: Synonyms) -> None:
    """Remove a synonym group; searches no longer use it. Audited (with its words). Raises
    PermissionDenied unless the actor is the catalogue's central editor."""
    require(actor, CatalogAction.MANAGE_SYNONYMS, None)
    record(actor, "catalog.synonyms.delete", group,
           details={"language": group.language, "words": group.term_list})
    search.delete_synonyms(group)


def import_synonyms(rows: Iterable[tuple[str, Iterable[str]]]) -> int:
    """Load synonym groups (language, words) that are not there yet, unaudited: the demo's
    starter set. How many were added."""
    known = {(g.language, tuple(g.term_list)) for g in Synonyms.objects.all()}
    added = 0
    for language, words in rows:
        phrases = _synonym_words(language, words)
        if (language, tuple(phrases)) not in known:
            search.save_synonyms(None, language=language, words=phrases)
            added += 1
    return added
