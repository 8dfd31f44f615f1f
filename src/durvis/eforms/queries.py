"""Reads of e-forms (A10, A3): which forms a builder sees, a service's live and draft versions,
the readable difference before publishing, and the engine that checks answers (compiled once per
version). This is the public face the application journey uses: it holds no personal data, so
nothing here is audited.

The engine's functions take a `CompiledForm` (`compiled(version)`) and an answer set (a JSON
object by question key; shapes in `durvis.eforms.engine`'s docstring):

- `validate_page(form, answers, page_key, documents=None) -> dict[str, AnswerError]`
- `validate_answers(form, answers, documents=None) -> dict[str, AnswerError]`
- `walk(form, answers) -> Walk` (pages on the path, visible and required questions, the end)
- `next_page(form, answers, current) -> Next` (`page`, or `done`, or `ineligible` + `reason`)
- `visible_questions(form, answers, page=None)`, `required_questions(form, answers)`
- `strip_hidden(form, answers) -> dict`, `parse_page(form, page_key, post_data) -> dict`
- `file_answers(form, answers) -> [(key, document_id)]`, `money("12.50") -> Decimal`
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from durvis.access.policy import visible
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.eforms.definition import (
    CHOICE_TYPES,
    COMPARABLE,
    FORMAT,
    TYPE_LABELS,
    Problem,
    QuestionType,
    problems,
    publish_problems,
    text,
)
from durvis.eforms.diff import Change, diff
from durvis.eforms.edits import find_question, page_of
from durvis.eforms.engine import (
    NON_FIELD,
    AnswerError,
    CompiledForm,
    Next,
    Page,
    Question,
    Walk,
    compile_form,
    file_answers,
    holds,
    money,
    next_page,
    parse_page,
    required_questions,
    strip_hidden,
    validate_answers,
    validate_page,
    visible_questions,
    walk,
)
from durvis.eforms.fields import fields, shown_value
from durvis.eforms.models import (
    Application,
    ApplicationStatus,
    FormDefinition,
    FormVersion,
    VersionStatus,
)
from durvis.eforms.rules import ApplicationAction, FormAction

__all__ = [
    "CHOICE_TYPES",
    "COMPARABLE",
    "FORMAT",
    "NON_FIELD",
    "TYPE_LABELS",
    "AnswerError",
    "Change",
    "CompiledForm",
    "FormRow",
    "Next",
    "Page",
    "Problem",
    "Question",
    "QuestionType",
    "Walk",
    "application_of",
    "applications_in_progress",
    "buildable_services",
    "compile_form",
    "compiled",
    "diff",
    "draft_of",
    "fields",
    "file_answers",
    "find_question",
    "form_rows",
    "holds",
    "live_version",
    "money",
    "next_page",
    "page_of",
    "parse_page",
    "problems",
    "publish_problems",
    "required_questions",
    "shown_value",
    "strip_hidden",
    "summary",
    "text",
    "validate_answers",
    "validate_page",
    "versions_of",
    "visible_questions",
    "walk",
]


def compiled(version: FormVersion) -> CompiledForm:
    """The version's definition compiled for checking answers; built once per content (its
    checksum) and kept, so the journey calls this per request at no cost."""
    return compile_form(version.definition, version.checksum)


def buildable_services(actor: Actor) -> QuerySet[Service]:
    """The services whose forms `actor` builds (`FormAction.BUILD`'s list filter), by code."""
    return visible(actor, FormAction.BUILD, Service.objects.all()).order_by("code")


@dataclass(frozen=True)
class FormRow:
    """A line of the builder's list: the service, its live version and its draft (or None)."""

    service: Service
    live: FormVersion | None
    draft: FormVersion | None


def form_rows(actor: Actor) -> list[FormRow]:
    """`buildable_services` with their live and draft versions, in two queries."""
    services = list(buildable_services(actor).select_related("eform").prefetch_related(
        Prefetch("eform__versions", queryset=FormVersion.objects.exclude(
            status=VersionStatus.RETIRED).only("id", "form_id", "number", "status",
                                               "published_at", "changed_at"))))
    rows = []
    for service in services:
        form = getattr(service, "eform", None)
        versions = list(form.versions.all()) if form else []
        rows.append(FormRow(
            service, next((v for v in versions if v.status == VersionStatus.PUBLISHED), None),
            next((v for v in versions if v.status == VersionStatus.DRAFT), None)))
    return rows


def _version(service: Service, status: str) -> FormVersion | None:
    return (FormVersion.objects.select_related("form__service")
            .filter(form__service=service, status=status).first())


def live_version(service: Service) -> FormVersion | None:
    """The published version new applications of `service` use, or None (no form, or
    retired). Public information: no rule asked."""
    return _version(service, VersionStatus.PUBLISHED)


def draft_of(service: Service) -> FormVersion | None:
    """The draft being built for `service`, or None. For the builder and its preview (the
    caller has asked `FormAction.BUILD`)."""
    return _version(service, VersionStatus.DRAFT)


def versions_of(service: Service) -> list[FormVersion]:
    """Every version of the service's form, newest first ([] without a form)."""
    form = FormDefinition.objects.filter(service=service).first()
    return list(form.versions.order_by("-number")) if form else []


def definition_text(value: Any) -> str:
    """A definition's `{"lv", "en"}` text in the active language (Latvian as the fallback)."""
    return text(value)


# --- the client's applications (A10, A2) --------------------------------------------------------

def applications_in_progress(actor: Actor, client: Any) -> QuerySet[Application]:
    """The client's drafts not yet expired, last saved first ("Iesāktie pieteikumi"), as the
    policy lets the actor see them (`ApplicationAction.READ`); with the service loaded."""
    from django.utils import timezone
    rows = visible(actor, ApplicationAction.READ, Application.objects.all(), client)
    return (rows.filter(status=ApplicationStatus.DRAFT, expires_at__gt=timezone.now())
            .select_related("service").order_by("-changed_at", "-pk"))


def application_of(actor: Actor, client: Any, reference: Any) -> Application:
    """The client's application with this reference (a UUID), read for the actor (audited
    `eforms.application.read`). Raises LookupError for an unknown reference or another
    client's application (not found, never forbidden: its existence is not revealed)."""
    from durvis.audit.services import record
    from durvis.identity.models import Person
    found = (visible(actor, ApplicationAction.READ, Application.objects.all(), client)
             .select_related("service", "service__holder", "form_version", "case")
             .filter(reference=reference).first())
    if found is None:
        raise LookupError("no such application")
    record(actor, "eforms.application.read", found,
           subject=client if isinstance(client, Person) else None)
    return found


def summary(form: CompiledForm, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The visible answers by page, as people read them (see `eforms.pdf.summary`)."""
    from durvis.eforms.pdf import summary as pages
    return pages(form, answers)
