"""Identity services: find and record persons, companies and staff (A12).

Other apps call these functions; they never write the identity tables themselves.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction

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
