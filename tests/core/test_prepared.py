"""Hot queries compiled once (`durvis.core.prepared`, issue 21, B9): a prepared shape answers
what the ORM answers for the same values, on both databases, or refuses to be prepared."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Mod
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from durvis.audit.models import AuditChainHead
from durvis.catalog.models import Service
from durvis.core.prepared import PreparedInsert, PreparedQuery, PreparedUpdate
from durvis.identity.models import Institution
from durvis.integrations.models import ApiClient, IdempotencyRecord

pytestmark = pytest.mark.django_db

SERVICE = PreparedQuery(
    lambda code: Service.objects.select_related("holder", "municipality")
    .filter(code=code, status="published").order_by("pk")[:1], 2_000_000_001)


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_prepared_read_gives_what_the_orm_gives_with_its_related_rows(catalogue, db):
    from django.db import connection

    for code in (1011, 2001):
        orm = Service.objects.select_related("holder", "municipality").get(code=code)
        with CaptureQueriesContext(connection) as captured:
            (prepared,) = SERVICE.fetch(code)
            holder, municipality = prepared.holder, prepared.municipality  # no query more
        assert len(captured) == 1
        assert _fields(prepared) == _fields(orm)
        assert prepared._state.adding is False and prepared._state.db == "default"
        assert _fields(holder) == _fields(orm.holder)
        assert (municipality and _fields(municipality)) == (
            orm.municipality and _fields(orm.municipality))
    assert SERVICE.first(1099) is None  # a draft: the constant of the shape holds
    assert SERVICE.first(9_999_999) is None
    assert SERVICE.first(2 ** 40) is None  # no integer column holds it: nothing, not an error


@pytest.mark.parametrize("code", [2 ** 63, 2 ** 64, -(2 ** 63) - 1, 10 ** 30])
def test_an_integer_beyond_64_bits_finds_nothing_as_with_the_orm(catalogue, code):
    """SQLite binds plain integers of at most 64 bits (an OverflowError beyond); the ORM
    answers such a value with nothing, without SQL, on both databases."""
    assert list(Service.objects.filter(code=code, status="published")) == []
    assert SERVICE.fetch(code) == []


def test_in_values_and_annotations_are_bound_in_their_places(db):
    heads = PreparedQuery(
        lambda chains, offset: AuditChainHead.objects.filter(chain__in=chains)
        .annotate(place=Mod(F("chain") + offset, 64)).order_by("place"),
        (32_001, 32_002, 32_003), 32_101)
    found = heads.fetch((5, 6, 7), 64 - 6)
    assert [(h.chain, h.place) for h in found] == [(6, 0), (7, 1), (5, 63)]
    with pytest.raises(TypeError):
        heads.fetch((5, 6), 0)  # the samples fixed three chains
    with pytest.raises(TypeError):
        heads.fetch(5, 0)


@pytest.mark.parametrize("build, sample", [
    (lambda code: Institution.objects.filter(code__contains=code), "\x1fcode"),  # changed: %…%
    (lambda code: Institution.objects.filter(code=code, name=code), "\x1fcode"),  # twice
    (lambda chain: AuditChainHead.objects.filter(chain=chain), -5),  # out of the field's range
    (lambda when: Institution.objects.filter(pk__gt=0).values("pk"), 1),  # not model instances
])
def test_a_shape_outside_the_rules_is_refused_when_first_run(build, sample, institutions):
    with pytest.raises(ImproperlyConfigured):
        PreparedQuery(build, sample).fetch(sample)


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_a_locking_read_needs_a_transaction():
    from django.db import connection

    AuditChainHead.objects.get_or_create(chain=3)  # a flushed database may lack the heads
    locked = PreparedQuery(
        lambda chain: AuditChainHead.objects.select_for_update().filter(chain=chain)[:1], 32_001)
    if connection.features.has_select_for_update:  # SQLite locks the database, not rows
        with pytest.raises(TransactionManagementError):
            locked.fetch(3)
    with transaction.atomic():
        assert locked.first(3).chain == 3


def test_a_prepared_update_writes_the_fields_as_save_would(db):
    move = PreparedUpdate(AuditChainHead, ["last_seq", "last_hash"])
    assert move.run(3, 41, "ab" * 32) == 1
    head = AuditChainHead.objects.get(chain=3)
    assert (head.last_seq, head.last_hash) == (41, "ab" * 32)
    assert move.run(32_000, 1, "") == 0  # no such chain
    with pytest.raises(ImproperlyConfigured):
        PreparedUpdate(AuditChainHead, ["no_such_field"])


def test_a_prepared_insert_stores_what_save_would_and_refuses_a_repeat(api_client_factory):
    from django.db import IntegrityError

    api_client_factory("VSAA", operations=["cases:read"])
    client = ApiClient.objects.get()
    claim = PreparedInsert(IdempotencyRecord)
    record = claim.save(IdempotencyRecord(client=client, key="k-1", request_hash="ab",
                                          status_code=201, response_body={"number": "1011 21"}))
    stored = IdempotencyRecord.objects.get(pk=record.pk)
    assert (stored.key, stored.status_code, stored.response_body) == ("k-1", 201,
                                                                      {"number": "1011 21"})
    assert record.created_at is not None and stored.created_at == record.created_at  # auto_now_add
    assert record._state.adding is False
    with pytest.raises(IntegrityError), transaction.atomic():
        claim.save(IdempotencyRecord(client=client, key="k-1", request_hash="cd", status_code=0,
                                     response_body={}))
    assert IdempotencyRecord.objects.count() == 1
