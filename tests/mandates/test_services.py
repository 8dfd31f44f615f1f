"""Mandates (issue 15): grant, request, confirm, refuse, revoke; every refusal stores nothing;
the policy decides acting-for under a mandate right by right and scope by scope."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from durvis.access.policy import decide, visible
from durvis.audit.models import AuditEvent
from durvis.core import memo
from durvis.core.actor import Actor
from durvis.core.models import DomainEvent
from durvis.identity import services as identity
from durvis.identity.rules import IdentityAction
from durvis.mandates import queries, services
from durvis.mandates.models import Mandate, MandateScope, MandateState
from durvis.register.models import ServiceCase
from durvis.web.roles import available_roles, role_for_key

TODAY = timezone.localdate


def person_actor(person):
    return Actor(kind="person", person=person)


@pytest.fixture
def helper(family):
    return identity.record_person(personal_code="05118012342", given_name="Ilze",
                                  family_name="Palīdze")


def grant_to_helper(family, helper, **terms):
    return services.grant(person_actor(family["parent"]), family["parent"],
                          helper.personal_code, services.Terms(**terms))


def test_a_grant_lets_the_grantee_act_with_exactly_its_rights(family, helper):
    me = person_actor(helper)
    parent = family["parent"]
    assert not decide(me, IdentityAction.ACT_FOR, client=parent)
    mandate = grant_to_helper(family, helper, rights=["apply"])
    assert mandate.state == MandateState.ACTIVE and mandate.granted_by == parent
    assert decide(me, IdentityAction.ACT_FOR, client=parent)
    assert decide(me, IdentityAction.CLIENT_WRITE, family["own"], parent)
    assert not decide(me, IdentityAction.CLIENT_READ, family["own"], parent)
    assert AuditEvent.objects.filter(action="mandates.mandate.grant").count() == 1
    assert DomainEvent.objects.filter(name="mandate.changed").count() == 1


def test_scope_of_chosen_services_is_respected(family, helper, catalogue):
    parent = family["parent"]
    services.grant(person_actor(parent), parent, helper.personal_code, services.Terms(
        scope=MandateScope.SERVICES, service_ids=[catalogue["declaration"].pk],
        rights=["read", "apply"]))
    me = person_actor(helper)
    assert not decide(me, IdentityAction.CLIENT_READ, family["own"], parent)  # childbirth
    assert decide(me, IdentityAction.CLIENT_READ, None, parent)
    assert not visible(me, IdentityAction.CLIENT_READ, ServiceCase.objects.all(), parent).exists()
    assert decide(me, IdentityAction.USE_SERVICE, catalogue["declaration"], parent)
    assert not decide(me, IdentityAction.USE_SERVICE, catalogue["childbirth"], parent)


def test_a_category_scope_reaches_the_services_in_it(family, helper, catalogue):
    from durvis.catalog.models import Category

    parent = family["parent"]
    services.grant(person_actor(parent), parent, helper.personal_code, services.Terms(
        scope=MandateScope.CATEGORIES,
        category_ids=[Category.objects.get(slug="family-benefits").pk], rights=["read"]))
    me = person_actor(helper)
    assert decide(me, IdentityAction.CLIENT_READ, family["own"], parent)
    assert list(visible(me, IdentityAction.CLIENT_READ, ServiceCase.objects.all(), parent)) == [
        family["own"]]


def test_revocation_ends_it_at_once_and_keeps_who_and_when(family, helper):
    mandate = grant_to_helper(family, helper, rights=["read"])
    services.revoke(person_actor(family["parent"]), mandate)
    mandate.refresh_from_db()
    assert mandate.state == MandateState.REVOKED and mandate.ended_by == family["parent"]
    assert not decide(person_actor(helper), IdentityAction.ACT_FOR, client=family["parent"])
    assert [m.pk for m in queries.received(person_actor(helper), helper)] == [mandate.pk]
    assert [m.pk for m in queries.given(person_actor(family["parent"]), family["parent"])] == [
        mandate.pk]


def test_an_expired_mandate_allows_nothing(family, helper):
    mandate = grant_to_helper(family, helper, rights=["read"],
                              valid_until=TODAY() + datetime.timedelta(days=1))
    Mandate.objects.filter(pk=mandate.pk).update(
        valid_from=TODAY() - datetime.timedelta(days=10),
        valid_until=TODAY() - datetime.timedelta(days=1))
    mandate.refresh_from_db()
    assert mandate.current_state() == MandateState.EXPIRED
    assert not decide(person_actor(helper), IdentityAction.CLIENT_READ, None, family["parent"])


@pytest.mark.parametrize(("terms", "field", "code"), [
    ({"valid_until": datetime.date(2000, 1, 1)}, "valid_until", "order"),
    ({"valid_from": datetime.date(2000, 1, 1)}, "valid_from", "past"),
    ({"rights": []}, "rights", "required"),
    ({"scope": "services", "service_ids": []}, "service_ids", "required"),
    ({"scope": "categories", "category_ids": [999999]}, "category_ids", "required"),
])
def test_bad_terms_are_refused_and_nothing_stored(family, helper, terms, field, code):
    with pytest.raises(ValidationError) as error:
        grant_to_helper(family, helper, **terms)
    assert error.value.error_dict[field][0].code == code
    assert not Mandate.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="mandates.").exists()


def test_an_end_in_the_past_is_refused(family, helper):
    with pytest.raises(ValidationError) as error:
        grant_to_helper(family, helper, valid_from=TODAY(),
                        valid_until=TODAY() - datetime.timedelta(days=1))
    assert "valid_until" in error.value.error_dict


def test_a_mandate_to_oneself_a_duplicate_and_outside_ones_powers_are_refused(family, helper):
    parent = family["parent"]
    with pytest.raises(ValidationError) as error:
        services.grant(person_actor(parent), parent, parent.personal_code, services.Terms())
    assert error.value.error_dict["grantee_code"][0].code == "self"
    grant_to_helper(family, helper)
    with pytest.raises(ValidationError) as error:
        grant_to_helper(family, helper)
    assert error.value.error_dict["grantee_code"][0].code == "duplicate"
    with pytest.raises(ValidationError) as error:  # the stranger is nobody the helper acts for
        services.grant(person_actor(helper), family["stranger"], parent.personal_code,
                       services.Terms())
    assert error.value.error_dict["grantor"][0].code == "powers"
    with pytest.raises(ValidationError) as error:  # a mandate gives no power over mandates
        services.grant(person_actor(helper), parent, family["stranger"].personal_code,
                       services.Terms())
    assert error.value.error_dict["grantor"][0].code == "powers"
    with pytest.raises(ValidationError) as error:
        services.grant(person_actor(parent), parent, "12345678901", services.Terms())
    assert "grantee_code" in error.value.error_dict
    assert Mandate.objects.count() == 1


def test_a_request_waits_for_the_grantor(family, helper):
    parent = family["parent"]
    mandate = services.request(person_actor(helper), helper, parent.personal_code,
                               services.Terms(rights=["read"]))
    assert mandate.state == MandateState.REQUESTED
    assert not decide(person_actor(helper), IdentityAction.ACT_FOR, client=parent)
    with pytest.raises(ValidationError) as error:  # confirming someone else's request
        services.confirm(person_actor(helper), mandate)
    assert error.value.error_dict["mandate"][0].code == "powers"
    with pytest.raises(ValidationError):
        services.confirm(person_actor(family["stranger"]), mandate)
    mandate = services.confirm(person_actor(parent), mandate)
    assert mandate.state == MandateState.ACTIVE
    assert decide(person_actor(helper), IdentityAction.CLIENT_READ, family["own"], parent)
    with pytest.raises(ValidationError) as error:
        services.confirm(person_actor(parent), mandate)
    assert error.value.error_dict["mandate"][0].code == "state"


def test_a_refused_request_gives_nothing(family, helper):
    parent = family["parent"]
    mandate = services.request(person_actor(helper), helper, parent.personal_code,
                               services.Terms(rights=["read"]))
    mandate = services.refuse(person_actor(parent), mandate)
    assert mandate.state == MandateState.REFUSED and mandate.ended_by == parent
    assert not decide(person_actor(helper), IdentityAction.ACT_FOR, client=parent)


def test_passing_on_needs_a_transferable_mandate_and_never_exceeds_it(family, helper, catalogue):
    parent, stranger = family["parent"], family["stranger"]
    closed = grant_to_helper(family, helper, rights=["read"])
    with pytest.raises(ValidationError) as error:
        services.grant(person_actor(helper), parent, stranger.personal_code,
                       services.Terms(rights=["read"]), parent=closed)
    assert error.value.error_dict["grantor"][0].code == "not_transferable"
    services.revoke(person_actor(parent), closed)
    open_ = grant_to_helper(family, helper, rights=["read"], transferable=True,
                            scope=MandateScope.SERVICES, service_ids=[catalogue["childbirth"].pk])
    with pytest.raises(ValidationError) as error:
        services.grant(person_actor(helper), parent, stranger.personal_code,
                       services.Terms(rights=["read", "apply"]), parent=open_)
    assert {"rights", "scope"} <= set(error.value.error_dict)
    sub = services.grant(person_actor(helper), parent, stranger.personal_code, services.Terms(
        rights=["read"], scope=MandateScope.SERVICES, service_ids=[catalogue["childbirth"].pk]),
        parent=open_)
    assert decide(person_actor(stranger), IdentityAction.CLIENT_READ, family["own"], parent)
    services.revoke(person_actor(parent), open_)
    sub.refresh_from_db()
    assert sub.state == MandateState.REVOKED
    assert not decide(person_actor(stranger), IdentityAction.ACT_FOR, client=parent)


def test_the_role_switch_lists_the_grantors(family, helper):
    grant_to_helper(family, helper, rights=["read"])
    roles = available_roles(helper)
    assert [r.key for r in roles] == ["self", f"person:{family['parent'].pk}"]
    assert roles[1].delegated
    assert role_for_key(person_actor(helper), f"person:{family['parent'].pk}") is not None


def test_a_company_assigns_chosen_services_to_an_employee(family, helper, catalogue):
    from durvis.catalog import queries as catalog

    company, parent = family["company"], family["parent"]
    services.grant(person_actor(parent), company, helper.personal_code, services.Terms(
        scope=MandateScope.SERVICES, service_ids=[catalogue["vat"].pk], rights=["apply", "read"]))
    me = person_actor(helper)
    context = catalog.context_for(me, company)
    assert list(catalog.visible_services(context)) == [catalogue["vat"]]
    assert decide(me, IdentityAction.CLIENT_READ, family["companys"], company)


def test_an_accountants_firm_requests_and_its_representative_acts(family, helper, catalogue):
    company, parent = family["company"], family["parent"]
    firm = identity.record_company(registration_number="40003987659", name="SIA Skaitļi",
                                   legal_form="SIA")
    identity.record_representation(firm, helper, "board_member",
                                   valid_from=datetime.date(2020, 1, 1))
    mandate = services.request(person_actor(helper), firm, company.registration_number,
                               services.Terms(rights=["read", "pay"]))
    assert not decide(person_actor(helper), IdentityAction.ACT_FOR, client=company)
    services.confirm(person_actor(parent), mandate)
    assert decide(person_actor(helper), IdentityAction.CLIENT_READ, family["companys"], company)
    assert not decide(person_actor(helper), IdentityAction.CLIENT_WRITE, family["companys"],
                      company)


def test_the_decision_asks_few_queries(family, helper, catalogue, django_assert_max_num_queries):
    """The decision path under a mandate: the base registers (parent? representative?), the
    grantee's companies, the mandates in force, the chosen services: five queries at most."""
    parent = family["parent"]
    services.grant(person_actor(parent), parent, helper.personal_code, services.Terms(
        scope=MandateScope.SERVICES, service_ids=[catalogue["childbirth"].pk],
        rights=["read"]))
    me = person_actor(helper)
    with django_assert_max_num_queries(5):
        assert decide(me, IdentityAction.CLIENT_READ, family["own"], parent)
    with django_assert_max_num_queries(5):
        assert len(available_roles(helper)) == 2


