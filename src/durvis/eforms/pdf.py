"""The PDF copy of a submitted application (A10): what the client sent, for their records and
the holder's, in the client's language (Latvian or English): the service, the case number, the
date, every visible answer by page with its question, the attachments' names. Rendered from an
HTML template by WeasyPrint (pango and the DejaVu fonts on the machine) and stored as the
client's document on the case (`documents.services.store_document`, sent by the client)."""

from __future__ import annotations

import contextlib
import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from durvis.core.actor import Actor
from durvis.core.templatetags.durvis_formats import format_money
from durvis.documents.models import Direction, Document
from durvis.documents.services import store_document
from durvis.eforms.engine import CompiledForm, visible_questions
from durvis.eforms.models import Application
from durvis.identity.models import Company, Person


def shown(question: Any, value: Any) -> str:
    """An answer as a person reads it: yes/no, the chosen options' labels, amounts in the
    language's form (`€ 1 234,50` / `€1,234.50`), dates as `31.12.2026`, a file's name, an
    address's register text, a
    group's items line by line."""
    from durvis.eforms.definition import QuestionType, text
    if value is None or value == "":
        return ""
    kind = question.type
    if kind == QuestionType.YES_NO:
        return gettext("Yes") if value is True else gettext("No")
    options = {o["value"]: text(o["label"]) for o in question.definition.get("options", [])}
    if kind == QuestionType.SINGLE_CHOICE:
        return options.get(value, str(value))
    if kind == QuestionType.MULTIPLE_CHOICE and isinstance(value, list):
        return ", ".join(options.get(v, str(v)) for v in value)
    if kind == QuestionType.MONEY:
        return format_money(value)
    if kind == QuestionType.DATE and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(value).strftime("%d.%m.%Y")
    if kind == QuestionType.ADDRESS and isinstance(value, dict):
        return str(value.get("text") or value.get("code"))
    if kind == QuestionType.FILE and isinstance(value, dict):
        return str(value.get("name") or value.get("document_id"))
    if kind == QuestionType.REPEATING_GROUP and isinstance(value, list):
        lines = []
        for index, item in enumerate(value, start=1):
            parts = [f"{child.label}: {shown(child, item.get(child.key))}"
                     for child in question.children if isinstance(item, dict) and child.key in item]
            lines.append(f"{index}. " + "; ".join(parts))
        return "\n".join(lines)
    return str(value)


def summary(form: CompiledForm, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The visible answers by page: `[{"page", "title", "rows": [{"key", "label", "value"}]}]`
    (a question not answered shows as empty), in the form's order."""
    pages = []
    questions = visible_questions(form, answers)
    for page in form.pages:
        rows = [{"key": q.key, "label": q.label, "value": shown(q, answers.get(q.key)),
                 "type": q.type} for q in questions if q.page == page.key]
        if rows:
            pages.append({"page": page.key, "title": page.title, "rows": rows})
    return pages


def render_copy(application: Application, form: CompiledForm, language: str) -> bytes:
    """The PDF of a submitted application in `language` (`lv` or `en`)."""
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string("eforms/application_pdf.html", {
            "application": application, "service": application.service,
            "case": application.case, "pages": summary(form, application.answers),
            "submitted_at": timezone.localtime(application.submitted_at or timezone.now()),
            "result_channel": _channel_label(application.result_channel),
            "language": language,
        })
    return bytes(HTML(string=html).write_pdf())


def _channel_label(value: str) -> str:
    from durvis.catalog.models import Channel
    return str(Channel(value).label) if value in Channel.values else ""


def client_language(person: Person) -> str:
    """The language of the copy: the one the person who applied reads the platform's messages
    in (`messaging.queries.language_of`: Latvian unless they chose English)."""
    from durvis.messaging.queries import language_of
    return "en" if language_of(person).startswith("en") else "lv"


def store_copy(actor: Actor, client: Person | Company, application: Application,
               form: CompiledForm) -> Document:
    """Render the copy of a just-submitted application (its case set) and store it as the
    client's sent document on the case. Raises what `store_document` raises (its scan)."""
    language = client_language(application.started_by)
    content = render_copy(application, form, language)
    assert application.case is not None
    number = application.case.number.replace(" ", "-")
    with translation.override(language):
        title = gettext("Application %(number)s") % {"number": application.case.number}
    return store_document(actor, client=client, name=f"application-{number}.pdf",
                          content=content, content_type="application/pdf", title=title,
                          direction=Direction.SENT, institution=application.service.holder,
                          case=application.case)
