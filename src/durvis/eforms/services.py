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
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _

from durvis.access.policy import require
from durvis.audit.services import record
from durvis.catalog.models import Channel, Service
from durvis.core.actor import Actor
from durvis.core.concurrency import advance_version
from durvis.core.events import publish
from durvis.core.worker import SOURCES, Source
from durvis.documents.models import Direction
from durvis.documents.queries import documents_of_client
from durvis.documents.services import attach_to_case, store_document
from durvis.eforms import edits, engine
from durvis.eforms.definition import (
    Problem,
    QuestionType,
    empty_definition,
    problems,
    publish_problems,
)
from durvis.eforms.engine import (
    AnswerError,
    CompiledForm,
    Next,
    checksum,
    file_answers,
    next_page,
    parse_page,
    standard_addresses,
    strip_hidden,
    validate_answers,
    validate_page,
    visible_questions,
    walk,
)
from durvis.eforms.events import APPLICATION_SUBMITTED, FORM_PUBLISHED, FORM_RETIRED
from durvis.eforms.models import (
    Application,
    ApplicationOrigin,
    ApplicationStatus,
    AssistedApplication,
    FormDefinition,
    FormVersion,
    VersionStatus,
)
from durvis.eforms.queries import compiled, live_version
from durvis.eforms.rules import ApplicationAction, FormAction
from durvis.identity.models import Company, Institution, Person
from durvis.identity.queries import owner_fields, owner_filter
from durvis.identity.rules import ClientRight, has_base_relation
from durvis.mandates import queries as mandates
from durvis.messaging.services import DRAFT_REMINDER, notify_clients
from durvis.payments import services as payments
from durvis.register.models import ActedBy, IdentificationLevel, RegisterChannel
from durvis.register.services import NewCase, open_case
from durvis.servicepoints import queries as point_queries
from durvis.web.roles import ClientRole


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


# --- the citizen's application journey (A10, A3, A2, B1) ---------------------------------------

class ApplicationClosed(Exception):
    """The application is no longer a draft (submitted, expired, discarded) or its draft time
    ran out: nothing is changed. `application` is the row as stored (its `case` for a submitted
    one)."""

    def __init__(self, application: Application) -> None:
        super().__init__(f"application {application.reference} is {application.status}")
        self.application = application


class PageNotReachable(Exception):
    """A page the client has not reached on their answers (a skipped page, a page after one not
    yet answered, or a key the form does not have): nothing is changed. `resume` is the page to
    go to instead."""

    def __init__(self, resume: str) -> None:
        super().__init__(resume)
        self.resume = resume


@dataclass
class PageOutcome:
    """What answering a page gave: `errors` by field (nothing saved when any), else the saved
    `application` and where to go next (`next`: a page, done, or not eligible)."""

    application: Application
    errors: dict[str, AnswerError]
    next: Next | None = None


def draft_days() -> int:
    """`DURVIS_DRAFT_DAYS` (default 30): how long a draft is kept after its last save."""
    return int(getattr(settings, "DURVIS_DRAFT_DAYS", 30))


def remind_days() -> int:
    """`DURVIS_DRAFT_REMIND_DAYS` (default 3): how long before expiry the one reminder goes."""
    return int(getattr(settings, "DURVIS_DRAFT_REMIND_DAYS", 3))


def _expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=draft_days())


def _client_of(application: Application) -> Person | Company:
    return application.client_company or application.client_person  # type: ignore[return-value]


def _subject(client: Person | Company) -> Person | None:
    return client if isinstance(client, Person) else None


# Which profile facts fill which questions (documented in docs/eforms.md, "Prefill"): a
# question of the first page or any page whose key is one of these, or whose type is
# `personal_code` / `company_number` with one of the applicant keys, is filled.
PERSON_KEYS = {"name": "full_name", "full_name": "full_name", "first_name": "given_name",
               "given_name": "given_name", "last_name": "family_name",
               "family_name": "family_name", "personal_code": "personal_code",
               "email": "email", "phone": "phone"}
