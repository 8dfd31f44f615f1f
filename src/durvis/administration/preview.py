"""The builder's preview (A10): a draft's pages as the citizen will see them, one page at a
time, checked on the server and routed as the published form will be (the e-forms engine).
The answers live in the builder's session only, per draft content, and are never stored; file
questions take no upload here."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from durvis.administration.builder import _draft, _view
from durvis.eforms import queries as eforms

FILE = eforms.QuestionType.FILE


def _key(draft: Any) -> str:
    return f"durvis.eforms.preview.{draft.pk}.{draft.checksum[:16]}"


fields = eforms.fields


@_view
def preview(request: HttpRequest, code: int, page: str | None = None) -> HttpResponse:
    _actor, service, draft = _draft(request, code)
    form = eforms.compiled(draft)
    if page is None:
        request.session[_key(draft)] = {}
        return redirect("administration:form-preview-page", code=code, page=form.pages[0].key)
    form.page(page)
    answers: dict[str, Any] = dict(request.session.get(_key(draft), {}))
    errors: dict[str, eforms.AnswerError] = {}
    extra: dict[str, int] = {}
    if request.method == "POST":
        on_page = {q.key for q in form.page(page).questions}
        merged = {k: v for k, v in answers.items() if k not in on_page}
        merged.update(eforms.parse_page(form, page, request.POST))
        adding = request.POST.get("add_item", "")
        if adding in on_page:
            extra[adding] = 1
            answers = merged
        else:
            errors = {k: e for k, e in eforms.validate_page(form, merged, page).items()
                      if not (e.code == "required" and form.questions.get(k, None) is not None
                              and form.questions[k].type == FILE)}
            answers = merged
            if not errors:
                answers = eforms.strip_hidden(form, merged)
                request.session[_key(draft)] = answers
                step = eforms.next_page(form, answers, page)
                if step.page:
                    return redirect("administration:form-preview-page", code=code, page=step.page)
                return redirect("administration:form-preview-end", code=code)
    questions = eforms.visible_questions(form, answers, page)
    return render(request, "administration/eforms/preview.html", {
        "service": service, "draft": draft, "page": form.page(page),
        "fields": fields(form, questions, answers, errors, extra), "errors": errors,
        "error_links": [("f-" + key.replace(".", "-"), error.message) for key, error in errors.items()],
        "position": [p.key for p in form.pages].index(page) + 1, "total": len(form.pages),
    }, status=422 if errors else 200)


@_view
def preview_end(request: HttpRequest, code: int) -> HttpResponse:
    """Where the preview ends: the check-your-answers summary as the citizen's journey shows it
    (`eforms.summary`: by page, each answer as people read it, in the page's language), or
    "not eligible" and why."""
    _actor, service, draft = _draft(request, code)
    form = eforms.compiled(draft)
    answers = request.session.get(_key(draft), {})
    path = eforms.walk(form, answers)
    return render(request, "administration/eforms/preview_end.html", {
        "service": service, "draft": draft, "pages": eforms.summary(form, answers),
        "reason": eforms.text(path.ending) if path.ending else "",
        "errors": eforms.validate_answers(form, answers) if not path.ending else {},
    })
