"""Every rule's list filter returns exactly the records its single decision allows (issue 8): a
list can never show what the record's page would refuse, nor hide what it would show."""

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durvis.access.policy import RULES, decide, visible
from durvis.administration.rules import AdministrationAction
from durvis.audit.models import AuditEvent
from durvis.calendars.models import Booking
from durvis.calendars.rules import CalendarAction
from durvis.catalog.models import Service
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import ANONYMOUS, Actor
from durvis.eforms.models import Application, AssistedApplication
from durvis.eforms.rules import ApplicationAction, AssistantAction, FormAction
from durvis.identity import services as identity
from durvis.identity.rules import IdentityAction
from durvis.integrations import services as integrations
from durvis.knowledge.models import Article
from durvis.knowledge.rules import KnowledgeAction
from durvis.payments import services as payments
from durvis.payments.models import Invoice
from durvis.payments.rules import PaymentAction
from durvis.register import services as register
from durvis.register.models import Consultation, ServiceCase
from durvis.register.rules import CaseAction
from durvis.servicepoints.models import ServicePoint
from durvis.servicepoints.rules import ServicePointAction

# The records each listed action is asked about.
LISTED = {
    CatalogAction.VIEW_SERVICE: [Service],
    IdentityAction.CLIENT_READ: [ServiceCase, Consultation, Invoice, Booking],
    IdentityAction.CLIENT_WRITE: [ServiceCase, Consultation, Invoice],
    CaseAction.READ_CASE: [ServiceCase],
    FormAction.BUILD: [Service],
    ApplicationAction.READ: [Application],
    ApplicationAction.WRITE: [Application],
    FormAction.READ_APPLICATIONS: [Service],
    PaymentAction.MANAGE: [Invoice],
    PaymentAction.SYSTEM_READ: [Invoice],
    AssistantAction.ORIGINALS: [AssistedApplication],
    AdministrationAction.READ_AUDIT: [AuditEvent],
    KnowledgeAction.READ_ARTICLE: [Article],
    ServicePointAction.MANAGE: [ServicePoint],
    CalendarAction.DAY_VIEW: [Booking],
    CalendarAction.SYSTEM_READ: [Booking],
}


def test_every_rule_with_a_list_filter_is_checked_here():
    assert {rule.key for rule in RULES if rule.list_filter} == set(LISTED)


def world(family, staff, institutions, api_client_factory):
    """Actors of every kind, and the clients they may name (a company's representative who may
    act only jointly among them)."""
    import datetime

    joint = identity.record_person(personal_code="15079012348", given_name="Pēteris",
                                   family_name="Kalniņš")
    identity.record_representation(family["company"], joint, "board_member",
                                   may_act_alone=False, valid_from=datetime.date(2020, 1, 1))
    register.register_consultation(family["system"], register.NewConsultation(
        channel="phone", identification="identified_by_agent", outcome="answered",
        occurred_at=timezone.now(), service_code=1011,
        personal_code=family["child"].personal_code))
    back_office = identity.record_staff(username="bo.vsaa", password="pw-long-enough-for-tests",
                                        institution=institutions["VSAA"], roles=["back_office"])
    builder = identity.record_staff(username="forms.vsaa", password="pw-long-enough-for-tests",
                                    institution=institutions["VSAA"], roles=["form_builder"])
    _applications(family, institutions)
    vid_agent = _assisted(family, staff, institutions)
    _mandates(family)
    finance = [_invoices(family, institutions, code) for code in ("VSAA", "VID")]
    narrow = api_client_factory("VID", operations=("cases:write",))
    receiving = api_client_factory("VDAA", operations=("applications:read",))
    riga_agent = _delegations(institutions)
    by_stage = [integrations.api_actor(api_client_factory(code, operations=(
        "applications:read",)).api_client) for code in ("ROJA", "RIGA")]
    invoicing = api_client_factory("VSAA", operations=("invoices:read",))
    editors = _articles(institutions)
    _appointments(family, institutions)
    actors = [ANONYMOUS, family["system"], family["vid"],
              integrations.api_actor(narrow.api_client),
              integrations.api_actor(receiving.api_client),
              integrations.api_actor(invoicing.api_client), *finance,
              Actor(kind="staff", staff=back_office), Actor(kind="staff", staff=builder),
              vid_agent, riga_agent, *by_stage,
              *(Actor(kind="person", person=family[p]) for p in ("parent", "child", "stranger")),
              Actor(kind="person", person=joint),
              *(Actor(kind="staff", staff=member) for member in staff.values()), *editors]
    clients = [None, family["parent"], family["child"], family["company"], family["stranger"]]
    return actors, clients


