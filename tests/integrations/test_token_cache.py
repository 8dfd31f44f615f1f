"""The process's cache of token checks (B9, issue 21): a known token is checked without loading
its client, yet a revocation or a change of scopes or services is seen on the very next request,
in every process (the credential generation, moved by database triggers); the cache is bounded
and never holds a token."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.integrations import services as integrations
from durvis.integrations.models import ApiClient, CredentialGeneration

pytestmark = pytest.mark.django_db(transaction=True)


def in_another_connection(work):
    """Run `work` in a thread of its own (its own database connection: another process's
    change, committed), and wait for it."""
    errors = []

    def run():
        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and not errors, errors


def test_a_known_token_costs_one_small_query(api_client_factory, catalogue):
    http = api_client_factory("VSAA")
    assert http.get("/api/v1/whoami").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert http.get("/api/v1/whoami").json()["institution"] == "VSAA"
    assert len(queries.captured_queries) == 1
    assert "credentialgeneration" in queries.captured_queries[0]["sql"]


def test_a_revoked_token_is_refused_at_once_by_every_process(api_client_factory, catalogue,
                                                                 staff):
    http = api_client_factory("VSAA")
    other_process = integrations.TokenCache()
    assert http.get("/api/v1/whoami").status_code == 200
    assert integrations.token_actor(http.token, cache=other_process) is not None
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])
    in_another_connection(lambda: integrations.deactivate_api_client(admin, http.api_client))
    assert http.get("/api/v1/whoami").status_code == 401
    assert integrations.token_actor(http.token, cache=other_process) is None


def test_a_change_of_scopes_or_services_is_seen_at_once(api_client_factory, catalogue):
    http = api_client_factory("VSAA", operations=("cases:read",))
    other_process = integrations.TokenCache()
    assert http.get("/api/v1/whoami").json()["operations"] == ["cases:read"]
    assert integrations.token_actor(http.token, cache=other_process).api.operations == {
        "cases:read"}
    client_id = http.api_client.pk

    def widen():  # as an administrator's tool or plain SQL would: no service of ours is told
        ApiClient.objects.filter(pk=client_id).update(operations=["cases:read", "cases:write"])

    in_another_connection(widen)
    assert http.get("/api/v1/whoami").json()["operations"] == ["cases:read", "cases:write"]
    service = Service.objects.get(code=1011)
    in_another_connection(lambda: ApiClient.objects.get(pk=client_id).services.add(service))
    assert http.get("/api/v1/whoami").json()["service_ids"] == [service.pk]
    assert integrations.token_actor(http.token, cache=other_process).api.service_ids == {
        service.pk}


def test_the_cache_is_bounded_and_holds_no_token(api_client_factory, catalogue):
    cache = integrations.TokenCache(size=2)
    tokens = [api_client_factory("VSAA").token for _ in range(4)]
    for token in tokens:
        assert integrations.token_actor(token, cache=cache) is not None
        assert len(cache) <= 2
    held = repr(cache._entries)
    assert not any(token in held for token in tokens)
    assert integrations.token_actor(tokens[0][:-1] + "x", cache=cache) is None


def test_triggers_move_the_generation_and_restore_a_missing_row(api_client_factory, catalogue):
    """The migration's triggers, on this database: an update of a client by plain SQL moves the
    generation; with its row gone (a flush), the next read puts it back with a new value (the
    CI found every API request two statements dearer after a flush: nothing was cached until a
    client changed), and a change moves it again."""
    http = api_client_factory("VSAA")
    for name in ("Renamed", "Again"):  # the first may restore the row a flush removed
        before = integrations.credential_generation()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE integrations_apiclient SET name = %s WHERE id = %s",
                           [name, http.api_client.pk])
    assert before is not None and integrations.credential_generation() == before + 1
    seen = integrations.credential_generation()
    CredentialGeneration.objects.all().delete()
    cache = integrations.TokenCache()
    assert integrations.token_actor(http.token, cache=cache) is not None
    assert len(cache) == 1  # cached at once under the restored row's value
    restored = integrations.credential_generation()
    assert restored is not None and restored != seen
    ApiClient.objects.filter(pk=http.api_client.pk).update(name="Once more")
    assert integrations.credential_generation() == restored + 1
    assert integrations.token_actor(http.token, cache=cache) is not None
    assert len(cache) == 1
