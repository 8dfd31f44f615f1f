"""The header's links: what the signed-in person may open, asked of the access policy, so a link
never leads to a refusal. Staff see their name, institution and the sections of their roles;
clients their e-account; visitors the sign-in. The same list is the 403 page's "what you can do
instead" and the staff start page's cards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import decide
from durvis.administration.rules import AdministrationAction
from durvis.calendars.rules import CalendarAction
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import Actor
from durvis.documents.rules import DocumentAction
from durvis.eforms.rules import AssistantAction, FormAction
from durvis.identity.models import StaffRole
from durvis.identity.rules import IdentityAction
from durvis.identity.sessions import actor_from_request
from durvis.integrations.rules import IntegrationAction
from durvis.knowledge.rules import KnowledgeAction
from durvis.payments import services as payments
from durvis.payments.rules import PaymentAction
from durvis.servicepoints.rules import ServicePointAction
from durvis.workflows.rules import WorkflowAction


@dataclass(frozen=True)
class Section:
    key: str
    label: Any
    url: str
    description: Any = ""
    accesskey: str = ""  # the workplace's common actions (B3): Alt+Shift+key in most browsers


def staff_sections(actor: Actor) -> list[Section]:
    """The staff sections this actor may open, the start page first."""
    if actor.staff is None:
        return []
    sections = [Section("home", _("Start page"), reverse("administration:home"),
                        _("What you can do in Durvis."))]
    if actor.roles & {StaffRole.AGENT, StaffRole.BACK_OFFICE}:
        sections.append(Section("tasks", _("Tasks"), reverse("administration:tasks"),
                                _("Your tasks and your queue, the most urgent first."), "q"))
        sections.append(Section("consultation", _("Register a consultation"),
                                reverse("administration:consultation-new"),
                                _("A consultation in a few seconds, its duration timed."), "n"))
        sections.append(Section("clients", _("Clients"), reverse("administration:clients"),
                                _("Find a client, verify a caller, open the client's overview "
                                  "for the service you are handling."), "k"))
        sections.append(Section("cases", _("Cases"), reverse("administration:cases"),
                                _("The cases of your institution, read-only.")))
        if decide(actor, CalendarAction.DAY_VIEW):
            sections.append(Section("appointments", _("Appointments"),
                                    reverse("administration:appointments-day"),
                                    _("Who comes when to your institution's service points.")))
        sections.append(Section("time", _("My working time"), reverse("administration:my-time"),
                                _("Your time on cases and consultations, recorded as you "
                                  "work; correct it with a reason.")))
    sections.append(Section("knowledge", _("Knowledge base"), reverse("administration:knowledge"),
                            _("Answers about every service: search, read, follow changes."),
                            "z"))
    if decide(actor, KnowledgeAction.EDIT):
        sections.append(Section("knowledge-editor", _("Knowledge base: editing"),
                                reverse("administration:knowledge-editor"),
                                _("Your institution's articles in versions, the feedback on "
                                  "them and, for central editors, the review.")))
    if actor.has_role(StaffRole.AGENT) or decide(actor, KnowledgeAction.EDIT, None):
        sections.append(Section("scripts", _("Call scripts"), reverse("administration:scripts"),
                                _("Run a call script to its outcome; knowledge editors write "
                                  "and review the scripts.")))
    if decide(actor, WorkflowAction.SEE_LOAD, actor.staff.institution):
        sections.append(Section("load", _("Load"), reverse("administration:load"),
                                _("Today's and this week's work per service point and stage.")))
    if decide(actor, AssistantAction.ASSIST):
        sections.append(Section("assistant", _("E-service assistant"), reverse("assistant:home"),
                                _("Fill in and submit an application for a client who is "
                                  "present and signs the printed summary; the signed originals "
                                  "to send to the holders."), "a"))
    if decide(actor, DocumentAction.SEND_TO_CLIENT):
        sections.append(Section("write", _("Write to a client"), reverse("staff-messages:new"),
                                _("A message to the e-account of the client of one of your "
                                  "institution's cases.")))
    if decide(actor, CatalogAction.ADMINISTER_CATALOG):
        sections.append(Section("services", _("Services"), reverse("administration:services"),
                                _("Your institution's services in the catalogue.")))
    if decide(actor, CatalogAction.MANAGE_SYNONYMS, None):
        sections.append(Section("synonyms", _("Search synonyms"),
                                reverse("administration:synonyms"),
                                _("Words that mean the same to people searching the catalogue "
                                  "and the knowledge base.")))
    if decide(actor, FormAction.BUILD):
        sections.append(Section("forms", _("E-forms"), reverse("administration:forms"),
                                _("Build, preview and publish your services' application forms.")))
    if decide(actor, WorkflowAction.MANAGE_TEAMS, actor.staff.institution):
        sections.append(Section("workflows", _("Workflows and teams"),
                                reverse("administration:workflows"),
                                _("Your institution's workflows in versions, and its teams.")))
    if decide(actor, ServicePointAction.MANAGE):
        sections.append(Section("service-points", _("Service points"),
                                reverse("administration:service-points"),
                                _("Your institution's service points: address, hours, days "
                                  "closed, and the calendars clients book times in.")))
    if decide(actor, IdentityAction.SET_OFFICE_HOURS, actor.staff.institution):
        sections.append(Section("office-hours", _("Office hours"),
                                reverse("administration:office-hours"),
                                _("The hours and days closed by which your queues count the "
                                  "time allowed for a task.")))
    if decide(actor, IntegrationAction.MANAGE_INTEGRATIONS, actor.staff.institution):
        sections.append(Section("integrations", _("Integrations"),
                                reverse("administration:integrations"),
                                _("API clients, webhooks, status mappings and the outbox.")))
    if decide(actor, CatalogAction.MANAGE_DELEGATIONS):
        sections.append(Section("delegations", _("Providers per stage"),
                                reverse("administration:delegations"),
                                _("Which stages of your services other institutions provide, "
                                  "and what was delegated to yours.")))
    if decide(actor, CatalogAction.MANAGE_ESERVICES, actor.staff.institution):
        sections.append(Section("eservices", _("E-services and embedding"),
                                reverse("administration:eservices"),
                                _("Your e-services reached with single sign-on, and the web "
                                  "sites that may embed your forms.")))
    if decide(actor, PaymentAction.MANAGE, None):
        sections.append(Section("statements", _("Bank statements"),
                                reverse("administration:statements"),
                                _("Import camt statements; match the payments left in the "
                                  "manual queue.")))
    if payments.may_manage(actor):
        sections.append(Section("finance", _("Invoices and payments"),
                                reverse("administration:finance-invoices"),
                                _("Your institution's invoices, payments and payee accounts.")))
    if decide(actor, IdentityAction.RESET_STAFF_SECOND_FACTOR):
        sections.append(Section("team", _("Team"), reverse("administration:team"),
                                _("Your colleagues and their second factor.")))
    if decide(actor, AdministrationAction.REVIEW_ACCESS, actor.staff.institution):
        sections.append(Section("access-review", _("Access review"),
                                reverse("administration:access-review"),
                                _("Confirm or revoke the rights of everybody who works on your "
                                  "services, every 90 days.")))
    if decide(actor, AdministrationAction.READ_AUDIT):
        sections.append(Section("audit", _("Activity log"), reverse("administration:audit"),
                                _("Who did what: your staff's actions and those on your "
                                  "services.")))
        sections.append(Section("flagged-uses", _("Flagged uses of clients' data"),
                                reverse("administration:flagged-uses"),
                                _("Views of a client's data with neither a case nor consent "
                                  "behind them, to review.")))
    return sections


def _sections(request: HttpRequest) -> list[Section]:
    actor = actor_from_request(request)
    if actor.staff is not None:
        return staff_sections(actor)
    return []


def header(request: HttpRequest) -> dict[str, Any]:
    """`staff_sections` (lazy: only pages that show the header ask the policy) and
    `staff_member` for a staff session that passed both factors."""
    def member() -> Any:
        return actor_from_request(request).staff

    return {"staff_sections": SimpleLazyObject(lambda: _sections(request)),
            "staff_member": SimpleLazyObject(member)}
