"""Who used my data (B4, B5, A2; issue 16): the e-account lists every use of the current role's
personal data by institutions' staff and systems, from the activity log: when, which institution
and whether its system or a person there (never the employee's name), what was done, for what
purpose and about which case; a view with neither a case nor the person's consent behind it is
shown flagged for the institution's review (`audit.services.flag_use`). Estonia's data tracker
shows the reads of the registers; this list covers the reads and changes of every part of the
platform, through its pages and its API.

Seen by the person and a parent for a minor, and for a company by its representatives (the rule
`client.see_data_use`); a role held under a mandate gets an explanation instead. Each use says
the service point where the employee worked, when they had said one (`StaffMember.service_point`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import decide
from durvis.audit import queries as audit_queries
from durvis.audit.services import record
from durvis.catalog.queries import services_by_code
from durvis.core.forms import QueryForm
from durvis.identity.models import Company
from durvis.identity.queries import institutions_by_code
from durvis.identity.rules import IdentityAction
from durvis.identity.sessions import actor_from_request
from durvis.register import queries as register_queries
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required

PAGE_SIZE = 50
CASE = "register.servicecase"
# The basis a specialist gave for opening the 360° view (`register.rules.ProfileBasis`).
BASES = {"consent": _("with your consent"), "case": _("for your case"),
         "law": _("for a task the law gives the institution")}


class DataUseQueryForm(QueryForm):
    """The page's query: `before`, the use the next (older) page starts below."""

    before = forms.IntegerField(label=_("Older than"), required=False, min_value=1)


@client_required
def data_use(request: HttpRequest) -> HttpResponse:
    """One page (`PAGE_SIZE`) of the uses of the current role's data by others, newest first;
    the reading itself is audited."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    form = DataUseQueryForm(request.GET)
    context: dict[str, Any] = {"eaccount_section": "data-use", "query_form": form}
    if not decide(actor, IdentityAction.SEE_DATA_USE, None, role.client):
        return render(request, "eaccount/data_use.html", {**context, "refused": True})
    client = role.client
    record(actor, "audit.data_use.read", None, subject=client, purpose="eaccount")
    if isinstance(client, Company):
        uses = audit_queries.uses_of(company_id=client.pk, before=form.value("before"),
                                     limit=PAGE_SIZE + 1)
    else:
        uses = audit_queries.uses_of(client.pk, before=form.value("before"), limit=PAGE_SIZE + 1)
    shown = uses[:PAGE_SIZE]
    rows = _rows(client, shown)
    return render(request, "eaccount/data_use.html", {
        **context, "uses": rows, "company": isinstance(client, Company),
        "any_flagged": any(row["flagged"] for row in rows),
        "older": shown[-1].id if len(uses) > PAGE_SIZE else None,
        "first_page": form.value("before") is None})


def _rows(person: Any, uses: list[audit_queries.Use]) -> list[dict[str, Any]]:
    """The uses with their institution, case and whether each is flagged for the institution's
    review resolved (four queries for the page)."""
    flagged = audit_queries.flagged_among([u.id for u in uses])
    institutions = institutions_by_code({u.institution_code for u in uses})
    services = services_by_code({u.details["service"] for u in uses
                                 if isinstance(u.details.get("service"), int)})
    numbers = register_queries.case_numbers(person, {
        int(u.object_id) for u in uses if u.object_type == CASE and u.object_id.isdigit()})
    rows = []
    for use in uses:
        institution = institutions.get(use.institution_code)
        case_id = int(use.object_id) if use.object_type == CASE and use.object_id.isdigit() else 0
        service = services.get(use.details.get("service"))  # type: ignore[arg-type]
        rows.append({"use": use, "institution": institution.name if institution else
                     use.institution_code, "case": numbers.get(case_id, ""),
                     "service": f"{service.code} {service.name}" if service else "",
                     "basis": BASES.get(str(use.details.get("basis", "")), ""),
                     "flagged": use.id in flagged})
    return rows