COMPANY_KEYS = {"company_name": "name", "company_number": "registration_number",
                "registration_number": "registration_number"}


def platform_prefill(form: CompiledForm, actor: Actor, client: Person | Company
                     ) -> dict[str, Any]:
    """The answers the platform knows, for a new application of `client` started by the
    signed-in person `actor.person` (A10: "the form is prefilled from the registers").

    The rule, by top-level question key: `name`/`full_name` → the applicant person's full name;
    `first_name`/`given_name`, `last_name`/`family_name`, `personal_code` → theirs; `email`,
    `phone` → the contacts of the signed-in person's profile (who is to be reached), except
    for a person acting for another person by a mandate (no base-register relation): then
    the grantor's own, whose application it is;
    `company_name`, `company_number`/`registration_number` → the company's, when acting for a
    company. Beyond the keys, a question of type `personal_code` whose key starts with
    `applicant` gets the applicant person's code, and one of type `company_number` whose key
    starts with `company` the company's number. The applicant person is the client (a minor
    child, or oneself); for a company the signed-in representative. Only answers the question's
    type accepts are kept (each is checked with the engine): a prefill never makes a page
    fail. Returns a dict of answers by key."""
    me = actor.person
    person = client if isinstance(client, Person) else me
    facts: dict[str, str] = {}
    if person is not None:
        facts.update(full_name=f"{person.given_name} {person.family_name}".strip(),
                     given_name=person.given_name, family_name=person.family_name,
                     personal_code=person.personal_code)
    contact = me
    if me is not None and isinstance(client, Person) and not has_base_relation(actor, client):
        contact = client  # a mandate's holder fills in the grantor's application
    if contact is not None:
        facts.update(email=contact.email, phone=contact.phone)
    if isinstance(client, Company):
        facts.update(name=client.name, registration_number=client.registration_number)
    answers: dict[str, Any] = {}
    for key, question in form.questions.items():
        value: str | None = None
        if isinstance(client, Company) and key in COMPANY_KEYS:
            value = facts.get(COMPANY_KEYS[key])
        elif key in PERSON_KEYS:
            value = facts.get(PERSON_KEYS[key])
        elif question.type == QuestionType.PERSONAL_CODE and key.startswith("applicant"):
            value = facts.get("personal_code")
        elif (question.type == QuestionType.COMPANY_NUMBER and key.startswith("company")
              and isinstance(client, Company)):
            value = facts.get("registration_number")
        if not value:
            continue
        if question.type in (QuestionType.PHONE, QuestionType.PERSONAL_CODE,
                             QuestionType.COMPANY_NUMBER):
            parsed = engine.PARSERS[question.type](value)
        else:
            parsed = value
        if not validate_answers_only(form, {key: parsed}):
            answers[key] = parsed
    return answers


def validate_answers_only(form: CompiledForm, answers: dict[str, Any]) -> dict[str, AnswerError]:
    """The type and limit errors of `answers` alone (no "required", no conditions): whether
    each given answer is one its question accepts."""
    errors = {}
    for error in form.validator.iter_errors(answers):
        found = engine._schema_error(form, error)
        if found is not None:
            errors[found.key] = found
    return errors


class PrefillInvalid(ValidationError):
    """A caller's prefill with answers the form refuses: `errors` by question key (codes as
    the engine's: `unknown`, `hidden`, `type`, `personal_code`, ...)."""

    def __init__(self, errors: dict[str, AnswerError]) -> None:
        self.errors = errors
        super().__init__({key: ValidationError(e.message, code=e.code)
                          for key, e in errors.items()})


# Answers not in the form that a refusal names (the first ones): a payload of thousands of
# unknown keys gets an answer of its own size otherwise.
MAX_REPORTED_UNKNOWN = 50


