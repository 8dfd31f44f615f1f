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
from typing import Protocol

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from durvis.core.identifiers import validate_personal_code
from durvis.core.registry import Implementation, Registry, configured
from durvis.identity.models import (
    Company,
    CompanyRepresentation,
    ParentalRelation,
    Person,
    PersonCode,
)


@dataclass(frozen=True)
class Representation:
    """A person's power to act for a company, as the enterprise register states it."""

    company: Company
    role: str
    may_act_alone: bool
    valid_to: datetime.date | None


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

    def is_parent_of(self, parent: Person, child: Person, on: datetime.date | None = None) -> bool:
        ...

    def parents_of_minors(self, child_ids: Collection[int], on: datetime.date | None = None
                          ) -> dict[int, list[Person]]:
        """For each of these persons who is a minor on the day: their parents."""
        ...


class EnterpriseRegister(Protocol):
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
        return self.relations_in_database(parent, on).filter(child=child).exists()

    def relations_in_database(self, parent: Person, on: datetime.date | None = None
                              ) -> QuerySet[ParentalRelation]:
        """The parent's relations to their minor children on the day, as rows of this database
        (`in_database_children`)."""
        return ParentalRelation.objects.filter(_valid_on(on), parent=parent)

    def parents_of_minors(self, child_ids: Collection[int], on: datetime.date | None = None
                          ) -> dict[int, list[Person]]:
        parents: dict[int, list[Person]] = {}
        relations = ParentalRelation.objects.filter(_valid_on(on), child_id__in=child_ids)
        for relation in relations.select_related("parent"):
            parents.setdefault(relation.child_id, []).append(relation.parent)
        return parents


class LocalEnterpriseRegister:
    """Answers from the `CompanyRepresentation` table."""

    def representations(
        self, person: Person, on: datetime.date | None = None
    ) -> list[Representation]:
        rows = (
            self.representations_in_database(person, on)
            .select_related("company")
            .order_by("company__name")
        )
        return [Representation(r.company, r.role, r.may_act_alone, r.valid_to) for r in rows]

    def representations_in_database(self, person: Person, on: datetime.date | None = None
                                    ) -> QuerySet[CompanyRepresentation]:
        """The person's representations on the day, as rows of this database
        (`in_database_representations`)."""
        return CompanyRepresentation.objects.filter(_valid_on(on), person=person)

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


def in_database_children(parent: Person) -> QuerySet[ParentalRelation] | None:
    """The parent's current relations to minor children (`minor_children`, `is_parent_of`) as
    a queryset, when the population register answers from this database, so that a query can
    ask them together with other questions (the access decision is one query, issue 15); None
    when the register answers elsewhere (ask the adapter's methods then)."""
    rows = getattr(population_register(), "relations_in_database", None)
    return rows(parent) if rows is not None else None


def in_database_representations(person: Person) -> QuerySet[CompanyRepresentation] | None:
    """The person's current representations (`representations`) as a queryset, when the
    enterprise register answers from this database (as `in_database_children`); None when it
    answers elsewhere."""
    rows = getattr(enterprise_register(), "representations_in_database", None)
    return rows(person) if rows is not None else None
