"""Versions of a service's form (A10): drafts change, a published version never does (in Python
and in the database), at most one is live, publishing retires the one before; every change is
audited, only the holder's form builders may make one (A5)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from durvis.audit.models import AuditEvent
from durvis.core.models import DomainEvent
from durvis.eforms import services
from durvis.eforms.models import FormVersion, ImmutableVersion, VersionStatus
from durvis.eforms.queries import draft_of, live_version, versions_of

from .samples import family_benefit, q


@pytest.fixture
def published(builder, catalogue):
    return services.load_definition(builder, catalogue["childbirth"], family_benefit(),
                                    publish_it=True)


def test_a_new_form_starts_with_one_empty_page(builder, catalogue):
    draft = services.create_draft(builder, catalogue["childbirth"])
    assert draft.number == 1 and draft.status == VersionStatus.DRAFT
    assert [p["key"] for p in draft.definition["pages"]] == ["page_1"]
    assert services.create_draft(builder, catalogue["childbirth"]).pk == draft.pk  # one draft


def test_publishing_makes_it_live_and_audits_and_announces(builder, catalogue, published):
    assert published.status == VersionStatus.PUBLISHED and published.published_at
    assert live_version(catalogue["childbirth"]).pk == published.pk
    actions = list(AuditEvent.objects.filter(action__startswith="eforms.").values_list(
        "action", flat=True))
    assert actions == ["eforms.draft.create", "eforms.draft.load", "eforms.version.publish"]
    event = DomainEvent.objects.get(name="form.published")
    assert event.payload["service_code"] == 1011 and event.payload["version"] == 1


def test_a_published_version_never_changes(published):
    published.definition["pages"][0]["title"]["lv"] = "Cits"
    with pytest.raises(ImmutableVersion):
        published.save()
    with pytest.raises(ImmutableVersion):
        published.delete()


def test_the_database_refuses_a_change_or_delete_of_a_published_version(published):
    for change in ({"definition": {"format": "durvis-form/1", "pages": []}},
                   {"checksum": "0" * 64}, {"status": VersionStatus.DRAFT}):
        with pytest.raises(IntegrityError), transaction.atomic():
            FormVersion.objects.filter(pk=published.pk).update(**change)
    if connection.vendor == "postgresql":  # SQLite: see migration 0002
        with pytest.raises(IntegrityError), transaction.atomic():
            FormVersion.objects.filter(pk=published.pk).delete()
    assert FormVersion.objects.get(pk=published.pk).definition == family_benefit()


def test_a_change_makes_a_new_draft_and_publishing_it_retires_the_old(builder, catalogue,
                                                                       published):
    draft = services.create_draft(builder, catalogue["childbirth"])
    assert draft.number == 2 and draft.based_on_id == published.pk
    assert draft.definition == published.definition
    draft = services.put_question(builder, draft, page="payment",
                                  question=q("note", "long_text"))
    assert live_version(catalogue["childbirth"]).definition == family_benefit()  # untouched
    services.publish_draft(builder, catalogue["childbirth"])
    assert [(v.number, v.status) for v in versions_of(catalogue["childbirth"])] == [
        (2, "published"), (1, "retired")]
    # A running application's version is still there, unchanged.
    assert FormVersion.objects.get(pk=published.pk).definition == family_benefit()


def test_at_most_one_published_version(published):
    with pytest.raises(IntegrityError), transaction.atomic():
        FormVersion.objects.create(form=published.form, number=9, status="published",
                                   definition=published.definition, checksum=published.checksum)


def test_a_change_that_breaks_the_definition_saves_nothing(builder, catalogue, published):
    draft = services.create_draft(builder, catalogue["childbirth"])
    before = AuditEvent.objects.count()
    with pytest.raises(services.DefinitionInvalid) as refused:
        services.put_question(builder, draft, page="applicant", question=q("iban", "short_text"))
    assert refused.value.message_dict["key"]
    with pytest.raises(ValidationError):
        services.remove_question(builder, draft, "has_children")  # a condition depends on it
    with pytest.raises(ValidationError):
        services.move_question(builder, draft, "children_count", -1)  # before its condition
    assert draft_of(catalogue["childbirth"]).definition == family_benefit()
    assert AuditEvent.objects.count() == before


def test_another_institutions_service_is_refused(other_builder, catalogue, published, staff):
    from durvis.core.actor import Actor

    with pytest.raises(PermissionDenied):
        services.create_draft(other_builder, catalogue["childbirth"])
    with pytest.raises(PermissionDenied):
        services.retire_form(other_builder, catalogue["childbirth"])
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])  # an administrator is no builder
    with pytest.raises(PermissionDenied):
        services.create_draft(admin, catalogue["childbirth"])


def test_retiring_takes_the_form_off(builder, catalogue, published):
    services.retire_form(builder, catalogue["childbirth"])
    assert live_version(catalogue["childbirth"]) is None
    assert DomainEvent.objects.filter(name="form.retired").count() == 1
    with pytest.raises(ValidationError):
        services.retire_form(builder, catalogue["childbirth"])


def test_an_incomplete_draft_is_not_published(builder, catalogue):
    services.create_draft(builder, catalogue["childbirth"])
    with pytest.raises(services.DefinitionInvalid):
        services.publish_draft(builder, catalogue["childbirth"])