def check_prefill(form: CompiledForm, answers: dict[str, Any]) -> dict[str, Any]:
    """A holder's system's prefill (answers by question key) checked against `form` as
    `start_application` will check it (B9): returns the answers. Raises PrefillInvalid keyed
    by question key: `unknown` (the first `MAX_REPORTED_UNKNOWN` keys the form does not have;
    the others are not named), `hidden`, or the question's own code."""
    return _check_prefill(form, {}, answers)


def _check_prefill(form: CompiledForm, known: dict[str, Any], given: dict[str, Any]
                   ) -> dict[str, Any]:
    """`given` merged over `known`, each page's part checked as that page would check it (a
    missing required answer is no error: the client answers it)."""
    merged = {**known, **given}
    errors: dict[str, AnswerError] = {}
    unknown = [key for key in given if key not in form.questions]
    for key in unknown[:MAX_REPORTED_UNKNOWN]:
        errors[key] = AnswerError(key, "unknown", gettext("This answer is not part of the form."))
    for page in form.pages:
        if not any(q.key in given for q in page.questions):
            continue
        for key, error in validate_page(form, merged, page.key).items():
            if error.code != "required" and key.split(".")[0] in given:
                errors[key] = error
    if errors:
        raise PrefillInvalid(errors)
    return standard_addresses(form, strip_hidden(
        form, {k: v for k, v in merged.items() if k in form.questions}))


def start_application(actor: Actor, role: ClientRole, service: Service, *,
                      prefill: dict[str, Any] | None = None,
                      origin: str = ApplicationOrigin.PLATFORM,
                      return_url: str = "") -> Application:
    """Start an application for `service` through its live e-form (A10, A3), for the client of
    `role` (`web.roles.ClientRole`: themself, a minor child, a company), by the signed-in
    person `actor`. The answers start with what the platform knows (`platform_prefill`) and
    the caller's `prefill` (answers by question key, e.g. a holder's system's payload) merged
    over it; the draft expires `DURVIS_DRAFT_DAYS` after its last save. `origin` is an
    `ApplicationOrigin`; `return_url` where a holder's system wants the client back. Audited
    (`eforms.application.start`).

    A platform start (`origin` platform, no `prefill`) by the same person for the same client
    and service resumes their draft in progress instead of starting a second one.

    Raises PermissionDenied (`ApplicationAction.APPLY`: not a signed-in person, the role's
    client is not one they may act in the name of, the service is unpublished or for the other
    audience); ValidationError `__all__` `no_form` when the service has no live e-form;
    `PrefillInvalid` (a ValidationError keyed by question) when the caller's prefill has an
    unknown key, an answer to a question the answers hide, or an answer the question refuses."""
    client = role.client
    require(actor, ApplicationAction.APPLY, service, client)
    version = live_version(service)
    if version is None:
        raise _refuse("no_form", gettext("This service takes no applications online."))
    form = compiled(version)
    starter = actor.person
    assert starter is not None  # the rule admits signed-in persons only
    answers = platform_prefill(form, actor, client)
    answers = _check_prefill(form, answers, prefill) if prefill else strip_hidden(form, answers)
    with transaction.atomic():
        if not prefill and origin == ApplicationOrigin.PLATFORM:
            found = (Application.objects.filter(
                owner_filter(client), service=service, started_by=actor.person,
                status=ApplicationStatus.DRAFT, expires_at__gt=timezone.now(),
                form_version=version, origin=ApplicationOrigin.PLATFORM)
                .order_by("-changed_at").first())
            if found is not None:
                return found
        application = Application.objects.create(
            **owner_fields(client), service=service, form_version=version,
            started_by=starter, role_key=role.key, origin=origin, answers=answers,
            pages_done=[], current_page=form.pages[0].key, return_url=return_url,
            expires_at=_expiry())
        record(actor, "eforms.application.start", application, subject=_subject(client),
               details={"service": service.code, "version": version.number, "origin": origin,
                        "prefilled": sorted(answers)})
    return application