def test_a_minor_is_never_a_grantee_and_nobody_confirms_their_own_request(family, helper):
    """Found by a fresh tester: a parent requested a mandate from their own child and
    confirmed it acting as the child; a parent granted a mandate to an 11-year-old."""
    parent, child = family["parent"], family["child"]
    with pytest.raises(ValidationError) as raised:
        services.grant(person_actor(parent), parent, child.personal_code,
                       services.Terms(rights=["read"]))
    assert raised.value.error_dict["grantee_code"][0].code == "minor"
    asked = services.request(person_actor(parent), parent, child.personal_code,
                             services.Terms(rights=["read"]))
    with pytest.raises(ValidationError) as raised:
        services.confirm(person_actor(parent), asked)  # as the child's parent
    assert raised.value.error_dict["mandate"][0].code == "own"
    asked.refresh_from_db()
    assert asked.state == MandateState.REQUESTED


def test_the_grantees_lists_show_only_the_cases_in_scope(family, helper, catalogue):
    """Found by a fresh tester: the overview, the history and its filter choices listed the
    grantor's cases of services outside the mandate (the case page itself said 404)."""
    from durvis.register import queries as register_queries

    parent = family["parent"]
    services.grant(person_actor(parent), parent, helper.personal_code, services.Terms(
        scope=MandateScope.SERVICES, service_ids=[catalogue["declaration"].pk],
        rights=["read", "apply"]))
    me = person_actor(helper)
    outside = family["own"]  # a case of another service
    assert outside not in register_queries.overview_read(me, parent)
    cases, _consultations = register_queries.history_read(me, parent)
    assert outside not in cases
    assert outside not in register_queries.visible_cases(me, parent)
    _institutions, choices = register_queries.history_choices(me, parent)
    assert outside.service not in choices
    assert outside in register_queries.overview_read(person_actor(parent), parent)


