"""Template context shared by every page."""

import re

from django.conf import settings
from django.http import HttpRequest

# The staff's areas: the workplace (/staff/...) and the administration (/administration/...),
# with or without a language prefix (/en/staff/...).
_STAFF_AREA = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?(?:staff|administration)(?:/|$)")


def platform(request: HttpRequest) -> dict[str, object]:
    """`DEMO_MODE`, and `STAFF_AREA`: whether the page is one of the staff's (their own wording
    on the error pages, 404.html)."""
    return {"DEMO_MODE": settings.DEMO_MODE,
            "STAFF_AREA": bool(_STAFF_AREA.match(request.path_info))}