def _locked(actor: Actor, client: Person | Company, application: Application) -> Application:
    """The application row locked for a change, after the policy said the actor may write it
    for `client` (another client's: LookupError, as if it did not exist)."""
    locked = (Application.objects.select_for_update()
              .filter(owner_filter(client), pk=application.pk).first())
    if locked is None:
        raise LookupError("no such application")
    require(actor, ApplicationAction.WRITE, locked, client)
    return locked


def _open(locked: Application) -> None:
    if locked.status != ApplicationStatus.DRAFT:
        raise ApplicationClosed(locked)
    if locked.expires_at <= timezone.now():
        raise ApplicationClosed(locked)


def reachable_pages(form: CompiledForm, application: Application) -> list[str]:
    """The pages the client may open now on their answers: those on the route walk's path up
    to and including the first one not yet done (A10: no page is skipped by a typed address)."""
    path = walk(form, application.answers).pages
    done = set(application.pages_done)
    reachable = []
    for key in path:
        reachable.append(key)
        if key not in done:
            break
    return reachable


def check_page(form: CompiledForm, application: Application, page: str) -> None:
    """Raises PageNotReachable (with the page to resume at) for a page the client has not
    reached: unknown, skipped by routing, or after a page not yet answered."""
    reachable = reachable_pages(form, application)
    if page not in reachable:
        raise PageNotReachable(reachable[-1] if reachable else form.pages[0].key)


def answer_page(actor: Actor, client: Person | Company, application: Application, page: str,
                data: Any, *, version: int, files: dict[str, dict[str, Any]] | None = None
                ) -> PageOutcome:
    """Save one page of a draft (A10): `data` is what the page posted (a QueryDict; parsed by
    `parse_page`), merged over the draft's answers (replacing that page's), answers to the
    page's questions hidden on the answers dropped, then checked (`validate_page`, file answers
    among the client's documents). On success: answers to hidden questions stripped, the page
    added to `pages_done` (pages off the new path forgotten), `current_page` set to the next,
    the draft's expiry renewed, the version moved on (`version` is the one the page was opened
    on), audited. `files` maps a file question's key to `{"document_id", "name"}` uploaded with
    this post (see `upload_file`).

    Raises LookupError (another client's application), PermissionDenied, ApplicationClosed,
    PageNotReachable, `core.concurrency.StaleVersion` (saved meanwhile in another tab)."""
    form = compiled(application.form_version)
    with transaction.atomic():
        locked = _locked(actor, client, application)
        _open(locked)
        check_page(form, locked, page)
        on_page = {q.key for q in form.page(page).questions}
        merged = {k: v for k, v in locked.answers.items() if k not in on_page}
        merged.update(parse_page(form, page, data))
        _name_files(form, merged, client, files or {})
        shown = {q.key for q in visible_questions(form, merged, page)}
        merged = {k: v for k, v in merged.items() if k not in on_page or k in shown}
        errors = validate_page(form, merged, page, documents=_document_ids(client, locked))
        if errors:
            return PageOutcome(locked, errors)
        answers = strip_hidden(form, merged)
        path = walk(form, answers).pages
        done = [key for key in path if key in set(locked.pages_done) | {page}]
        step = next_page(form, answers, page)
        advance_version(Application.objects.filter(pk=locked.pk), version)
        locked.answers, locked.pages_done = answers, done
        locked.current_page = step.page or page
        locked.expires_at, locked.reminded_at = _expiry(), None
        locked.version = version + 1
        locked.save(update_fields=["answers", "pages_done", "current_page", "expires_at",
                                   "reminded_at", "changed_at"])
        record(actor, "eforms.application.save", locked, subject=_subject(client),
               details={"page": page})
    return PageOutcome(locked, {}, step)


def _document_ids(client: Person | Company, application: Application) -> set[int]:
    """The ids of the client's documents a file answer of `application` may name (`filed`)."""
    return set(_filed(client, application).values_list("pk", flat=True))