def test_a_mandate_starting_later_is_not_in_force_before_its_start(family, helper, client):
    from conftest import sign_in_person
    from django.urls import reverse

    parent = family["parent"]
    start = TODAY() + datetime.timedelta(days=3)
    mandate = grant_to_helper(family, helper, rights=["read", "apply"], valid_from=start)
    me = person_actor(helper)
    assert mandate.waiting_to_start()
    assert not decide(me, IdentityAction.ACT_FOR, client=parent)
    assert not decide(me, IdentityAction.CLIENT_READ, None, parent)
    assert queries.grants(helper, parent, {}) == ({}, [])
    assert all(role.client != parent for role in available_roles(helper))
    sign_in_person(client, parent)
    listing = client.get(reverse("eaccount:mandates")).content.decode()
    shown = f"Vēl nav spēkā (no {start.strftime('%d.%m.%Y')})"
    assert shown in listing and ">Spēkā<" not in listing
    assert shown in client.get(reverse("eaccount:mandate", args=[mandate.pk])).content.decode()
    Mandate.objects.filter(pk=mandate.pk).update(valid_from=TODAY())
    assert decide(me, IdentityAction.CLIENT_READ, None, parent)


def test_an_overlapping_mandate_or_request_is_refused_naming_the_existing_one(
        family, helper, catalogue):
    from durvis.catalog.models import Category

    parent, later = family["parent"], TODAY() + datetime.timedelta(days=30)
    childbirth, declaration = catalogue["childbirth"].pk, catalogue["declaration"].pk
    benefits = Category.objects.get(slug="family-benefits").pk
    first = grant_to_helper(family, helper, scope=MandateScope.SERVICES,
                            service_ids=[childbirth], rights=["apply", "read"],
                            valid_until=later)
    refused = [  # each shares a day, a right and a service with the first
        {"scope": MandateScope.ALL, "rights": ["read"]},
        {"scope": MandateScope.SERVICES, "service_ids": [childbirth, declaration],
         "rights": ["apply", "pay"]},
        {"scope": MandateScope.CATEGORIES, "category_ids": [benefits], "rights": ["read"]},
        {"scope": MandateScope.SERVICES, "service_ids": [childbirth], "rights": ["read"],
         "valid_from": later},
    ]
    for terms in refused:
        with pytest.raises(ValidationError) as error:
            grant_to_helper(family, helper, **terms)
        problem = error.value.error_dict["grantee_code"][0]
        assert problem.code == "duplicate", terms
        assert f"Nr. {first.pk} " in problem.messages[0]
    # The same grantee asking the same grantor: refused on the grantor's code.
    with pytest.raises(ValidationError) as error:
        services.request(person_actor(helper), helper, parent.personal_code,
                         services.Terms(scope=MandateScope.ALL, rights=["apply"]))
    assert error.value.error_dict["grantor_code"][0].code == "duplicate"
    assert Mandate.objects.count() == 1
    # No overlap: other rights, other services, or a period after the first ends.
    grant_to_helper(family, helper, scope=MandateScope.SERVICES, service_ids=[childbirth],
                    rights=["pay"])
    grant_to_helper(family, helper, scope=MandateScope.SERVICES, service_ids=[declaration],
                    rights=["apply", "read"])
    grant_to_helper(family, helper, scope=MandateScope.SERVICES, service_ids=[childbirth],
                    rights=["read"], valid_from=later + datetime.timedelta(days=1))
    # An ended mandate overlaps nothing.
    services.revoke(person_actor(parent), first)
    grant_to_helper(family, helper, scope=MandateScope.CATEGORIES, category_ids=[benefits],
                    rights=["apply"], valid_until=later)
    assert Mandate.objects.count() == 5


