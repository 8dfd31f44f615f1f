"""Writes of e-forms (A10, A5): the builder's changes to a service's form, publishing and
retiring. Every function checks `FormAction.BUILD` on the service (the holder's form builders
only), changes one draft under a row lock, checks the whole definition before saving
(`definition.problems`: a change that would break it saves nothing), writes the activity log
and, when a version goes live or is retired, publishes `form.published` / `form.retired`.

Refusals: PermissionDenied (the policy's reason) for another institution's service or a
non-builder; `DefinitionInvalid` (a ValidationError keyed by the builder's field names, carrying
the `problems`) for a change that would break the definition; ValidationError keyed `__all__`
with code `not_draft` for a change to a version that is no longer a draft, `no_draft` when there
is nothing to publish, `not_published` when there is nothing to retire; LookupError for a page
or question the draft does not have.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from durvis.access.policy import require
from durvis.audit.services import record
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.core.events import publish
from durvis.eforms import edits
from durvis.eforms.definition import Problem, empty_definition, problems, publish_problems
from durvis.eforms.engine import checksum
from durvis.eforms.events import FORM_PUBLISHED, FORM_RETIRED
from durvis.eforms.models import FormDefinition, FormVersion, VersionStatus
from durvis.eforms.rules import FormAction


class DefinitionInvalid(ValidationError):
    """A definition with `problems` (each placed at a page, question, route and field): the
    messages keyed by the problem's field (`__all__` for the whole)."""

    def __init__(self, found: list[Problem]) -> None:
        self.problems = found
        by_field: dict[str, list[ValidationError]] = {}
        for problem in found:
            by_field.setdefault(problem.field or NON_FIELD_ERRORS, []).append(
                ValidationError(problem.message, code=problem.code))
        super().__init__(by_field)


def _refuse(code: str, message: str) -> ValidationError:
    return ValidationError({NON_FIELD_ERRORS: ValidationError(message, code=code)})


def _audit(actor: Actor, action: str, version: FormVersion, **details: Any) -> None:
    record(actor, f"eforms.{action}", version, details={
        "service": version.form.service.code, "version": version.number, **details})


def create_draft(actor: Actor, service: Service) -> FormVersion:
    """The draft of `service`'s form: the one being edited, or a new one (numbered after the
    last) copied from the live version, else from the last version, else one empty page. The
    form itself is made on first use. Raises PermissionDenied (see the module)."""
    require(actor, FormAction.BUILD, service)
    with transaction.atomic():
        form, _created = FormDefinition.objects.get_or_create(service=service)
        form = FormDefinition.objects.select_for_update().get(pk=form.pk)
        versions = form.versions.order_by("-number")
        draft = versions.filter(status=VersionStatus.DRAFT).first()
        if draft is not None:
            return draft
        last = versions.first()
        source = versions.filter(status=VersionStatus.PUBLISHED).first() or last
        definition = copy.deepcopy(source.definition) if source else empty_definition()
        draft = FormVersion.objects.create(
            form=form, number=(last.number + 1) if last else 1,
            definition=definition, checksum=checksum(definition), based_on=source)
        draft.form = form
        _audit(actor, "draft.create", draft, based_on=source.number if source else None)
    return draft


