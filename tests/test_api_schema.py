"""Schemathesis against the published OpenAPI schema: no request the schema allows gets a 5xx,
and every response matches the schema (C4)."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from durvis.integrations.rules import SCOPES
from durvis.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Like Django's test client: the WSGI handler must not close the test's database
    connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema(case, catalogue):
    # A schema-valid filter may still name nothing that exists (an unknown holder code): that is
    # a 422 naming the field, by design, so the "valid data is accepted" check does not apply.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


def call_with_token(case, http):
    # Pydantic's lax mode accepts some values the schema forbids (a number as a date-time);
    # that is lenience, not a fault, so the negative-data check is left out here.
    case.call_and_validate(headers={"Authorization": http.defaults["HTTP_AUTHORIZATION"]},
                           excluded_checks=[positive_data_acceptance, negative_data_rejection])


@schema.parametrize()
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema_with_every_scope(case, catalogue, api_client_factory):
    """The same with a back-office system's token of every scope (B9): the register's writes
    and reads, documents and messages (issue 10, "Checks that must pass")."""
    call_with_token(case, api_client_factory("VSAA", operations=tuple(SCOPES.keys())))


@pytest.mark.parametrize("scope", sorted(SCOPES.keys()))
@schema.parametrize()
@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema_with_each_scope_alone(case, scope, catalogue,
                                                          api_client_factory):
    """A token of one scope: every other operation is refused in the schema's error body."""
    call_with_token(case, api_client_factory("VSAA", operations=(scope,)))


def test_every_schema_has_its_own_name():
    """Two shapes under one name collapse into one in the published schema, and clients
    generated from it cannot read the other (issue 11, issue 20)."""
    import ninja

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [s for s in subclasses(ninja.Schema) if s.__module__.startswith("durvis.")]
    names = [s.__name__ for s in ours]
    assert ours and sorted(n for n in names if names.count(n) > 1) == []