def test_the_overlap_error_is_translated_on_the_form(client, family, helper):
    from conftest import sign_in_person
    from django.urls import reverse

    grant_to_helper(family, helper, rights=["read"])
    sign_in_person(client, family["parent"])
    response = client.post(reverse("eaccount:mandate-grant"), {
        "opened_as": "self", "grantee_code": helper.personal_code, "scope": "all",
        "rights": ["read", "apply"]})
    assert response.status_code == 422
    body = response.content.decode()
    mandate = Mandate.objects.get()
    assert f"pārklājas ar pilnvaru Nr. {mandate.pk}" in body
    assert Mandate.objects.count() == 1


def test_the_timelines_name_the_real_relation_of_who_acted(family, helper):
    from durvis.identity.queries import Relation, acting_person
    from durvis.mandates.models import MandateBasis

    parent, own = family["parent"], family["own"]
    assert acting_person(parent, own).relation == Relation.CLIENT
    mandate = grant_to_helper(family, helper, rights=["read", "apply"])
    known: dict = {}
    acting = acting_person(helper, own, known)
    assert acting.relation == Relation.MANDATE
    assert str(acting) == "Ilze Palīdze (pilnvarotā persona)"
    assert known == {helper.pk: Relation.MANDATE}
    Mandate.objects.filter(pk=mandate.pk).update(basis=MandateBasis.GUARDIAN)
    assert acting_person(helper, own).relation == Relation.GUARDIAN
    services.revoke(person_actor(parent), mandate)
    assert acting_person(helper, own).relation == Relation.REPRESENTATIVE  # never "parent"
    childs_record = ServiceCase(client_person=family["child"])  # the parent acting for it
    assert acting_person(parent, childs_record).relation == Relation.PARENT


