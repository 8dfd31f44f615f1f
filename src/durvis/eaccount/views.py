"""The e-account pages (A2, C3). Being written; see the issue."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


overview = history = case_detail = case_feedback = consultation_feedback = switch_role = _todo
