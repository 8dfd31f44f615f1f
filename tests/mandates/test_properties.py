"""Property-based tests of the policy over generated mandates (issue 15): nothing is allowed
without a valid basis; a revoked, refused, requested or expired mandate allows nothing; scope
and each right are respected separately; passing on is refused unless allowed; list filters
agree with single decisions. The oracle below is the rule written out plainly, independent of
the code under test."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durvis.access.policy import decide, visible
from durvis.catalog.models import Category, Service
from durvis.core.actor import Actor
from durvis.documents import services as documents
from durvis.documents.models import Document
from durvis.identity import services as identity
from durvis.identity.rules import IdentityAction
from durvis.mandates import services
from durvis.mandates.models import Mandate, MandateScope, MandateState, Right
from durvis.register.models import ServiceCase
from tests.documents.samples import PDF

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
DAY = datetime.timedelta(days=1)


@pytest.fixture
def world(family, catalogue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    helper = identity.record_person(personal_code="05118012342", given_name="Ilze",
                                    family_name="Palīdze")
    parent = family["parent"]
    actor = Actor(kind="person", person=parent)
    for title, is_result in (("Izziņa", False), ("Lēmums", True)):
        document = documents.store_document(actor, client=parent, name="a.pdf", content=PDF,
                                            content_type="application/pdf", title=title,
                                            direction="sent")
        Document.objects.filter(pk=document.pk).update(case=family["own"], is_result=is_result)
    return {"helper": helper, "parent": parent, "company": family["company"],
            "stranger": family["stranger"], "family": family}


def mandate_specs():
    return st.lists(st.fixed_dictionaries({
        "grantor": st.sampled_from(["parent", "company"]),
        "state": st.sampled_from([MandateState.ACTIVE, MandateState.ACTIVE, MandateState.REVOKED,
                                  MandateState.REQUESTED, MandateState.REFUSED]),
        "scope": st.sampled_from(MandateScope.values),
        "services": st.sets(st.sampled_from([1011, 1006, 1101, 2001]), max_size=2),
        "rights": st.sets(st.sampled_from(Right.values), max_size=4),
        "start": st.integers(-20, 3), "length": st.one_of(st.none(), st.integers(0, 30)),
    }), max_size=4)


def _store(world, specs):
    Mandate.objects.filter(parent__isnull=False).delete()
    Mandate.objects.all().delete()
    today = timezone.localdate()
    benefits = Category.objects.get(slug="family-benefits")
    for spec in specs:
        start = today + spec["start"] * DAY
        mandate = Mandate.objects.create(
            grantor_person=world["parent"] if spec["grantor"] == "parent" else None,
            grantor_company=world["company"] if spec["grantor"] == "company" else None,
            grantee_person=world["helper"], scope=spec["scope"], state=spec["state"],
            valid_from=start,
            valid_until=None if spec["length"] is None else start + spec["length"] * DAY,
            **{f"may_{r}": r in spec["rights"] for r in Right.values})
        mandate.services.set(Service.objects.filter(code__in=spec["services"]))
        mandate.categories.set([benefits])


def oracle(specs, world, client, right, service_code):
    """Whether some mandate in force from `client` gives `right` for the service."""
    today = timezone.localdate()
    name = "company" if client == world["company"] else "parent"
    for spec in specs:
        start = today + spec["start"] * DAY
        end = None if spec["length"] is None else start + spec["length"] * DAY
        in_force = (spec["state"] == MandateState.ACTIVE and start <= today
                    and (end is None or end >= today))
        covers = (spec["scope"] == MandateScope.ALL
                  or (spec["scope"] == MandateScope.SERVICES and service_code in spec["services"])
                  or (spec["scope"] == MandateScope.CATEGORIES and service_code == 1011))
        if spec["grantor"] == name and in_force and right in spec["rights"] and (
                service_code == "any" or covers):
            return True
    return False


@SETTINGS
@given(specs=mandate_specs())
def test_each_right_and_the_scope_decide_separately(world, specs):
    _store(world, specs)
    me = Actor(kind="person", person=world["helper"])
    for client in (world["parent"], world["company"]):
        assert bool(decide(me, IdentityAction.ACT_FOR, client=client)) == any(
            oracle(specs, world, client, r, "any") for r in Right.values)
        for case in ServiceCase.objects.filter(client_person=client) if client == world[
                "parent"] else ServiceCase.objects.filter(client_company=client):
            code = case.service.code
            assert bool(decide(me, IdentityAction.CLIENT_READ, case, client)) == oracle(
                specs, world, client, Right.READ, code), (case, specs)
            assert bool(decide(me, IdentityAction.CLIENT_WRITE, case, client)) == oracle(
                specs, world, client, Right.APPLY, code)
            # Signing and writing to an institution: each its own right (issue 15).
            assert bool(decide(me, IdentityAction.CLIENT_SIGN, case, client)) == oracle(
                specs, world, client, Right.SIGN, code)
            assert bool(decide(me, IdentityAction.CLIENT_MESSAGE, case, client)) == oracle(
                specs, world, client, Right.ANSWER_MESSAGES, code)
        for service in Service.objects.filter(code__in=[1011, 1006, 1101, 2001]):
            assert bool(decide(me, IdentityAction.USE_SERVICE, service, client)) == oracle(
                specs, world, client, Right.APPLY, service.code)
    for document in Document.objects.all():
        expected = oracle(specs, world, world["parent"], Right.READ, 1011) and (
            not document.is_result
            or oracle(specs, world, world["parent"], Right.RECEIVE_RESULT, 1011))
        assert bool(decide(me, IdentityAction.CLIENT_READ, document, world["parent"])) == expected


@SETTINGS
@given(specs=mandate_specs())
def test_list_filters_agree_with_single_decisions(world, specs):
    _store(world, specs)
    actors = [Actor(kind="person", person=world[p]) for p in ("helper", "stranger")]
    for me in actors:
        for client in (world["parent"], world["company"], world["stranger"]):
            for action in (IdentityAction.CLIENT_READ, IdentityAction.CLIENT_WRITE):
                for model in (ServiceCase, Document):
                    records = model.objects.all()
                    allowed = {r.pk for r in records if decide(me, action, r, client)}
                    listed = set(visible(me, action, records, client)
                                 .values_list("pk", flat=True))
                    assert listed == allowed, (action, model.__name__, specs)


@SETTINGS
@given(specs=mandate_specs())
def test_nothing_without_a_basis(world, specs):
    """The stranger holds no mandate: whatever others hold, they may do nothing for others."""
    _store(world, specs)
    me = Actor(kind="person", person=world["stranger"])
    for client in (world["parent"], world["company"]):
        assert not decide(me, IdentityAction.ACT_FOR, client=client)
        for case in ServiceCase.objects.exclude(client_person=world["stranger"]):
            assert not decide(me, IdentityAction.CLIENT_READ, case, client)


@SETTINGS
@given(transferable=st.booleans(), rights=st.sets(st.sampled_from(Right.values), min_size=1),
       wanted=st.sets(st.sampled_from(Right.values), min_size=1),
       state=st.sampled_from([MandateState.ACTIVE, MandateState.REVOKED]))
def test_passing_on_is_refused_unless_allowed(world, transferable, rights, wanted, state):
    Mandate.objects.filter(parent__isnull=False).delete()
    Mandate.objects.all().delete()
    parent = Mandate.objects.create(
        grantor_person=world["parent"], grantee_person=world["helper"], state=state,
        valid_from=timezone.localdate(), transferable=transferable,
        **{f"may_{r}": r in rights for r in Right.values})
    me = Actor(kind="person", person=world["helper"])
    ok = transferable and state == MandateState.ACTIVE and wanted <= rights
    try:
        sub = services.grant(me, world["parent"], world["stranger"].personal_code,
                             services.Terms(rights=sorted(wanted)), parent=parent)
    except ValidationError:
        assert not ok
        assert Mandate.objects.count() == 1
    else:
        assert ok and sub.parent == parent and sub.rights == frozenset(wanted)


def test_a_minor_who_comes_of_age_leaves_the_parents_reach(family):
    """The population register's relation ends on the child's 18th birthday (`valid_to`): from
    that day the parent no longer reaches the child's records (no mandate involved)."""
    from durvis.identity.models import ParentalRelation

    child = family["child"]
    me = Actor(kind="person", person=family["parent"])
    assert decide(me, IdentityAction.CLIENT_READ, family["childs"], child)
    ParentalRelation.objects.filter(child=child).update(valid_to=timezone.localdate())
    assert not decide(me, IdentityAction.CLIENT_READ, family["childs"], child)
    assert not decide(me, IdentityAction.ACT_FOR, client=child)
    assert not visible(me, IdentityAction.CLIENT_READ, ServiceCase.objects.all(), child).exists()