def test_a_decision_asks_one_query_and_none_again_within_a_request(
        family, helper, catalogue, django_assert_num_queries):
    """Issue 15's benchmark: a decision under a mandate asks the base registers and the
    mandates (with their chosen services) in one query; within one request (`core.memo`) the
    same client costs nothing more, whatever the right or the record; the role switch's list
    is two queries (persons, companies). This fails if the decision's query count grows."""
    parent, company = family["parent"], family["company"]
    services.grant(person_actor(parent), parent, helper.personal_code, services.Terms(
        scope=MandateScope.SERVICES, service_ids=[catalogue["childbirth"].pk],
        rights=["read", "apply"]))
    services.grant(person_actor(parent), company, helper.personal_code, services.Terms(
        rights=["read"]))
    me = person_actor(helper)
    for client, record in ((parent, family["own"]), (company, family["companys"]),
                           (family["child"], None), (family["stranger"], None)):
        with django_assert_num_queries(1):
            decide(me, IdentityAction.CLIENT_READ, record, client)
    with django_assert_num_queries(1):  # the parent's own relation: also one
        assert decide(person_actor(parent), IdentityAction.CLIENT_WRITE, None, family["child"])
    with django_assert_num_queries(0):
        assert decide(person_actor(parent), IdentityAction.CLIENT_READ, None, parent)
    with memo.request_scope():
        with django_assert_num_queries(1):
            assert decide(me, IdentityAction.CLIENT_READ, family["own"], parent)
            assert decide(me, IdentityAction.USE_SERVICE, catalogue["childbirth"], parent)
            assert not decide(me, IdentityAction.USE_SERVICE, catalogue["declaration"], parent)
            assert decide(me, IdentityAction.ACT_FOR, None, parent)
            cases = visible(me, IdentityAction.CLIENT_READ, ServiceCase.objects.all(), parent)
        assert list(cases) == [family["own"]]
    with django_assert_num_queries(2):
        assert len(available_roles(helper)) == 3
    with django_assert_num_queries(2):
        assert [r.key for r in available_roles(parent)] == [
            "self", f"person:{family['child'].pk}", f"company:{company.pk}"]