def _change(actor: Actor, version: FormVersion, action: str,
            mutate: Callable[[dict[str, Any]], None], **details: Any) -> FormVersion:
    """Apply `mutate` to a copy of the draft's definition, check the result, save, audit."""
    require(actor, FormAction.BUILD, version.form.service)
    with transaction.atomic():
        locked = FormVersion.objects.select_for_update().select_related("form__service").get(
            pk=version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise _refuse("not_draft", _("This version is no longer a draft: make a new draft "
                                         "to change the form."))
        definition = copy.deepcopy(locked.definition)
        mutate(definition)
        found = problems(definition)
        if found:
            raise DefinitionInvalid(found)
        locked.definition, locked.checksum = definition, checksum(definition)
        locked.save()
        _audit(actor, action, locked, **details)
    return locked


def add_page(actor: Actor, version: FormVersion, *, key: str, title: dict[str, str]) -> FormVersion:
    """Add a page (`key`, `title` {"lv", "en"}) at the end of the draft."""
    return _change(actor, version, "page.add",
                   lambda d: edits.add_page(d, {"key": key, "title": title}), page=key)


def update_page(actor: Actor, version: FormVersion, page: str, *, key: str,
                title: dict[str, str]) -> FormVersion:
    """Change a page's key and title; routes to it follow its new key."""
    return _change(actor, version, "page.change",
                   lambda d: edits.update_page(d, page, {"key": key, "title": title}),
                   page=page, new_key=key)


def move_page(actor: Actor, version: FormVersion, page: str, step: int) -> FormVersion:
    """Move a page one place up (`step` -1) or down (+1); a route that would then point back
    is refused (DefinitionInvalid, `goto_earlier`)."""
    return _change(actor, version, "page.move", lambda d: edits.move_page(d, page, step),
                   page=page, step=step)


def remove_page(actor: Actor, version: FormVersion, page: str) -> FormVersion:
    """Remove a page with its questions; refused while a route or condition refers to it."""
    return _change(actor, version, "page.remove", lambda d: edits.remove_page(d, page), page=page)


def put_question(actor: Actor, version: FormVersion, *, page: str, question: dict[str, Any],
                 replacing: str | None = None, group: str | None = None) -> FormVersion:
    """Add `question` (a `durvis-form/1` question object) at the end of `page`, or of the
    repeating group `group`; or put it in the place of `replacing` (a key, `group.child` inside
    a group), whose conditions and routes then follow a changed key."""
    action = "question.change" if replacing else "question.add"
    return _change(actor, version, action, lambda d: edits.put_question(
        d, page=page, question=question, replacing=replacing, group=group),
        question=question["key"], replacing=replacing, group=group, type=question["type"])


def move_question(actor: Actor, version: FormVersion, key: str, step: int) -> FormVersion:
    """Move a question one place up (-1) or down (+1) on its page (or in its group); a
    condition that would then look at a later question is refused."""
    return _change(actor, version, "question.move", lambda d: edits.move_question(d, key, step),
                   question=key, step=step)


def remove_question(actor: Actor, version: FormVersion, key: str) -> FormVersion:
    """Remove a question; refused while a condition or route depends on it."""
    return _change(actor, version, "question.remove", lambda d: edits.remove_question(d, key),
                   question=key)


def add_route(actor: Actor, version: FormVersion, page: str, route: dict[str, Any]) -> FormVersion:
    """Add a route (`{"when": condition, "goto": page}` or `{"when", "end": {"lv", "en"}}`)
    after a page's existing ones (the first that holds is taken)."""
    return _change(actor, version, "route.add", lambda d: edits.add_route(d, page, route),
                   page=page, goto=route.get("goto"), ends="end" in route)


def remove_route(actor: Actor, version: FormVersion, page: str, index: int) -> FormVersion:
    """Remove the `index`-th route of a page."""
    return _change(actor, version, "route.remove", lambda d: edits.remove_route(d, page, index),
                   page=page, route=index)


def discard_draft(actor: Actor, version: FormVersion) -> None:
    """Delete a draft (never referenced: applications use published versions)."""
    require(actor, FormAction.BUILD, version.form.service)
    with transaction.atomic():
        locked = FormVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise _refuse("not_draft", _("Only a draft can be discarded."))
        _audit(actor, "draft.discard", locked)
        locked.delete()


def publish_draft(actor: Actor, service: Service) -> FormVersion:
    """Publish the service's draft: it becomes the live version new applications use, the
    version live before it is retired (running applications keep theirs). Refused with
    ValidationError `no_draft`, or DefinitionInvalid when the draft is not complete
    (`publish_problems`: a page without questions, no pages). Publishes `form.published`."""
    require(actor, FormAction.BUILD, service)
    with transaction.atomic():
        form = FormDefinition.objects.select_for_update().filter(service=service).first()
        draft = form.versions.filter(status=VersionStatus.DRAFT).first() if form else None
        if form is None or draft is None:
            raise _refuse("no_draft", _("There is no draft to publish."))
        found = publish_problems(draft.definition)
        if found:
            raise DefinitionInvalid(found)
        now = timezone.now()
        live = form.versions.filter(status=VersionStatus.PUBLISHED).first()
        if live is not None:
            live.status, live.retired_at = VersionStatus.RETIRED, now
            live.save(update_fields=["status", "retired_at"])
        draft.status, draft.published_at = VersionStatus.PUBLISHED, now
        draft.save(update_fields=["status", "published_at", "changed_at"])
        draft.form = form
        _audit(actor, "version.publish", draft, retired=live.number if live else None,
               checksum=draft.checksum)
        publish(actor, FORM_PUBLISHED, [(f"form:{form.pk}", {
            "form_id": form.pk, "version_id": draft.pk, "version": draft.number,
            "service_code": service.code, "retired_version_id": live.pk if live else None})])
    return draft


def retire_form(actor: Actor, service: Service) -> FormVersion:
    """Retire the service's live version: no new applications through the form (running ones
    keep their version). Refused with ValidationError `not_published` when none is live.
    Publishes `form.retired`."""
    require(actor, FormAction.BUILD, service)
    with transaction.atomic():
        form = FormDefinition.objects.select_for_update().filter(service=service).first()
        live = form.versions.filter(status=VersionStatus.PUBLISHED).first() if form else None
        if form is None or live is None:
            raise _refuse("not_published", _("The form has no published version to retire."))
        live.status, live.retired_at = VersionStatus.RETIRED, timezone.now()
        live.save(update_fields=["status", "retired_at"])
        live.form = form
        _audit(actor, "version.retire", live)
        publish(actor, FORM_RETIRED, [(f"form:{form.pk}", {
            "form_id": form.pk, "version_id": live.pk, "version": live.number,
            "service_code": service.code})])
    return live


def load_definition(actor: Actor, service: Service, definition: dict[str, Any], *,
                    publish_it: bool = False) -> FormVersion:
    """Put a whole `durvis-form/1` document into the service's draft (made if needed), checked
    as any edit is; and publish it when `publish_it`. For imports and the demo data."""
    draft = create_draft(actor, service)

    def replace(document: dict[str, Any]) -> None:
        document.clear()
        document.update(copy.deepcopy(definition))

    draft = _change(actor, draft, "draft.load", replace)
    return publish_draft(actor, service) if publish_it else draft
