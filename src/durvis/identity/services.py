"""Identity services: find and record persons, companies and staff (A12).

Other apps call these functions; they never write the identity tables themselves.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import hex_validator

from durvis.audit import services as audit
from durvis.core.identifiers import (
    birth_date_from_personal_code,
    validate_company_number,
    validate_personal_code,
)
from durvis.identity.models import (
    Company,
    CompanyRepresentation,
    Institution,
    ParentalRelation,
    Person,
    PersonCode,
    StaffMember,
)

if TYPE_CHECKING:
    from durvis.access.policy import Actor


def find_person(code: str) -> Person | None:
    """The person holding this code now or in the past; None if nobody does.

    Raises ValidationError when the code itself is invalid.
    """
    number = validate_personal_code(code)
    entry = PersonCode.objects.select_related("person").filter(code=number).first()
    return entry.person if entry else None


def find_company(registration_number: str) -> Company | None:
    number = validate_company_number(registration_number)
    return Company.objects.filter(registration_number=number).first()


def municipality(code: str) -> Institution | None:
    return Institution.objects.filter(code=code, kind=Institution.Kind.MUNICIPALITY).first()


@transaction.atomic
def record_person(
    *,
    personal_code: str,
    given_name: str,
    family_name: str,
    historical_codes: Iterable[str] = (),
    date_of_birth: datetime.date | None = None,
    declared_municipality: Institution | None = None,
    citizenship: str = "LV",
    email: str = "",
    phone: str = "",
) -> Person:
    """Create or update a person from register data, keyed by any code they hold or held.

    A new current code (a move to the new format) becomes current; the old one stays historical.
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
    person.citizenship = citizenship
    person.email = email
    person.phone = phone
    person.save()
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
    return relation


def record_representation(
    company: Company, person: Person, role: str, *, may_act_alone: bool = True,
    valid_from: datetime.date, valid_to: datetime.date | None = None,
) -> CompanyRepresentation:
    representation, _ = CompanyRepresentation.objects.update_or_create(
        company=company, person=person, role=role,
        defaults={"may_act_alone": may_act_alone, "valid_from": valid_from, "valid_to": valid_to},
    )
    return representation


def staff_of(user: Any) -> StaffMember | None:
    """The staff record of a signed-in user, if they are staff."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return StaffMember.objects.select_related("institution").get(user=user)
    except StaffMember.DoesNotExist:
        return None


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def record_institution(
    *, code: str, names: dict[str, str], kind: str, parent: Institution | None = None,
    registration_number: str = "", atvk_code: str = "", website: str = "",
) -> Institution:
    """Create or update an institution by its code (platform administration and imports)."""
    if registration_number:
        registration_number = validate_company_number(registration_number)
    defaults: dict[str, object] = {
        "kind": kind, "parent": parent, "registration_number": registration_number,
        "atvk_code": atvk_code, "website": website,
        **{f"name_{lang}": name for lang, name in names.items()},
    }
    institution, _ = Institution.objects.update_or_create(code=code, defaults=defaults)
    return institution


@transaction.atomic
def record_staff(
    *, username: str, password: str, institution: Institution, roles: list[str],
    given_name: str = "", family_name: str = "", email: str = "",
) -> StaffMember:
    """Create or update a staff user with a usable password (demo and first set-up)."""
    from django.contrib.auth import get_user_model

    from durvis.identity.models import StaffRole

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
    set-up). Idempotent: the same key again changes nothing; another key replaces the old one."""
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


def check_totp_code(actor: Actor, device: TOTPDevice, code: str) -> CodeCheck:
    """Check a code from the authenticator app; each code is accepted once. The first right code
    of a device being enrolled confirms it. A wrong code is audited (never the code itself), and
    django-otp slows the device down after each one (1 s, 2 s, 4 s, ...)."""
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