def _appointments(family, institutions):
    """Service points of VDAA, RIGA and VSAA (issue 18), a calendar of 1011 at each, and a
    booking of each client at each."""
    import datetime
    from decimal import Decimal

    from durvis.calendars.models import Calendar
    from durvis.catalog.models import Service as CatalogService

    service = CatalogService.objects.get(code=1011)
    start = timezone.now() + datetime.timedelta(days=3)
    for n, code in enumerate(("VDAA", "RIGA", "VSAA")):
        point = ServicePoint.objects.create(
            institution=institutions[code], name=f"Vieta {code}", kind="local_centre",
            address="Iela 1", town="Rīga", latitude=Decimal("56.9"), longitude=Decimal("24.1"),
            hours="mon-fri 09:00-17:00")
        calendar = Calendar.objects.create(point=point, service=service)
        for m, client in enumerate(("parent", "child", "company", "stranger")):
            at = start + datetime.timedelta(minutes=20 * (4 * n + m))
            owner = ({"client_company": family[client]} if client == "company"
                     else {"client_person": family[client]})
            Booking.objects.create(calendar=calendar, service=service, starts_at=at,
                                   ends_at=at + datetime.timedelta(minutes=20), desk=1, **owner)


def _delegations(institutions):
    """Providers per stage (issue 16) of the childbirth benefit 1011, whose applications the
    filters list: VID consults only (so its agent may not assist), ROJA's execution is over and
    RIGA's is still to come while RIGA takes applications now. Returns an agent of RIGA."""
    import datetime

    from durvis.catalog.models import Delegation, Stage
    from durvis.catalog.models import Service as CatalogService
    from durvis.catalog.queries import day_of

    service, today = CatalogService.objects.get(code=1011), day_of()
    day = datetime.timedelta(days=1)
    for code, stage, start, end in [("VID", Stage.INFORMATION, today, None),
                                    ("ROJA", Stage.EXECUTION, today - 5 * day, today - day),
                                    ("ROJA", Stage.INFORMATION, today, None),
                                    ("RIGA", Stage.EXECUTION, today + day, None),
                                    ("RIGA", Stage.APPLICATION, today - day, today)]:
        Delegation.objects.create(service=service, provider=institutions[code], stage=stage,
                                  valid_from=start, valid_until=end)
    member = identity.record_staff(username="agent.riga", password="pw-long-enough-for-tests",
                                   institution=institutions["RIGA"], roles=["agent"])
    return Actor(kind="staff", staff=member)


def _articles(institutions):
    """Knowledge base articles (issue 17) of every audience about 1011 (delegated to RIGA's
    agent's institution by the delegations above, for some stages and days), a topic article,
    a draft and a retired one; returns VSAA's knowledge editor, VID's and the central editor."""
    from durvis.catalog.models import Service as CatalogService
    from durvis.knowledge import services as knowledge

    def editor(code):
        return Actor(kind="staff", staff=identity.record_staff(
            username=f"editor.{code}", password="pw-long-enough-for-tests",
            institution=institutions[code], roles=["knowledge_editor"]))

    vsaa, vid, central = editor("VSAA"), editor("VID"), editor("VDAA")
    service = CatalogService.objects.get(code=1011)
    text = {key: {"lv": "Teksts", "en": ""} for key in ("summary", "eligibility", "steps")}
    for audience, topic, state in [("public", "", "published"), ("providers", "", "published"),
                                   ("holder", "", "published"), ("delegated", "", "published"),
                                   ("holder", "Pabalsti", "published"),
                                   ("delegated", "", "draft"), ("public", "", "retired")]:
        version = knowledge.create_article(vsaa, knowledge.ArticleSubject(
            audience=audience, service=None if topic else service, topic=topic),
            knowledge.ArticleDraft(title_lv=f"{audience} {state}", content=text))
        if state != "draft":
            knowledge.submit(vsaa, version)
            knowledge.approve(central, version)
        if state == "retired":
            knowledge.retire(central, version.article, "Novecojis")
    return [vsaa, vid, central]


