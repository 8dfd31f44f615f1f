"""Adapters to the base registers: the population register (PMLP) and the enterprise register (UR).

The platform asks the registers through these two interfaces only. The local implementations
answer from the platform's own tables (filled from the demo data or a register extract); a
production adapter that calls the register's service replaces them through the settings
`DURVIS_POPULATION_REGISTER` and `DURVIS_ENTERPRISE_REGISTER`: a key of the adapter registries
below (`local`) or the dotted path of the adapter class.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from durvis.core.identifiers import validate_company_number, validate_personal_code
from durvis.core.registry import Implementation, Registry, configured
from durvis.identity.models import (
    Company,
    CompanyRepresentation,
    ParentalRelation,
    Person,
    PersonCode,
)

# A piece of SQL and its parameters (`%s` placeholders), to be put into a larger query.
Sql = tuple[str, list[Any]]


@dataclass(frozen=True)
class Representation:
    """A person's power to act for a company, as the enterprise register states it."""

    company: Company
    role: str
    may_act_alone: bool
    valid_to: datetime.date | None


@dataclass(frozen=True)
class DeclaredAddress:
    """A declared address as the population register gives it: the text and, if it has one,
    the State Address Register's code."""

    text: str
    code: int | None = None


class PopulationRegister(Protocol):
    def person(self, code: str) -> Person | None:
        """The person holding the personal code `code` (as people write it, with or without
        the hyphen) now or in the past; None if nobody does. Raises ValidationError for a code
        that is not valid (its check digit, its date). Used where a person is identified in
        person (the e-service assistant, A3)."""
        ...

    def minor_children(self, parent: Person, on: datetime.date | None = None) -> list[Person]:
        """The parent's children who are minors on the given day."""
        ...

    def declared_address(self, person: Person) -> DeclaredAddress | None:
        """The person's declared address (deklarētā dzīvesvieta) as the register states it: its
        text and, where the register gives it, its State Address Register code; None when
        the person has none (a non-resident). The platform resolves it to a register code and
        the municipality (`identity.services.refresh_declared_address`, A1, A9)."""
        ...

    def is_parent_of(self, parent: Person, child: Person, on: datetime.date | None = None) -> bool:
        ...

    def parents_of_minors(self, child_ids: Collection[int], on: datetime.date | None = None
                          ) -> dict[int, list[Person]]:
        """For each of these persons who is a minor on the day: their parents."""
        ...


class EnterpriseRegister(Protocol):
    def company(self, registration_number: str) -> Company | None:
        """The company with this registration number (11 digits, with or without spaces);
        None if the register has none. Raises ValidationError for a number that is not valid
        (its shape, its check digit, a personal code). Used where a company is served in
        person through its representative (the e-service assistant, A3)."""
        ...

    def representations(
        self, person: Person, on: datetime.date | None = None
    ) -> list[Representation]:
        """The companies the person may act for on the given day."""
        ...

    def representatives_of(self, company_ids: Collection[int], on: datetime.date | None = None
                           ) -> dict[int, list[Person]]:
        """For each company: the persons who may act for it on the given day."""
        ...


def _valid_on(on: datetime.date | None) -> Q:
    day = on or timezone.localdate()
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


class LocalPopulationRegister:
    """Answers from the `PersonCode` and `ParentalRelation` tables."""

    def person(self, code: str) -> Person | None:
        number = validate_personal_code(code)
        entry = PersonCode.objects.select_related("person").filter(code=number).first()
        return entry.person if entry else None

    def minor_children(self, parent: Person, on: datetime.date | None = None) -> list[Person]:
        relations = ParentalRelation.objects.filter(_valid_on(on), parent=parent)
        return [r.child for r in relations.select_related("child").order_by("child__date_of_birth")]

    def is_parent_of(self, parent: Person, child: Person, on: datetime.date | None = None) -> bool:
        return ParentalRelation.objects.filter(_valid_on(on), parent=parent, child=child).exists()

    def declared_address(self, person: Person) -> DeclaredAddress | None:
        if not person.declared_address:
            return None
        return DeclaredAddress(person.declared_address, person.declared_address_code)

    def children_sql(self, parent: Person, on: datetime.date | None = None) -> Sql:
        """`minor_children` as SQL: `SELECT child_id ...` of the parent's minor children on the
        day, with its parameters (`children_sql`; the same rule as `_valid_on`)."""
        day = on or timezone.localdate()
        return (f"SELECT child_id FROM {ParentalRelation._meta.db_table} WHERE parent_id = %s"  # noqa: S608 - fixed SQL, values are parameters
                " AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)",
                [parent.pk, day, day])

    def parents_of_minors(self, child_ids: Collection[int], on: datetime.date | None = None
                          ) -> dict[int, list[Person]]:
        parents: dict[int, list[Person]] = {}
        relations = ParentalRelation.objects.filter(_valid_on(on), child_id__in=child_ids)
        for relation in relations.select_related("parent"):
            parents.setdefault(relation.child_id, []).append(relation.parent)
        return parents


