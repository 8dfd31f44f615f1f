"""The "acting as" context of the catalogue (A1): who sees which services."""

import pytest
from django.core.exceptions import PermissionDenied

from durvis.catalog.queries import (
    CatalogContext,
    ServiceFilters,
    context_for,
    find_services,
    visible_services,
)
from durvis.core.actor import Actor
from durvis.identity import services as identity


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


@pytest.fixture
def riga_resident(institutions):
    return identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                  family_name="Bērziņš", declared_municipality=institutions["RIGA"])


def test_anonymous_sees_every_published_public_service(catalogue):
    assert codes(visible_services()) == {1011, 1006, 1101, 2001, 2101}


def test_resident_sees_state_services_and_own_municipality(catalogue, riga_resident):
    context = context_for(Actor(kind="person", person=riga_resident))
    assert codes(visible_services(context)) == {1011, 1006, 2001}


def test_resident_without_declared_municipality_sees_state_services(catalogue, institutions):
    person = identity.record_person(personal_code="32503511782", given_name="Olena",
                                    family_name="Kovalenko")
    assert codes(visible_services(CatalogContext(person=person))) == {1011, 1006}


def test_company_sees_company_services(catalogue, institutions, riga_resident):
    company = identity.record_company(registration_number="40003521600", name="SIA Tests",
                                      legal_form="SIA", municipality=institutions["ROJA"])
    identity.record_representation(company, riga_resident, "board_member",
                                   valid_from=riga_resident.date_of_birth)
    context = context_for(Actor(kind="person", person=riga_resident), client=company)
    assert codes(visible_services(context)) == {1006, 1101}


def test_acting_for_a_company_one_does_not_represent_is_refused(catalogue, riga_resident):
    company = identity.record_company(registration_number="40008234596", name="SIA Cits",
                                      legal_form="SIA")
    with pytest.raises(PermissionDenied):
        context_for(Actor(kind="person", person=riga_resident), client=company)


def test_parent_acts_for_minor_child(catalogue, riga_resident, institutions):
    child = identity.record_person(personal_code="010115-21114", given_name="Anna",
                                   family_name="Bērziņa", declared_municipality=institutions["ROJA"])
    with pytest.raises(PermissionDenied):
        context_for(Actor(kind="person", person=riga_resident), client=child)
    identity.record_parental_relation(riga_resident, child)
    context = context_for(Actor(kind="person", person=riga_resident), client=child)
    assert codes(visible_services(context)) == {1011, 1006, 2101}  # the child's municipality


def test_staff_also_see_internal_services(catalogue, staff):
    context = context_for(Actor(kind="staff", staff=staff["agent"]))
    assert codes(visible_services(context)) == {1011, 1006, 1101, 1201, 2001, 2101}


def test_drafts_are_never_listed(catalogue, staff):
    for context in (CatalogContext(), CatalogContext(staff=staff["vsaa_admin"])):
        assert 1099 not in codes(visible_services(context))


def test_category_filter_includes_subcategories(catalogue):
    from durvis.catalog.models import Category

    family = Category.objects.get(slug="family")
    assert codes(find_services(ServiceFilters(category=family))) == {1011}