def _filed(client: Person | Company, application: Application) -> Any:
    """The client's documents a file answer may name: those the client sent; for an
    application an agent fills in with the assistant (A3), those the agent's institution
    received from the client and filed about no case yet (`upload_file`)."""
    if application.origin != ApplicationOrigin.ASSISTED:
        return documents_of_client(client).filter(direction=Direction.SENT)
    institution_id = AssistedApplication.objects.filter(
        application_id=application.pk).values_list("institution_id", flat=True).first()
    return documents_of_client(client).filter(direction=Direction.RECEIVED,
                                              institution_id=institution_id or 0,
                                              case__isnull=True)


def _name_files(form: CompiledForm, answers: dict[str, Any], client: Person | Company,
                uploaded: dict[str, dict[str, Any]]) -> None:
    """Complete each file answer with its document's file name (the page posts only the id)."""
    answers.update(uploaded)
    ids = [document_id for _key, document_id in file_answers(form, answers)
           if isinstance(document_id, int)]
    names = dict(documents_of_client(client).filter(pk__in=ids)
                 .values_list("pk", "file_name"))
    for key, question in form.questions.items():
        value = answers.get(key)
        if question.type == QuestionType.FILE and isinstance(value, dict):
            document_id = value.get("document_id")
            if document_id in names:
                answers[key] = {"document_id": document_id, "name": names[document_id]}


def upload_file(actor: Actor, client: Person | Company, application: Application,
                question: str, *, name: str, content: bytes, content_type: str
                ) -> dict[str, Any]:
    """Store a file answered to `question` as the client's document (sent by the client, to the
    service's holder; `documents.services.store_document`: its kind, size, inspection and
    malware scan) and return the answer `{"document_id", "name"}` to save with the page. On an
    application an agent fills in with the assistant (A3) the file is the client's document
    received by the agent's institution (the client hands it over at the centre), linked to
    the case on submission as the signed scan is.
    Raises ValidationError `file` (the documents service's codes), PermissionDenied,
    LookupError (no such file question or application), ApplicationClosed."""
    form = compiled(application.form_version)
    found = form.questions.get(question)
    if found is None or found.type != QuestionType.FILE:
        raise LookupError(question)
    current = Application.objects.filter(owner_filter(client), pk=application.pk).first()
    if current is None:
        raise LookupError("no such application")
    require(actor, ApplicationAction.WRITE, current, client)
    _open(current)
    assisted = current.origin == ApplicationOrigin.ASSISTED
    document = store_document(
        actor, client=client, name=name, content=content, content_type=content_type,
        title=found.label[:200], direction=Direction.RECEIVED if assisted else Direction.SENT,
        institution=(Institution.objects.get(pk=actor.institution_id or 0) if assisted
                     else current.service.holder))
    return {"document_id": document.pk, "name": document.file_name}


def discard_application(actor: Actor, client: Person | Company, application: Application
                        ) -> Application:
    """The client discards a draft (it is kept as discarded, its answers emptied). Raises
    LookupError, PermissionDenied, ApplicationClosed (not a draft)."""
    with transaction.atomic():
        locked = _locked(actor, client, application)
        if locked.status != ApplicationStatus.DRAFT:
            raise ApplicationClosed(locked)
        locked.status, locked.answers = ApplicationStatus.DISCARDED, {}
        locked.save(update_fields=["status", "answers", "changed_at"])
        record(actor, "eforms.application.discard", locked, subject=_subject(client))
    return locked


def result_channels(service: Service) -> list[str]:
    """The result channels the client chooses among on submitting: the service's own that
    the platform can deliver by (the e-account, or collected at a client-service centre);
    the e-account when the service names none."""
    offered = [c for c in service.result_channels if c in (Channel.EACCOUNT, Channel.CENTRE)]
    return offered or [Channel.EACCOUNT]


def collection_points(service: Service, language: str) -> list[tuple[str, str]]:
    """Where the result of `service` can be collected in person (seed 4.2: the client-service
    centres and offices), from the service points' register (A1,
    `servicepoints.queries.labelled_choices`): (the stored value — the point's name —, its name
    in `language`)."""
    return point_queries.labelled_choices(language, service)