def _mandates(family):
    """Mandates (issue 15): the stranger may read the parent's childbirth-benefit cases and pay
    the company's invoices; the joint representative's request waits."""
    from durvis.catalog.models import Service as CatalogService
    from durvis.mandates import services as mandates

    parent = Actor(kind="person", person=family["parent"])
    mandates.grant(parent, family["parent"], family["stranger"].personal_code, mandates.Terms(
        scope="services", service_ids=[CatalogService.objects.get(code=1011).pk],
        rights=["read", "apply"]))
    mandates.grant(parent, family["company"], family["stranger"].personal_code,
                   mandates.Terms(rights=["pay", "read"]))


def _invoices(family, institutions, code):
    """Invoices on the cases of `code`'s institution, issued by its finance specialist (who is
    returned as an actor)."""
    from durvis.core.actor import SYSTEM

    member = identity.record_staff(username=f"finance.{code}", password="pw-long-enough-for-tests",
                                   institution=institutions[code], roles=["finance"])
    finance = Actor(kind="staff", staff=member)
    payments.save_payee_account(SYSTEM, institutions[code], name=code, iban=(
        "LV71TREL9140401016000" if code == "VSAA" else "LV54TREL2180080026000"), bic="")
    for case in ServiceCase.objects.filter(holder=institutions[code]):
        payments.issue_invoice(finance, case.number, payments.NewInvoice(
            kind="postpayment", lines=[payments.NewLine(kind="fee", description="Fee",
                                                        unit_price="1.00")]))
    return finance


def _applications(family, institutions):
    """E-form drafts of the parent, the child, the company and the stranger."""
    import datetime

    from durvis.catalog.models import Service as CatalogService
    from durvis.identity.queries import owner_fields
    from tests.eforms.journey import publish_form

    service = CatalogService.objects.get(code=1011)
    publish_form(institutions, service)
    version = service.eform.versions.get(status="published")
    for client in ("parent", "child", "company", "stranger"):
        Application.objects.create(
            **owner_fields(family[client]), service=service, form_version=version,
            started_by=family["stranger" if client == "stranger" else "parent"],
            role_key="self", expires_at=timezone.now() + datetime.timedelta(days=30))


def _assisted(family, staff, institutions):
    """Assisted applications (A3) of the parent and the stranger by VDAA's agent, the
    stranger's confirmed; returns an agent of VID (which neither holds nor provides 1011)."""
    from durvis.catalog.models import Service as CatalogService
    from durvis.eforms import assistant
    from durvis.servicepoints.queries import point_choices
    from tests.servicepoints.conftest import make_points

    make_points(institutions)

    agent = Actor(kind="staff", staff=staff["agent"])
    service = CatalogService.objects.get(code=1011)
    CatalogService.objects.filter(pk=service.pk).update(assistant_allowed=True)
    service.refresh_from_db()
    for person in ("parent", "stranger"):
        assistant.identify_client(agent, service, personal_code=family[person].personal_code,
                                  document_kind="passport", document_number="LV1234567",
                                  service_point=point_choices()[0])
    AssistedApplication.objects.filter(application__client_person=family["stranger"]).update(
        confirmed_at=timezone.now())
    member = identity.record_staff(username="agent.vid", password="pw-long-enough-for-tests",
                                   institution=institutions["VID"], roles=["agent"])
    return Actor(kind="staff", staff=member)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_list_shows_exactly_what_the_decision_allows(family, staff, institutions,
                                                      api_client_factory, data):
    actors, clients = _world_once(family, staff, institutions, api_client_factory)
    actor = data.draw(st.sampled_from(actors), label="actor")
    client = data.draw(st.sampled_from(clients), label="client")
    for action, models in LISTED.items():
        for model in models:
            records = model.objects.all()
            allowed = {r.pk for r in records if decide(actor, action, r, client)}
            listed = set(visible(actor, action, records, client).values_list("pk", flat=True))
            assert listed == allowed, (action, model.__name__)


_WORLDS: dict[int, tuple] = {}


def _world_once(family, staff, institutions, api_client_factory):
    """One world per test run (hypothesis calls the test body many times with one database)."""
    key = id(family)
    if key not in _WORLDS:
        _WORLDS.clear()
        _WORLDS[key] = world(family, staff, institutions, api_client_factory)
    return _WORLDS[key]
