"""Identity reads (A12, C1): find a person or a company by the codes people write, the staff
record of a user, the actor behind a request, and whose a client-owned record is.

A client (klients) is a `Person` or a `Company`; records that belong to one carry the
`client_person`/`client_company` columns of `durvis.core.models.ClientOwned`. A company's
records are the company's (even when they also name the person who acted); a person's are those
not made for a company.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.core.identifiers import validate_company_number, validate_personal_code
from durvis.core.prepared import PreparedQuery
from durvis.identity.models import Company, Institution, Person, PersonCode, StaffMember

Client = Person | Company


def find_person(code: str) -> Person | None:
    """The person holding this personal code (personas kods) now or in the past; None if
    nobody does. Raises ValidationError (saying what is wrong) for a code that is not valid."""
    number = validate_personal_code(code)
    entry = _PERSON_CODE.first(number)
    return entry.person if entry else None


# Compiled once (every API write naming a client reads it; `durvis.core.prepared`, issue 21).
_PERSON_CODE = PreparedQuery(
    lambda code: PersonCode.objects.select_related("person").filter(code=code).order_by("pk")[:1],
    "\x1fpersonal code")


def find_company(registration_number: str) -> Company | None:
    """The company with this registration number; None if none. Raises ValidationError for a
    number that is not valid."""
    number = validate_company_number(registration_number)
    return Company.objects.filter(registration_number=number).first()


def staff_of(user: Any) -> StaffMember | None:
    """The staff record of a signed-in user, if they are staff."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return StaffMember.objects.select_related("institution").get(user=user)
    except StaffMember.DoesNotExist:
        return None


def owner_of(record: Any) -> Client | None:
    """The client a client-owned record belongs to (without reading the client's row)."""
    return client_by_ids(getattr(record, "client_person_id", None),
                         getattr(record, "client_company_id", None))


def client_by_ids(person_id: int | None, company_id: int | None) -> Client | None:
    """The client of a record's client columns (an event's payload carries them): the company
    if there is one, else the person; an unsaved instance with the id only, no query."""
    if company_id is not None:
        return Company(pk=company_id)
    return Person(pk=person_id) if person_id is not None else None


class Relation(models.TextChoices):
    """In what capacity a person acted for (or read the records of) a client (C1, A12)."""

    CLIENT = "client", _("client")
    PARENT = "parent", _("parent")
    GUARDIAN = "guardian", _("guardian")
    TRUSTEE = "trustee", _("trustee")
    REPRESENTATIVE = "representative", _("representative")
    MANDATE = "mandate", _("representative under a mandate")


# A delegated relation's basis (a mandate's `basis`) that names the capacity more exactly than
# "under a mandate".
BASIS_RELATIONS = {"parent": Relation.PARENT, "guardian": Relation.GUARDIAN,
                   "trustee": Relation.TRUSTEE, "board_member": Relation.REPRESENTATIVE}


@dataclass(frozen=True)
class ActingPerson:
    """Who acted for a client (sent a message, uploaded a document, rated, read a message) and
    in what capacity: shown to the institution and in the client's history (A2, C1)."""

    person: Person
    relation: Relation

    @property
    def relation_label(self) -> str:
        return str(self.relation.label)

    def __str__(self) -> str:
        return f"{self.person} ({self.relation_label})"


def acting_person(person: Person | None, record: Any,
                  known: dict[int, Relation] | None = None) -> ActingPerson | None:
    """`person` as the one who acted for the client of the client-owned `record`, in the
    capacity they hold now (`relation_to`): a company's representative, the client themself,
    a parent of the minor, or a holder of a mandate (a guardian, trustee or representative
    under a mandate, by its basis). `known` (person id → relation), when given, is used and
    filled: several records of one client ask once per person. None without a person."""
    if person is None:
        return None
    if known is not None and person.pk in known:
        return ActingPerson(person, known[person.pk])
    relation = relation_to(person, owner_of(record))
    if known is not None:
        known[person.pk] = relation
    return ActingPerson(person, relation)


def relation_to(person: Person, client: Client | None) -> Relation:
    """In what capacity `person` acts for `client` now. A company's: its representative
    (whether by the enterprise register or by a mandate to act for it: no query). A person's:
    themself (no query); a parent of the minor (population register); else the first grant of
    the registered relations (`identity.rules.RELATIONS`: a mandate), named by its basis
    (`BASIS_RELATIONS`, else `MANDATE`). Someone with no relation now (a mandate since ended,
    a child come of age) is called a representative."""
    if client is None or isinstance(client, Company):
        return Relation.REPRESENTATIVE
    if client.pk == person.pk:
        return Relation.CLIENT
    from durvis.identity.registers import population_register
    from durvis.identity.rules import delegated_grants  # the rules import this module

    if population_register().is_parent_of(person, client):
        return Relation.PARENT
    grants = delegated_grants(person, client, None)
    if grants:
        return BASIS_RELATIONS.get(grants[0].basis, Relation.MANDATE)
    return Relation.REPRESENTATIVE


def institution_by_code(code: str) -> Institution | None:
    """The institution with this code (`VSAA`), or None."""
    return Institution.objects.filter(code=code.strip()).first()


def institution_by_code_or_number(code: str) -> Institution | None:
    """The institution with this code (`VDAA`) or registration number (`90000012345`), or
    None."""
    return Institution.objects.filter(Q(code=code) | Q(registration_number=code)).first() \
        if code else None


def institutions_by_code(codes: Collection[str]) -> dict[str, Institution]:
    """Institutions by their codes (those that exist)."""
    return {i.code: i for i in Institution.objects.filter(code__in=set(codes))}


def institutions_by_id(ids: Collection[int]) -> dict[int, Institution]:
    """Institutions by their ids (one query)."""
    return Institution.objects.in_bulk(set(ids))


def is_owner(record: Any, client: Client) -> bool:
    """Whether the record belongs to this client (a person's own records are not a company's)."""
    owner = owner_of(record)
    return type(owner) is type(client) and owner is not None and owner.pk == client.pk


def owner_filter(client: Client) -> Q:
    """The records of one client, as a filter on the client-owned columns: a company's are the
    company's; a person's are those not made for a company."""
    if isinstance(client, Company):
        return Q(client_company=client)
    return Q(client_person=client, client_company__isnull=True)


def owner_fields(client: Client) -> dict[str, Any]:
    """The client-owned columns of a new record of this client: exactly one is set."""
    if isinstance(client, Company):
        return {"client_person": None, "client_company": client}
    return {"client_person": client, "client_company": None}


def audit_subject_of(record: Any) -> Person | Company | None:
    """Whose data a record with a client (`client_person` / `client_company`: a case, a
    consultation, an application, an invoice, a message) is, for the activity log (B4): its
    company when it has one (a company's case may name the person who applied for it too:
    the data is the company's), else its person (one query when not loaded yet)."""
    if getattr(record, "client_company_id", None) is not None:
        return record.client_company  # type: ignore[no-any-return]
    if record.client_person_id is not None:
        return record.client_person  # type: ignore[no-any-return]
    return None


def audit_subject(client: Client) -> Person | Company | None:
    """Whose data a record of this client is, for the activity log: the person, or the company
    (whose representatives see the uses, B4)."""
    return client if isinstance(client, Person | Company) else None