def submit_application(actor: Actor, client: Person | Company, application: Application, *,
                       result_channel: str, service_point: str = "", declared: bool,
                       ) -> Application:
    """Submit a draft (A10, B1), in one transaction: the row locked; every answer checked
    (`validate_answers`, file answers among the client's documents); the case opened in the
    register (`register.services.open_case`: channel e-account, signed in, the client's code,
    acted by the client or a representative); the attachments linked to the case; the case's
    change position copied; `application.submitted` published; audited. The PDF copy is made
    after the commit, in the worker (`eforms.handlers.store_application_copy`). Idempotent: a second
    submit (another tab, a retry) raises ApplicationClosed carrying the application with its
    case, so the caller shows the same case.

    Raises ValidationError keyed by question (the engine's codes) or `result_channel` /
    `service_point` / `declaration` (`required`, `invalid`); LookupError, PermissionDenied,
    ApplicationClosed."""
    form = compiled(application.form_version)
    with transaction.atomic():
        locked = _locked(actor, client, application)
        if locked.status == ApplicationStatus.SUBMITTED:
            raise ApplicationClosed(locked)
        _open(locked)
        check_submission(form, locked, client, result_channel=result_channel,
                         service_point=service_point, declared=declared)
        me = actor.person
        assert me is not None
        for_other = not (isinstance(client, Person) and client.pk == me.pk)
        case = open_case(actor, NewCase(
            service_code=locked.service.code, identification=IdentificationLevel.SIGNED_IN,
            application_channel=RegisterChannel.EACCOUNT,
            acted_by=ActedBy.REPRESENTATIVE if for_other else ActedBy.CLIENT,
            personal_code=client.personal_code if isinstance(client, Person) else "",
            registration_number=client.registration_number if isinstance(client, Company) else "",
            representative_code=me.personal_code if for_other else "",
            mandate_reference=(_relied_on(actor, client, locked.service, locked.role_key)
                               if for_other else ""),
            result_channel=result_channel,
            service_point=service_point if result_channel == Channel.CENTRE else "",
            holder_reference=str(locked.reference)))
        record_submission(actor, client, locked, form, case, result_channel=result_channel,
                          service_point=service_point)
    return locked


def check_submission(form: CompiledForm, locked: Application, client: Person | Company, *,
                     result_channel: str, service_point: str, declared: bool,
                     declaration: str = "") -> None:
    """The checks of a submit, before anything is written: every answer (`validate_answers`,
    file answers among the client's documents), the result channel and centre, the
    declaration (`declaration`: its refusal's text, default the client's own). Raises
    ValidationError keyed by question (the engine's codes) or `result_channel` /
    `service_point` / `declaration` (`required`)."""
    errors = validate_answers(form, locked.answers,
                              documents=_document_ids(client, locked))
    if errors:
        raise ValidationError({key: ValidationError(e.message, code=e.code)
                               for key, e in errors.items()})
    problems_: dict[str, ValidationError] = {}
    if result_channel not in result_channels(locked.service):
        problems_["result_channel"] = ValidationError(
            gettext("Choose how you want to receive the result."), code="required")
    if result_channel == Channel.CENTRE and service_point not in dict(
            collection_points(locked.service, "lv")):
        problems_["service_point"] = ValidationError(
            gettext("Choose the centre where you will collect the result."), code="required")
    if not declared:
        problems_["declaration"] = ValidationError(
            declaration or gettext("Confirm that the information you gave is true."),
            code="required")
    if problems_:
        raise ValidationError(problems_)


