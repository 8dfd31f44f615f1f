"""Identity services: find and record persons, companies and staff (A12).

Other apps call these functions; they never write the identity tables themselves.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import hex_validator

from durvis.access.policy import decide
from durvis.addresses import queries as address_queries
from durvis.audit import services as audit
from durvis.core import memo
from durvis.core.actor import Actor
from durvis.core.concurrency import advance_version, check_version
from durvis.core.identifiers import (
    birth_date_from_personal_code,
    validate_company_number,
    validate_personal_code,
)
from durvis.core.phones import format_phone, parse_phone
from durvis.core.registry import Registry
from durvis.core.working_time import HoursError, WeeklyHours
from durvis.identity.models import (
    GRANTABLE_ROLES,
    Company,
    CompanyRepresentation,
    ContactConfirmation,
    ContactKind,
    Institution,
    ParentalRelation,
    Person,
    PersonCode,
    StaffMember,
    StaffRole,
)
from durvis.identity.registers import population_register
from durvis.identity.rules import IdentityAction


def refresh_declared_address(person: Person) -> int | None:
    """Ask the population register for the person's declared address (`registers.
    population_register().declared_address`), resolve it to its State Address Register code
    (the register's own code when it gives one and the address register knows it, else the
    text by `addresses.queries.resolve`) and set the declared municipality to the one the
    address lies in (its ATVK code, `Institution.atvk_code`): the catalogue shows that
    municipality's services (A1, G05). Returns the code, or None when the address is unknown
    (the municipality is left as it was). No access check: a trusted register update."""
    declared = population_register().declared_address(person)
    if declared is None:
        return None
    found = (address_queries.address(declared.code) if declared.code is not None else None) \
        or address_queries.resolve(declared.text)
    if found is None:
        return None
    atvk = address_queries.municipality_atvk(found.code)
    municipality = Institution.objects.filter(
        atvk_code=atvk, kind=Institution.Kind.MUNICIPALITY).first() if atvk else None
    person.declared_address_code = found.code
    if municipality is not None:
        person.declared_municipality = municipality
    person.save(update_fields=["declared_address_code", "declared_municipality"])
    return found.code


@transaction.atomic
def record_person(
    *,
    personal_code: str,
    given_name: str,
    family_name: str,
    historical_codes: Iterable[str] = (),
    date_of_birth: datetime.date | None = None,
    declared_municipality: Institution | None = None,
    declared_address: str = "",
    citizenship: str = "LV",
    email: str = "",
    phone: str = "",
) -> Person:
    """Create or update a person from register data (the population register, PMLP), keyed by
    any personal code (personas kods) they hold or held; no access check (trusted imports and
    demo data). Without `date_of_birth` it is read from an old-format code, if any. A
    `declared_address` is resolved to its State Address Register code, and the municipality
    it lies in becomes the declared municipality (`refresh_declared_address`); an address the
    register does not know keeps `declared_municipality` as given.

    A new current code (a move to the new format) becomes current; the old one stays historical.
    Raises ValidationError (saying what is wrong) when `personal_code` or one of
    `historical_codes` is not a valid personal code, or `phone` no valid phone number (it is
    stored in E.164, `durvis.core.phones`).
    """
    current = validate_personal_code(personal_code)
    old = [validate_personal_code(c) for c in historical_codes]
    known = PersonCode.objects.filter(code__in=[current, *old]).select_related("person").first()
    person = known.person if known else Person()
    person.personal_code = current
    person.given_name = given_name
    person.family_name = family_name
    person.date_of_birth = date_of_birth or _birth_date(current, old)
    person.declared_municipality = declared_municipality
    if person.declared_address != declared_address:
        person.declared_address, person.declared_address_code = declared_address, None
    person.citizenship = citizenship
    if person.pk is not None and (person.email, person.phone) != (email, phone):
        person.contacts_version += 1  # an open profile form notices (durvis.core.concurrency)
    person.email = email
    person.phone = parse_phone(phone) if phone else ""
    person.save()
    if declared_address:
        refresh_declared_address(person)
    PersonCode.objects.filter(person=person).exclude(code=current).update(is_current=False)
    for code in old:
        PersonCode.objects.update_or_create(
            code=code, defaults={"person": person, "is_current": False}
        )
    PersonCode.objects.update_or_create(code=current, defaults={"person": person, "is_current": True})
    return person


def _birth_date(current: str, old: list[str]) -> datetime.date | None:
    for code in [current, *old]:
        born = birth_date_from_personal_code(code)
        if born:
            return born
    return None


def record_company(
    *, registration_number: str, name: str, legal_form: str, address: str = "",
    municipality: Institution | None = None,
) -> Company:
    """Create or update a company from register data (the enterprise register, UR), keyed by its
    registration number (reģistrācijas numurs); `municipality` is where it is registered (the
    catalogue shows its representatives that municipality's services). No access check
    (trusted imports). Raises ValidationError (saying what is wrong) for a registration number
    that is not valid."""
    number = validate_company_number(registration_number)
    company, _ = Company.objects.update_or_create(
        registration_number=number,
        defaults={"name": name, "legal_form": legal_form, "address": address,
                  "municipality": municipality},
    )
    return company


def record_parental_relation(parent: Person, child: Person) -> ParentalRelation:
    """Record a parent–minor relation, valid from the child's birth until their 18th birthday."""
    born = child.date_of_birth or datetime.date.today()
    adult = _add_years(born, 18)
    relation, _ = ParentalRelation.objects.update_or_create(
        parent=parent, child=child, defaults={"valid_from": born, "valid_to": adult}
    )
    memo.forget()  # the access decisions of this request are asked again (core.memo)
    return relation


def record_representation(
    company: Company, person: Person, role: str, *, may_act_alone: bool = True,
    valid_from: datetime.date, valid_to: datetime.date | None = None,
) -> CompanyRepresentation:
    """Record that `person` may act for `company` in `role` (a `CompanyRepresentation.Role`:
    board member, procurator, owner, signatory; from the enterprise register, UR) from
    `valid_from` until `valid_to` (None: open-ended); `may_act_alone` is False where the role
    needs a co-signer. Keyed by (company, person, role): repeating it updates the rest. No access
    check (trusted imports); raises nothing."""
    representation, _ = CompanyRepresentation.objects.update_or_create(
        company=company, person=person, role=role,
        defaults={"may_act_alone": may_act_alone, "valid_from": valid_from, "valid_to": valid_to},
    )
    memo.forget()  # as in record_parental_relation
    return representation


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def record_institution(
    *, code: str, names: dict[str, str], kind: str, parent: Institution | None = None,
    registration_number: str = "", atvk_code: str = "", website: str = "",
) -> Institution:
    """Create or update an institution (iestāde) by its code (platform administration and
    imports; no access check). `names` maps a language code to the name (`{"lv": ..., "en":
    ...}`); `kind` is an `Institution.Kind`; `atvk_code` the municipality's ATVK code. Raises
    ValidationError (saying what is wrong) for a `registration_number` that is not valid."""
    if registration_number:
        registration_number = validate_company_number(registration_number)
    defaults: dict[str, object] = {
        "kind": kind, "parent": parent, "registration_number": registration_number,
        "atvk_code": atvk_code, "website": website,
        **{f"name_{lang}": name for lang, name in names.items()},
    }
    institution, _ = Institution.objects.update_or_create(code=code, defaults=defaults)
    return institution


# What an administrator reads when office hours cannot be read, by `HoursError.code`.
_HOURS_PROBLEMS = {
    "day": _("Start each part with a day or days, e.g. \"mon-fri 08:30-17:00\"; the days are "
             "mon, tue, wed, thu, fri, sat, sun."),
    "backwards": _("Write a span of days from the earlier day to the later one, e.g. mon-fri: "
                   "a span does not run past Sunday (write sat-sun; mon instead)."),
    "hours": _("Write the hours as from-to in 24-hour time, e.g. 08:30-17:00."),
    "order": _("An interval must close after it opens."),
    "overlap": _("The intervals of one day must not overlap: write them in order, apart."),
    "twice": _("Each day may be given only once."),
    "empty": _("Give the hours of at least one day."),
}
MAX_CLOSED_DAYS = 60
CLOSED_DAYS_FROM, CLOSED_DAYS_UNTIL = 2000, 2100
OFFICE_HOURS_LIMIT = 300


def read_office_hours(text: str) -> WeeklyHours:
    """The weekly hours written in `text` (`core.working_time.WeeklyHours`'s form). Raises
    ValidationError keyed `office_hours`, in the reader's language, coded as the parser's
    `HoursError` (`day`, `backwards`, `hours`, `order`, `overlap`, `twice`, `empty`) or
    `too_long`."""
    if len(text) > OFFICE_HOURS_LIMIT:
        raise ValidationError({"office_hours": ValidationError(
            _("Write the office hours in at most %(limit)d characters."), code="too_long",
            params={"limit": OFFICE_HOURS_LIMIT})})
    try:
        return WeeklyHours.parse(text)
    except HoursError as error:
        raise ValidationError({"office_hours": ValidationError(
            _HOURS_PROBLEMS[error.code], code=error.code)}) from None


def read_closed_days(text: str) -> list[datetime.date]:
    """The dates in `text` (one per line or separated by commas, `YYYY-MM-DD` or `DD.MM.YYYY`),
    sorted, each once. Raises ValidationError keyed `closed_days` (`date`: not a date, naming
    it; `range`: before `CLOSED_DAYS_FROM` or after `CLOSED_DAYS_UNTIL`; `too_many`: more
    than `MAX_CLOSED_DAYS`)."""
    days: set[datetime.date] = set()
    for part in filter(None, (p.strip() for p in text.replace(",", "\n").splitlines())):
        day = _date_of(part)
        if day is None:
            raise ValidationError({"closed_days": ValidationError(
                _("“%(text)s” is not a date: write dates as 2026-12-24 or 24.12.2026, one on a "
                  "line."), code="date", params={"text": part[:40]})})
        if not CLOSED_DAYS_FROM <= day.year <= CLOSED_DAYS_UNTIL:
            raise ValidationError({"closed_days": ValidationError(
                _("%(text)s is not a day of the institution's calendar (years %(first)d to "
                  "%(last)d)."), code="range",
                params={"text": part[:40], "first": CLOSED_DAYS_FROM,
                        "last": CLOSED_DAYS_UNTIL})})
        days.add(day)
    if len(days) > MAX_CLOSED_DAYS:
        raise ValidationError({"closed_days": ValidationError(
            _("Give at most %(limit)d days closed."), code="too_many",
            params={"limit": MAX_CLOSED_DAYS})})
    return sorted(days)


def _date_of(text: str) -> datetime.date | None:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def set_office_hours(actor: Actor, institution: Institution, *, office_hours: str,
                     closed_days: str) -> Institution:
    """Set the institution's office hours (text, `read_office_hours`; blank: the state's office
    hours) and its days closed besides public holidays (text, `read_closed_days`), by which its
    queues count the time allowed for a task from now on (B7; tasks already queued keep their
    due times). Recorded in the activity log with the old and new values. Raises
    PermissionDenied (`IdentityAction.SET_OFFICE_HOURS`) and ValidationError keyed by field;
    nothing is stored on either."""
    if not decide(actor, IdentityAction.SET_OFFICE_HOURS, institution):
        raise PermissionDenied("may not set this institution's office hours")
    text = " ".join(office_hours.split())
    problems: dict[str, list[ValidationError]] = {}
    hours = ""
    try:
        if text:
            read_office_hours(text)
        hours = text  # as the administrator wrote it (its day-by-day form can be far longer)
    except ValidationError as error:
        problems.update(error.error_dict)
    days: list[datetime.date] = []
    try:
        days = read_closed_days(closed_days)
    except ValidationError as error:
        problems.update(error.error_dict)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        locked = Institution.objects.select_for_update().get(pk=institution.pk)
        before = {"office_hours": locked.office_hours, "closed_days": locked.closed_days}
        locked.office_hours, locked.closed_days = hours, [d.isoformat() for d in days]
        locked.save(update_fields=["office_hours", "closed_days"])
        audit.record(actor, "identity.institution.office_hours", locked, details={
            "before": before, "office_hours": hours, "closed_days": locked.closed_days})
    institution.office_hours, institution.closed_days = locked.office_hours, locked.closed_days
    return institution


@transaction.atomic
def record_staff(
    *, username: str, password: str, institution: Institution, roles: list[str],
    given_name: str = "", family_name: str = "", email: str = "",
) -> StaffMember:
    """Create or update a staff user with a usable password (demo and first set-up; no access
    check) and their staff record in `institution` with `roles` (`StaffRole` values). Raises
    ValueError for a role that is not a `StaffRole`."""
    unknown = set(roles) - set(StaffRole.values)
    if unknown:
        raise ValueError(f"Unknown staff roles: {sorted(unknown)}")
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created or not user.check_password(password):
        user.set_password(password)
    user.first_name, user.last_name, user.email = given_name, family_name, email
    user.save()
    staff, _ = StaffMember.objects.update_or_create(
        user=user, defaults={"institution": institution, "roles": sorted(roles)}
    )
    return staff


# The second factor of staff sign-in (A12): one TOTP device (django-otp) per user account, whose
# codes an authenticator app shows. Identity owns these rows; the sign-in pages call these
# functions and never write the devices themselves.

TOTP_KEY_BYTES = 20


class CodeCheck(StrEnum):
    """What became of a code typed at sign-in."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    THROTTLED = "throttled"  # django-otp's per-device back-off: too soon after a wrong code


def totp_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    """The user's TOTP device: the confirmed one, or (confirmed=False) one still being enrolled."""
    if getattr(user, "pk", None) is None:
        return None
    return (TOTPDevice.objects.filter(user_id=user.pk, confirmed=confirmed)
            .order_by("pk").first())


def start_totp_enrolment(user: Any) -> TOTPDevice:
    """An unconfirmed device with a new random secret for the user to add to an authenticator app;
    the same one until it is confirmed, so that reloading the page shows the same secret."""
    return totp_device(user, confirmed=False) or TOTPDevice.objects.create(
        user=user, name="default", confirmed=False)


@transaction.atomic
def record_totp_device(staff: StaffMember, key_hex: str) -> TOTPDevice:
    """Give a staff member a confirmed TOTP device with a known secret (demo accounts, first
    set-up): `key_hex` is the 20-byte secret as 40 hexadecimal digits. Idempotent: the same key
    again changes nothing; another key replaces the old one. Raises ValidationError for a key
    that is not 40 hexadecimal digits."""
    key = key_hex.strip().lower()
    hex_validator(TOTP_KEY_BYTES)(key)
    devices = list(TOTPDevice.objects.filter(user=staff.user).order_by("pk"))
    device = next((d for d in devices if d.key == key), None) or (devices[0] if devices else None)
    if device is None:
        device = TOTPDevice.objects.create(user=staff.user, name="default", key=key,
                                           confirmed=True)
    elif device.key != key or not device.confirmed:
        device.key, device.confirmed, device.last_t, device.drift = key, True, -1, 0
        device.throttle_reset(commit=False)
        device.save()
    TOTPDevice.objects.filter(user=staff.user).exclude(pk=device.pk).delete()
    return device


@transaction.atomic
def reset_second_factor(actor: Actor, staff_member: StaffMember) -> int:
    """Remove a staff member's TOTP devices (confirmed or half-enrolled), e.g. after a lost phone,
    so that their next sign-in, after the password, enrols a new one (A12). Their open sessions
    end too: a session that passed the old device would otherwise be led to the enrolment
    without the password. Returns how many sessions ended.

    Sessions are found by decoding the stored ones (Django's database sessions keep the user id
    inside the encoded data): a full scan, acceptable for a rare administrative action; other
    session engines (cache, signed cookies) cannot be searched, and those sessions lapse with
    the idle time-out instead.

    Raises PermissionDenied unless the actor is the member's institution administrator or a
    platform administrator, and always for one's own second factor
    (`IdentityAction.RESET_STAFF_SECOND_FACTOR`)."""
    if not decide(actor, IdentityAction.RESET_STAFF_SECOND_FACTOR, staff_member):
        raise PermissionDenied("may not reset this staff member's second factor")
    devices, _ = TOTPDevice.objects.filter(user_id=staff_member.user_id).delete()
    sessions = _end_sessions_of(staff_member.user_id)
    audit.record(actor, "identity.staff.second_factor_reset", staff_member,
                 details={"devices": devices, "sessions_ended": sessions})
    return sessions


def set_staff_role(actor: Actor, staff_member: StaffMember, role: str, *, granted: bool) -> None:
    """Give (`granted`) or take away one of `GRANTABLE_ROLES` (the form builder's, A10) of a
    staff member, recorded in the activity log; a role they already have (or lack) is left as
    it is, unrecorded. Raises PermissionDenied unless the actor is the member's institution
    administrator or a platform administrator (`IdentityAction.GRANT_STAFF_ROLE`), and
    ValueError for a role that is not grantable."""
    if role not in GRANTABLE_ROLES:
        raise ValueError(f"{role} is not a role an administrator grants")
    if not decide(actor, IdentityAction.GRANT_STAFF_ROLE, staff_member):
        raise PermissionDenied("may not grant this staff member's roles")
    with transaction.atomic():
        member = StaffMember.objects.select_for_update().get(pk=staff_member.pk)
        roles = set(member.roles)
        if (role in roles) == granted:
            return
        member.roles = sorted(roles | {role} if granted else roles - {role})
        member.save(update_fields=["roles"])
        staff_member.roles = member.roles
        audit.record(actor, "identity.staff.role_grant" if granted else "identity.staff.role_withdraw",
                     member, details={"role": role})


def revoke_staff_roles(actor: Actor, staff_member: StaffMember, *, reason: str = "") -> list[str]:
    """Take away every role a staff member holds (an access review's "revoke", A7): they keep
    their account but can open nothing until roles are given again, and their open sessions
    end now. Recorded in the activity log with the roles taken and `reason` (e.g. the review's
    id). Returns the roles taken (empty: they had none, nothing recorded).

    Raises PermissionDenied unless the actor is the member's institution administrator or a
    platform administrator (`IdentityAction.GRANT_STAFF_ROLE`), for one's own roles (another
    administrator revokes them), and for a platform administrator's roles unless the actor is
    one."""
    if not decide(actor, IdentityAction.GRANT_STAFF_ROLE, staff_member):
        raise PermissionDenied("may not revoke this staff member's roles")
    if actor.staff is not None and actor.staff.pk == staff_member.pk:
        raise PermissionDenied("nobody revokes their own roles")
    with transaction.atomic():
        member = StaffMember.objects.select_for_update().get(pk=staff_member.pk)
        if StaffRole.PLATFORM_ADMIN in member.roles and not actor.has_role(StaffRole.PLATFORM_ADMIN):
            raise PermissionDenied("only a platform administrator revokes a platform administrator")
        taken = sorted(member.roles)
        if not taken:
            return []
        member.roles = []
        member.save(update_fields=["roles"])
        staff_member.roles = []
        audit.record(actor, "identity.staff.roles_revoked", member,
                     details={"roles": taken, "reason": reason})
    _end_sessions_of(member.user_id)
    return taken


def _end_sessions_of(user_id: int) -> int:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    model = store.get_model_class()
    keys = [row.session_key for row in model.objects.filter(expire_date__gt=timezone.now())
            .only("session_key", "session_data").iterator()
            if row.get_decoded().get(SESSION_KEY) == str(user_id)]
    for key in keys:
        store(key).delete()
    return len(keys)


def check_totp_code(actor: Actor, device: TOTPDevice, code: str) -> CodeCheck:
    """Check a code from the authenticator app; each code is accepted once. The first right code
    of a device being enrolled confirms it. A wrong code is audited (never the code itself), and
    django-otp slows the device down after each one (1 s, 2 s, 4 s, ...): a code typed too soon
    is THROTTLED, unchecked. Raises TOTPDevice.DoesNotExist when the device was removed
    meanwhile (e.g. an administrator reset the second factor)."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        enrolling = not locked.confirmed
        if not locked.verify_is_allowed()[0]:
            result = CodeCheck.THROTTLED
        elif locked.verify_token(code):
            result = CodeCheck.ACCEPTED
        else:
            result = CodeCheck.WRONG
        if result is CodeCheck.ACCEPTED and enrolling:
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user_id=locked.user_id).exclude(pk=locked.pk).delete()
            audit.record(actor, "identity.staff.second_factor_enrolled", _account(locked.user),
                         details={"device": "totp"})
    if result is not CodeCheck.ACCEPTED:
        audit.record(actor, "identity.staff.second_factor_failed", _account(locked.user),
                     details={"reason": str(result), "enrolment": enrolling})
    device.refresh_from_db()
    return result


@dataclass(frozen=True)
class SignInAid:
    """Something that may show a staff member the code their authenticator app would show (the
    demo app's aid for its published demo accounts). Aids are demo features: the registry
    refuses them outside demo mode."""

    key: str
    code_for: Callable[[Any, TOTPDevice], str | None]
    demo: bool = True


SIGN_IN_AIDS: Registry[SignInAid] = Registry("staff sign-in aids")


def sign_in_aid(user: Any, device: TOTPDevice | None) -> str | None:
    """The code an aid offers for this user's device now, or None (always None outside demo
    mode, where no aid may run)."""
    if device is None:
        return None
    for aid in SIGN_IN_AIDS.available():
        code = aid.code_for(user, device)
        if code is not None:
            return code
    return None


def current_totp_code(device: TOTPDevice) -> str | None:
    """The code the device accepts next (a code is accepted once, so after a sign-in this is the
    next time step's); None when even that one has been used. For the demo aid only."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    step = totp.t()
    if step <= device.last_t:
        if device.last_t + 1 > step + device.tolerance:
            return None
        totp.drift += device.last_t + 1 - step
    return f"{totp.token():0{device.digits}d}"


def record_sign_in(actor: Actor, user: Any) -> None:
    """Audit a completed staff sign-in (password and second factor)."""
    audit.record(actor, "identity.staff.sign_in", _account(user), details={"second_factor": "totp"})


def record_lockout(actor: Actor, user: Any | None) -> None:
    """Audit a sign-in refused because of repeated failures (`user`: None when the typed user
    name belongs to nobody; it is not written down, as people sometimes type a password there)."""
    audit.record(actor, "identity.staff.locked_out", _account(user) if user is not None else None)


def _account(user: Any) -> models.Model:
    """What a sign-in event is about: the staff member, or the bare user account."""
    return StaffMember.objects.filter(user_id=user.pk).first() or user


# Contact data confirmed by a one-time code (A2, C1): a person changes their e-mail or phone in
# the e-account's profile; a 6-digit code goes to the NEW address through the outbox and the
# contact changes only when the person types it back. Only a keyed hash of the code is stored, so
# a copy of the database does not reveal it; the code expires, tolerates a few typos, and works
# once. Removing a contact needs no code (nothing is sent anywhere new).

CONTACT_CODE_DIGITS = 6
CONTACT_CODE_LIFETIME = datetime.timedelta(minutes=10)
CONTACT_CODE_MAX_ATTEMPTS = 5
# Codes a person may ask for in an hour: enough for typos and a lost message, too few to use the
# platform to bombard somebody else's address.
CONTACT_CODES_PER_HOUR = 5


class ContactCodeCheck(StrEnum):
    """What became of a confirmation code the person typed."""

    CONFIRMED = "confirmed"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # the last allowed wrong code: a new code is needed
    NOTHING_PENDING = "nothing_pending"  # already confirmed, replaced, or never asked for


@dataclass(frozen=True)
class ContactCodeResult:
    """What became of a typed confirmation code, with the wrong codes still allowed
    (`attempts_left`, for WRONG) and the new contact (`value`, once CONFIRMED)."""

    outcome: ContactCodeCheck
    attempts_left: int = 0
    value: str = ""


@dataclass(frozen=True)
class ContactState:
    """One contact as the profile shows it: the current address, whether the person confirmed it
    with a code here (register or older data was not), and a change waiting for its code."""

    kind: str
    value: str
    confirmed: bool
    pending: ContactConfirmation | None

    @property
    def shown_value(self) -> str:
        """The contact as people read it (a phone number in its national format)."""
        return shown_contact(self.kind, self.value)

    @property
    def shown_pending(self) -> str:
        """The address the pending change's code went to, as people read it."""
        return shown_contact(self.kind, self.pending.value) if self.pending else ""

    @property
    def pending_expired(self) -> bool:
        """Whether the pending change's code has expired (the person asks for a new one)."""
        return self.pending is not None and self.pending.expires_at <= timezone.now()


def shown_contact(kind: str, value: str) -> str:
    """An e-mail address as it is, a phone number (stored in E.164) in its national format."""
    return format_phone(value) if kind == ContactKind.PHONE and value else value


def normalise_email(value: str) -> str:
    """A valid e-mail address (e-pasts), trimmed, with its domain in lower case. Raises
    ValidationError (code `invalid`) for an address that is not valid or is longer than 254
    characters."""
    value = value.strip()
    local, _at, domain = value.rpartition("@")
    value = f"{local}@{domain.lower()}" if local else value
    validate_email(value)
    if len(value) > 254:
        raise ValidationError(_("An e-mail address has at most 254 characters."), code="invalid")
    return value


def contact_states(actor: Actor, person: Person) -> dict[str, ContactState]:
    """The person's e-mail and phone with their confirmation state, by kind (the profile page);
    the read is audited. Raises PermissionDenied for anybody but the person."""
    _check_own_profile(actor, person)
    audit.record(actor, "identity.profile.read", person, subject=person)
    rows = list(ContactConfirmation.objects.filter(
        person=person, status__in=[ContactConfirmation.Status.PENDING,
                                   ContactConfirmation.Status.CONFIRMED]))
    states = {}
    for kind in ContactKind.values:
        value = getattr(person, _contact_field(kind))
        confirmed = any(r.kind == kind and r.status == ContactConfirmation.Status.CONFIRMED
                        and r.value == value for r in rows) if value else False
        pending = next((r for r in rows if r.kind == kind
                        and r.status == ContactConfirmation.Status.PENDING), None)
        states[kind] = ContactState(kind, value, confirmed, pending)
    return states


def _check_own_profile(actor: Actor, person: Person) -> None:
    """Only the person themself changes their contacts: not a parent for a child, not a company
    representative, not staff (the person is the one who receives the code)."""
    if not decide(actor, IdentityAction.CHANGE_OWN_PROFILE, person):
        raise PermissionDenied("only the person themself changes their contacts")


def _contact_field(kind: str) -> str:
    """The Person field holding a kind of contact."""
    fields = {ContactKind.EMAIL.value: "email", ContactKind.PHONE.value: "phone"}
    if kind not in fields:
        raise ValueError(f"unknown contact kind {kind!r}")
    return fields[kind]


def _normalise_contact(kind: str, value: str) -> str:
    if kind == ContactKind.EMAIL:
        return normalise_email(value)
    if kind == ContactKind.PHONE:
        return parse_phone(value, mobile=True)
    raise ValueError(f"unknown contact kind {kind!r}")


def _code_hash(confirmation_person_id: int, kind: str, value: str, code: str) -> str:
    """HMAC-SHA256 under the SECRET_KEY, bound to the person, kind and new address, so that a
    hash is worthless for any other change and a stolen table cannot be brute-forced offline."""
    message = f"{confirmation_person_id}:{kind}:{value}:{code}"
    return salted_hmac("durvis.identity.contact_code", message, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    """A confirmation code just issued: the caller sends `code` to `confirmation.value` (in the
    same transaction) and forgets it; only its HMAC is stored."""

    confirmation: ContactConfirmation
    code: str


@transaction.atomic
def start_contact_change(actor: Actor, person: Person, kind: str, value: str, *,
                         version: int | None = None) -> IssuedCode:
    """Ask to change the person's e-mail or phone to `value`: a new code replaces any code sent
    before; the caller sends it (`durvis.messaging.services.request_contact_change` does, by the
    outbox). The contact itself stays as it is until `confirm_contact_change`. `kind` is a
    `ContactKind` (`email`, `phone`); `version` is `Person.contacts_version` as the form asking
    showed it (None: no form). Raises PermissionDenied for anybody but the person
    (`IdentityAction.CHANGE_OWN_PROFILE`: not a parent or a company representative);
    StaleVersion (`durvis.core.concurrency`) when the contacts changed after the form was
    opened; ValidationError, not keyed by a field, for an invalid (code `invalid`) or unchanged
    (`unchanged`) address or too many codes in an hour (`throttled`: 5 were sent already);
    ValueError for an unknown `kind`."""
    _check_own_profile(actor, person)
    value = _normalise_contact(kind, value)
    rows = Person.objects.filter(pk=person.pk)
    if version is not None:
        check_version(rows, version, field="contacts_version")  # and locks the person
    if value == getattr(person, _contact_field(kind)):
        raise ValidationError(_("This is already your address."), code="unchanged")
    rows.select_for_update().first()  # one request at a time
    now = timezone.now()
    recent = ContactConfirmation.objects.filter(
        person=person, created_at__gt=now - datetime.timedelta(hours=1)).count()
    if recent >= CONTACT_CODES_PER_HOUR:
        raise ValidationError(_("Too many codes were sent in the last hour. Try again later."),
                              code="throttled")
    ContactConfirmation.objects.filter(
        person=person, kind=kind, status=ContactConfirmation.Status.PENDING
    ).update(status=ContactConfirmation.Status.REPLACED)
    code = f"{secrets.randbelow(10 ** CONTACT_CODE_DIGITS):0{CONTACT_CODE_DIGITS}d}"
    confirmation = ContactConfirmation.objects.create(
        person=person, kind=kind, value=value, code_hash=_code_hash(person.pk, kind, value, code),
        expires_at=now + CONTACT_CODE_LIFETIME)
    audit.record(actor, "identity.contact.change_requested", confirmation, subject=person,
                 details={"kind": kind})
    return IssuedCode(confirmation, code)


@transaction.atomic
def confirm_contact_change(actor: Actor, person: Person, kind: str, code: str
                           ) -> ContactCodeResult:
    """Check the code typed for the pending change of `kind`; the right one changes the contact.
    A wrong code counts against the limit; the last allowed wrong one, or an expired code, ends
    the change (a new code is needed). Every attempt is audited, never the code. `code` may be
    typed with spaces. A wrong, expired or spent code is an outcome, not an exception; raises
    PermissionDenied for anybody but the person (`IdentityAction.CHANGE_OWN_PROFILE`), and
    ValueError for an unknown `kind`."""
    _check_own_profile(actor, person)
    field = _contact_field(kind)
    pending = (ContactConfirmation.objects.select_for_update()
               .filter(person=person, kind=kind, status=ContactConfirmation.Status.PENDING)
               .first())
    if pending is None:
        audit.record(actor, "identity.contact.confirm_failed", person, subject=person,
                     details={"kind": kind, "reason": str(ContactCodeCheck.NOTHING_PENDING)})
        return ContactCodeResult(ContactCodeCheck.NOTHING_PENDING)
    now = timezone.now()
    expected = _code_hash(person.pk, kind, pending.value, "".join(code.split()))
    if pending.expires_at <= now:
        pending.status = ContactConfirmation.Status.EXPIRED
        result = ContactCodeResult(ContactCodeCheck.EXPIRED)
    elif constant_time_compare(expected, pending.code_hash):
        pending.status, pending.confirmed_at = ContactConfirmation.Status.CONFIRMED, now
        setattr(person, field, pending.value)
        person.contacts_version = advance_version(Person.objects.filter(pk=person.pk), None,
                                                  field="contacts_version")
        person.save(update_fields=[field])
        result = ContactCodeResult(ContactCodeCheck.CONFIRMED, value=pending.value)
    else:
        pending.attempts += 1
        left = CONTACT_CODE_MAX_ATTEMPTS - pending.attempts
        if left <= 0:
            pending.status = ContactConfirmation.Status.EXHAUSTED
            result = ContactCodeResult(ContactCodeCheck.EXHAUSTED)
        else:
            result = ContactCodeResult(ContactCodeCheck.WRONG, attempts_left=left)
    pending.save(update_fields=["status", "confirmed_at", "attempts"])
    if result.outcome is ContactCodeCheck.CONFIRMED:
        audit.record(actor, "identity.contact.changed", pending, subject=person,
                     details={"kind": kind})
    else:
        audit.record(actor, "identity.contact.confirm_failed", pending, subject=person,
                     details={"kind": kind, "reason": str(result.outcome),
                              "attempts": pending.attempts})
    return result


@transaction.atomic
def remove_contact(actor: Actor, person: Person, kind: str, *, version: int | None = None
                   ) -> bool:
    """Remove the person's e-mail or phone (`kind`, a `ContactKind`; no code: nothing is sent
    to a new address); audited. `version` is `Person.contacts_version` as the form showed it
    (None: no form). Returns False when there was nothing to remove (a repeated form post).
    Raises StaleVersion (`durvis.core.concurrency`), removing nothing, when the contacts changed
    after the form was opened (the address shown is no longer the one there); PermissionDenied
    for anybody but the person (`IdentityAction.CHANGE_OWN_PROFILE`), and ValueError for an
    unknown `kind`."""
    _check_own_profile(actor, person)
    field = _contact_field(kind)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if not getattr(locked, field):
        return False
    person.contacts_version = advance_version(Person.objects.filter(pk=person.pk), version,
                                              field="contacts_version")
    setattr(person, field, "")
    person.save(update_fields=[field])
    audit.record(actor, "identity.contact.removed", person, subject=person,
                 details={"kind": kind})
    return True
