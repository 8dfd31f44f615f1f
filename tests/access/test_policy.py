"""The access policy: deny by default; rules for the catalogue and acting for a client."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from durvis.access.policy import RULES, allowed, decide
from durvis.catalog.models import Audience, Service, ServiceStatus
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import ANONYMOUS, Actor
from durvis.identity import services as identity
from durvis.identity.models import Institution, StaffMember, StaffRole
from durvis.identity.rules import IdentityAction
from durvis.register.rules import CaseAction


def test_unknown_action_is_denied(catalogue, staff):
    actor = Actor(kind="staff", staff=staff["platform"])
    assert not decide(actor, "catalog.delete_everything", catalogue["childbirth"])
    assert decide(actor, "catalog.delete_everything").reason == "unknown action"


def test_published_public_service_is_visible_to_anyone(catalogue):
    assert allowed(ANONYMOUS, CatalogAction.VIEW_SERVICE, catalogue["childbirth"])


def test_internal_service_only_for_staff(catalogue, staff):
    assert not allowed(ANONYMOUS, CatalogAction.VIEW_SERVICE, catalogue["internal"])
    assert allowed(Actor(kind="staff", staff=staff["agent"]), CatalogAction.VIEW_SERVICE,
                   catalogue["internal"])


def test_draft_visible_to_its_holders_administrator_only(catalogue, staff):
    draft = catalogue["draft"]
    assert allowed(Actor(kind="staff", staff=staff["vsaa_admin"]), CatalogAction.VIEW_SERVICE, draft)
    assert not allowed(Actor(kind="staff", staff=staff["vid_admin"]), CatalogAction.VIEW_SERVICE, draft)
    assert not allowed(Actor(kind="staff", staff=staff["agent"]), CatalogAction.VIEW_SERVICE, draft)


def test_only_the_holders_administrator_changes_a_service(catalogue, staff):
    service = catalogue["childbirth"]
    assert allowed(Actor(kind="staff", staff=staff["vsaa_admin"]), CatalogAction.CHANGE_SERVICE, service)
    for name in ("vid_admin", "agent", "platform"):
        assert not allowed(Actor(kind="staff", staff=staff[name]), CatalogAction.CHANGE_SERVICE, service)
    assert not allowed(ANONYMOUS, CatalogAction.CHANGE_SERVICE, service)


def test_create_service_in_own_institution_only(institutions, staff):
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])
    assert allowed(admin, CatalogAction.CREATE_SERVICE, institutions["VSAA"])
    assert not allowed(admin, CatalogAction.CREATE_SERVICE, institutions["VID"])


def test_wrong_object_type_is_denied(staff, institutions):
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])
    assert not allowed(admin, CatalogAction.CHANGE_SERVICE, institutions["VSAA"])
    assert not allowed(admin, CatalogAction.CREATE_SERVICE, None)


def test_act_for_self_child_and_company(institutions):
    parent = identity.record_person(personal_code="161175-19997", given_name="A", family_name="B")
    child = identity.record_person(personal_code="010115-21114", given_name="C", family_name="B")
    stranger = identity.record_person(personal_code="32503511782", given_name="D", family_name="E")
    company = identity.record_company(registration_number="40003521600", name="SIA X",
                                      legal_form="SIA")
    me = Actor(kind="person", person=parent)
    assert allowed(me, IdentityAction.ACT_FOR, client=parent)
    assert not allowed(me, IdentityAction.ACT_FOR, client=child)
    identity.record_parental_relation(parent, child)
    assert allowed(me, IdentityAction.ACT_FOR, client=child)
    assert not allowed(Actor(kind="person", person=child), IdentityAction.ACT_FOR, client=parent)
    assert not allowed(me, IdentityAction.ACT_FOR, client=stranger)
    assert not allowed(me, IdentityAction.ACT_FOR, client=company)
    identity.record_representation(company, parent, "board_member",
                                   valid_from=parent.date_of_birth)
    assert allowed(me, IdentityAction.ACT_FOR, client=company)
    assert not allowed(ANONYMOUS, IdentityAction.ACT_FOR, client=parent)


def test_joint_representation_sees_but_does_not_act_alone(institutions):
    """C1, A12: `may_act_alone: false` (the enterprise register) reads and arranges the
    company's e-account, but acting in its name is refused, with an explanation for the person;
    a representation that ended stops counting; a parent acts alone for a minor child."""
    import datetime

    from durvis.access.policy import Refused, require

    member = identity.record_person(personal_code="161175-19997", given_name="A", family_name="B")
    company = identity.record_company(registration_number="40003521600", name="SIA X",
                                      legal_form="SIA")
    me = Actor(kind="person", person=member)
    identity.record_representation(company, member, "board_member", may_act_alone=False,
                                   valid_from=datetime.date(2020, 1, 1))
    assert allowed(me, IdentityAction.ACT_FOR, client=company)
    assert allowed(me, IdentityAction.CLIENT_READ, client=company)
    assert allowed(me, IdentityAction.CLIENT_ARRANGE, client=company)
    refused = decide(me, IdentityAction.CLIENT_WRITE, client=company)
    assert not refused and refused.reason.startswith("joint representation")
    assert "SIA X" in str(refused.explanation)
    with pytest.raises(Refused) as raised:
        require(me, IdentityAction.CLIENT_WRITE, client=company)
    assert raised.value.decision == refused
    # Another role in the company that may act alone is enough.
    identity.record_representation(company, member, "procurator", may_act_alone=True,
                                   valid_from=datetime.date(2020, 1, 1),
                                   valid_to=datetime.date(2021, 1, 1))
    assert not allowed(me, IdentityAction.CLIENT_WRITE, client=company)  # it ended
    identity.record_representation(company, member, "procurator", may_act_alone=True,
                                   valid_from=datetime.date(2020, 1, 1))
    assert allowed(me, IdentityAction.CLIENT_WRITE, client=company)
    # Somebody who does not represent the company is refused without an explanation to show.
    stranger = identity.record_person(personal_code="32503511782", given_name="D",
                                      family_name="E")
    outside = decide(Actor(kind="person", person=stranger), IdentityAction.CLIENT_WRITE,
                     client=company)
    assert not outside and not outside.explanation


def test_adult_child_is_no_longer_represented_by_parent(institutions):
    parent = identity.record_person(personal_code="161175-19997", given_name="A", family_name="B")
    grown = identity.record_person(personal_code="010100-20000", given_name="C", family_name="B")
    identity.record_parental_relation(parent, grown)  # born 2000: an adult today
    assert not allowed(Actor(kind="person", person=parent), IdentityAction.ACT_FOR, client=grown)


roles = st.lists(st.sampled_from(StaffRole.values), unique=True, max_size=3)


class TestPolicyProperties(TestCase):
    """Properties that hold for any staff member, role set and service."""

    @classmethod
    def setUpTestData(cls):
        cls.institutions = [
            Institution.objects.create(code=f"I{n}", name=f"Iestāde {n}", kind="state")
            for n in range(3)
        ]
        from django.contrib.auth.models import User

        cls.users = [User.objects.create(username=f"u{n}") for n in range(3)]

    @settings(max_examples=150, deadline=None)
    @given(
        staff_institution=st.integers(0, 2), holder=st.integers(0, 2), staff_roles=roles,
        status=st.sampled_from(ServiceStatus.values), audience=st.sampled_from(Audience.values),
        action=st.sampled_from([CatalogAction.VIEW_SERVICE, CatalogAction.CHANGE_SERVICE,
                                CatalogAction.CREATE_SERVICE, IdentityAction.ACT_FOR,
                                CatalogAction.ADMINISTER_CATALOG]),
    )
    def test_staff_decisions(self, staff_institution, holder, staff_roles, status, audience,
                             action):
        member = StaffMember(user=self.users[staff_institution],
                             institution=self.institutions[staff_institution], roles=staff_roles)
        service = Service(code=1, name="S", holder=self.institutions[holder], audience=audience,
                          status=status)
        actor = Actor(kind="staff", staff=member)
        decision = allowed(actor, action, service)
        is_holder_admin = (staff_institution == holder
                           and StaffRole.INSTITUTION_ADMIN in staff_roles)
        if action == CatalogAction.CHANGE_SERVICE:
            assert decision == is_holder_admin
        if action == CatalogAction.VIEW_SERVICE:
            assert decision == (status == ServiceStatus.PUBLISHED or is_holder_admin)
            assert allowed(ANONYMOUS, action, service) == (
                status == ServiceStatus.PUBLISHED and audience != Audience.INTERNAL)
        if action == IdentityAction.ACT_FOR:
            assert not decision  # staff never act for a client through the e-account switch
        if action == CatalogAction.CREATE_SERVICE:
            assert not decision  # the object must be an institution, not a service


@pytest.mark.parametrize("action", sorted(set(RULES.keys()) - {CatalogAction.VIEW_SERVICE}))
def test_anonymous_may_not_change_anything(catalogue, action):
    assert not allowed(ANONYMOUS, action, catalogue["childbirth"])


class TestApiClientCaseProperties(TestCase):
    """An API client reaches a case only with the operation's scope, only if its institution is
    the case's holder or provider, and only for services in its scope."""

    @settings(max_examples=200, deadline=None)
    @given(
        client_institution=st.integers(1, 3), holder=st.integers(1, 3), provider=st.integers(1, 3),
        service=st.integers(1, 4), scope=st.none() | st.frozensets(st.integers(1, 4)),
        operations=st.frozensets(st.sampled_from(["cases:read", "cases:write",
                                                  "consultations:write"])),
        action=st.sampled_from([CaseAction.READ_CASE, CaseAction.UPDATE_CASE]),
    )
    def test_case_decisions(self, client_institution, holder, provider, service, scope,
                            operations, action):
        from durvis.core.actor import ApiGrant
        from durvis.register.models import ServiceCase

        grant = ApiGrant(client_id=1, institution_id=client_institution, institution_code="X",
                         operations=operations, service_ids=scope)
        case = ServiceCase(holder_id=holder, provider_id=provider, service_id=service)
        needed = "cases:read" if action == CaseAction.READ_CASE else "cases:write"
        expected = (needed in operations and client_institution in (holder, provider)
                    and (scope is None or service in scope))
        assert allowed(Actor(kind="api_client", api=grant), action, case) == expected
        assert not allowed(ANONYMOUS, action, case)