def record_submission(actor: Actor, client: Person | Company, locked: Application,
                      form: CompiledForm, case: Any, *, result_channel: str,
                      service_point: str) -> None:
    """What a submit writes once the case is open, in the caller's transaction (the row
    `locked`): the attachments linked to the case, the prepayment invoice, the application
    submitted with the case's change position, `application.submitted` published, audited.
    Raises what `attach_to_case` and `payments.issue_prepayment` raise."""
    attachments = [d for _k, d in file_answers(form, locked.answers)]
    if attachments:
        attach_to_case(actor, client, attachments, case, direction=(
            Direction.RECEIVED if locked.origin == ApplicationOrigin.ASSISTED
            else Direction.SENT))
    payments.issue_prepayment(actor, case, language=(get_language() or "lv")[:2])
    now = timezone.now()
    locked.status, locked.case, locked.submitted_at = ApplicationStatus.SUBMITTED, case, now
    locked.result_channel = result_channel
    locked.service_point = service_point if result_channel == Channel.CENTRE else ""
    locked.change_xid, locked.change_seq = case.change_xid, case.change_seq
    locked.save(update_fields=["status", "case", "submitted_at", "result_channel",
                               "service_point", "change_xid", "change_seq", "changed_at"])
    publish(actor, APPLICATION_SUBMITTED, [(f"application:{locked.pk}", {
        "application_id": locked.pk, "reference": str(locked.reference),
        "case_number": case.number, "service_code": locked.service.code,
        "form_version": locked.form_version.number, "holder_id": locked.service.holder_id,
    })])
    record(actor, "eforms.application.submit", locked, subject=_subject(client),
           details={"service": locked.service.code, "case": case.number})


def _relied_on(actor: Actor, client: Person | Company, service: Service, role_key: str) -> str:
    """What a case submitted for someone else records as its basis: the mandate it relied on
    (`mandate:<id>`, `mandates.queries.relied_on`), or the base-register relation of the role
    (`role:<key>`: a minor child, a represented company)."""
    mandate = mandates.relied_on(actor, client, ClientRight.APPLY, service.pk)
    return mandate.reference() if mandate is not None else f"role:{role_key}"


# --- expiry and the reminder (core.worker source) ---------------------------------------------

def expire_and_remind(now: datetime.datetime | None = None, *, batch: int = 200) -> int:
    """One round of the drafts' clock: drafts past `expires_at` become expired; drafts within
    `DURVIS_DRAFT_REMIND_DAYS` of it and not yet reminded get one reminder (through the
    notification preferences, topic reminders) and `reminded_at`, never twice (the row is
    stamped in the transaction that queues the message). Returns how many drafts it took."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(Application.objects.select_for_update(skip_locked=True).filter(
            status=ApplicationStatus.DRAFT, expires_at__lte=now).values_list("pk", flat=True)[:batch])
        if expired:
            Application.objects.filter(pk__in=expired).update(status=ApplicationStatus.EXPIRED,
                                                              answers={}, changed_at=now)
    with transaction.atomic():
        due = list(Application.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=ApplicationStatus.DRAFT, reminded_at__isnull=True,
            expires_at__lte=now + datetime.timedelta(days=remind_days()), expires_at__gt=now)
            .select_related("service", "client_person", "client_company")[:batch])
        if due:
            Application.objects.filter(pk__in=[a.pk for a in due]).update(reminded_at=now)
            notify_clients(DRAFT_REMINDER, [(_client_of(a), {
                "service": a.service, "expires_at": a.expires_at,
                "reference": str(a.reference)}) for a in due])
    return len(expired) + len(due)


def next_draft_due() -> datetime.datetime | None:
    """When the drafts' clock next has work: the earliest expiry or reminder time of a draft."""
    first_expiry = (Application.objects.filter(status=ApplicationStatus.DRAFT)
                    .order_by("expires_at").values_list("expires_at", flat=True).first())
    first_reminder = (Application.objects.filter(status=ApplicationStatus.DRAFT,
                                                 reminded_at__isnull=True)
                      .order_by("expires_at").values_list("expires_at", flat=True).first())
    times = [t for t in (first_expiry, first_reminder - datetime.timedelta(days=remind_days())
                         if first_reminder else None) if t is not None]
    return min(times) if times else None


SOURCES.register(Source("eforms.drafts", expire_and_remind, next_draft_due, lambda _ids: 0))