def test_a_write_within_the_request_is_seen_by_its_next_decision(family, helper):
    """The memo lasts one request, and a mandate written within it is decided on afresh."""
    parent = family["parent"]
    me = person_actor(helper)
    with memo.request_scope():
        assert not decide(me, IdentityAction.CLIENT_READ, None, parent)
        mandate = grant_to_helper(family, helper, rights=["read"])
        assert decide(me, IdentityAction.CLIENT_READ, None, parent)
        services.revoke(person_actor(parent), mandate)
        assert not decide(me, IdentityAction.CLIENT_READ, None, parent)


def test_the_decisions_sql_keeps_the_period_and_state_as_the_lists_do(family, helper):
    """The decision's SQL (`queries._held_sql`) and the lists' filter (`active_filter`) say
    the same of every state and period: a mandate is decided on exactly when it is in force."""
    parent, me = family["parent"], person_actor(helper)
    today = TODAY()
    mandate = grant_to_helper(family, helper, rights=["read"])
    day = datetime.timedelta(days=1)
    for state in MandateState.values:
        for start, end in ((today, None), (today - day, today), (today + day, None),
                           (today - 2 * day, today - day), (today, today + day)):
            Mandate.objects.filter(pk=mandate.pk).update(state=state, valid_from=start,
                                                         valid_until=end)
            in_force = Mandate.objects.filter(queries.active_filter(), pk=mandate.pk).exists()
            assert bool(decide(me, IdentityAction.CLIENT_READ, None, parent)) == in_force
            assert (parent in [r.person for r in available_roles(helper)]) == in_force


def test_registers_that_answer_elsewhere_decide_the_same(family, helper, settings):
    """With base registers that are not tables of this database, their answers are put into
    the decision's query as lists of ids: the same decisions and the same role list."""
    from durvis.identity import registers

    parent, company = family["parent"], family["company"]
    grant_to_helper(family, helper, rights=["read"])
    services.grant(person_actor(parent), company, helper.personal_code,
                   services.Terms(rights=["read"]))
    questions = [(person_actor(parent), family["child"]), (person_actor(parent), company),
                 (person_actor(helper), parent), (person_actor(helper), company),
                 (person_actor(helper), family["stranger"]), (person_actor(parent), helper)]

    def answers():
        return ([bool(decide(a, action, None, c)) for a, c in questions
                 for action in (IdentityAction.CLIENT_READ, IdentityAction.CLIENT_WRITE)],
                [[r.key for r in available_roles(p)] for p in (parent, helper)])

    local = answers()
    settings.DURVIS_POPULATION_REGISTER = f"{__name__}.ElsewherePopulationRegister"
    settings.DURVIS_ENTERPRISE_REGISTER = f"{__name__}.ElsewhereEnterpriseRegister"
    registers.population_register.cache_clear()
    registers.enterprise_register.cache_clear()
    try:
        assert answers() == local
    finally:
        registers.population_register.cache_clear()
        registers.enterprise_register.cache_clear()


class ElsewherePopulationRegister:
    """A population register that answers elsewhere (no SQL of its own): only the protocol."""

    def __init__(self):
        from durvis.identity.registers import LocalPopulationRegister

        self.local = LocalPopulationRegister()

    def minor_children(self, parent, on=None):
        return self.local.minor_children(parent, on)

    def is_parent_of(self, parent, child, on=None):
        return self.local.is_parent_of(parent, child, on)


class ElsewhereEnterpriseRegister:
    """An enterprise register that answers elsewhere (as above)."""

    def __init__(self):
        from durvis.identity.registers import LocalEnterpriseRegister

        self.local = LocalEnterpriseRegister()

    def representations(self, person, on=None):
        return self.local.representations(person, on)