class LocalEnterpriseRegister:
    """Answers from the `Company` and `CompanyRepresentation` tables."""

    def company(self, registration_number: str) -> Company | None:
        number = validate_company_number(registration_number)
        return Company.objects.filter(registration_number=number).first()

    def representations(
        self, person: Person, on: datetime.date | None = None
    ) -> list[Representation]:
        rows = (
            CompanyRepresentation.objects.filter(_valid_on(on), person=person)
            .select_related("company")
            .order_by("company__name")
        )
        return [Representation(r.company, r.role, r.may_act_alone, r.valid_to) for r in rows]

    def representations_sql(self, person: Person, on: datetime.date | None = None, *,
                            alone: bool = False) -> Sql:
        """`representations` as SQL: `SELECT company_id ...` of the companies the person
        represents on the day (`alone`: by a representation that may act alone), with its
        parameters (`representations_sql`; the same rule as `_valid_on`)."""
        day = on or timezone.localdate()
        return (f"SELECT company_id FROM {CompanyRepresentation._meta.db_table}"  # noqa: S608 - fixed SQL, values are parameters
                " WHERE person_id = %s AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)"
                + (" AND may_act_alone" if alone else ""), [person.pk, day, day])

    def representatives_of(self, company_ids: Collection[int], on: datetime.date | None = None
                           ) -> dict[int, list[Person]]:
        representatives: dict[int, list[Person]] = {}
        rows = CompanyRepresentation.objects.filter(_valid_on(on), company_id__in=company_ids)
        for row in rows.select_related("person"):
            representatives.setdefault(row.company_id, []).append(row.person)
        return representatives


POPULATION_REGISTERS: Registry[Implementation[type]] = Registry("population register adapters")
ENTERPRISE_REGISTERS: Registry[Implementation[type]] = Registry("enterprise register adapters")
POPULATION_REGISTERS.register(Implementation(
    "local", LocalPopulationRegister, "The platform's own tables (demo data or a register extract)"))
ENTERPRISE_REGISTERS.register(Implementation(
    "local", LocalEnterpriseRegister, "The platform's own tables (demo data or a register extract)"))


@cache
def population_register() -> PopulationRegister:
    """The adapter `DURVIS_POPULATION_REGISTER` names (a key of `POPULATION_REGISTERS` or the
    dotted path of a deployment's own class)."""
    adapter: PopulationRegister = configured(POPULATION_REGISTERS,
                                             settings.DURVIS_POPULATION_REGISTER)()
    return adapter


@cache
def enterprise_register() -> EnterpriseRegister:
    """The adapter `DURVIS_ENTERPRISE_REGISTER` names (as for the population register)."""
    adapter: EnterpriseRegister = configured(ENTERPRISE_REGISTERS,
                                             settings.DURVIS_ENTERPRISE_REGISTER)()
    return adapter



def children_sql(parent: Person) -> Sql:
    """The ids of the parent's minor children now (`minor_children`) as SQL with its
    parameters, so that a query can ask it together with other questions (the access decision
    is one query, issue 15): the adapter's own SQL when it answers from this database
    (`LocalPopulationRegister.children_sql`), else its answer as a list of ids."""
    register = population_register()
    own = getattr(register, "children_sql", None)
    if own is not None:
        return own(parent)  # type: ignore[no-any-return]
    return _ids_sql(Person, [child.pk for child in register.minor_children(parent)])


def representations_sql(person: Person, *, alone: bool = False) -> Sql:
    """The ids of the companies the person represents now (`alone`: by a representation that
    may act alone) as SQL with its parameters, as `children_sql`."""
    register = enterprise_register()
    own = getattr(register, "representations_sql", None)
    if own is not None:
        return own(person, alone=alone)  # type: ignore[no-any-return]
    return _ids_sql(Company, [r.company.pk for r in register.representations(person)
                              if r.may_act_alone or not alone])


def _ids_sql(model: type[Person] | type[Company], ids: list[int]) -> Sql:
    """`SELECT id ...` of exactly these rows (none: a query of no rows)."""
    if not ids:
        return f"SELECT id FROM {model._meta.db_table} WHERE 1 = 0", []  # noqa: S608 - fixed SQL, values are parameters
    return (f"SELECT id FROM {model._meta.db_table} WHERE id IN ({', '.join(['%s'] * len(ids))})",  # noqa: S608 - fixed SQL, values are parameters
            list(ids))
