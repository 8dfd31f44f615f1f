"""Arbitrary query strings at every page of the e-account and of the administration (issue 12):
no query string, whatever its keys and values (the pages' own parameters with random values,
random keys, invalid UTF-8, control, invisible and direction-changing characters, other
scripts' digits, huge numbers, dates at the ends of the calendar), makes a page fail.

The pages are enumerated from the URL conf (every pattern of the e-account's and the staff's
namespaces that answers a plain GET), with real objects for their path parameters, each asked
as the kind of user it is for: the e-account's as a signed-in person, the staff's as whichever
staff member it lets in."""

from __future__ import annotations

import datetime
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from conftest import sign_in_staff
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durvis.catalog import services as catalog
from durvis.core.actor import SYSTEM, Actor
from durvis.documents import services as documents
from durvis.eforms import services as eforms
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.mandates import services as mandates
from durvis.messaging import services as messaging
from durvis.payments import services as payments
from durvis.register import services as register
from tests.documents.samples import PDF
from tests.eforms.samples import family_benefit

CLIENT_NAMESPACES = {"eaccount", "inbox", "documents", "profile"}
STAFF_NAMESPACES = {"administration", "staff-messages", "assistant"}
# Every parameter any page reads, and the sign-in's.
KNOWN = ["page", "date_from", "date_to", "number", "status", "institution", "service",
         "channel", "show", "case", "direction", "kind", "q", "holder", "next", "flow", "role",
         "state", "month", "format", "action", "staff", "before", "a", "script_run", "outcome",
         "near", "day", "point"]
ODD = ["", "²", "２", "٣", "¹²", "0", "-1", "1.5", "1e9", "9" * 40, str(2**63), "9999-12-31",
       "0001-01-01", "0000-00-00", "2026-02-30", "２０２６-01-01", "1011 13", "1011 1３",
       "archive", "email", "phone", "received", "sent", "eaccount", "\x00", "\x1b[31m",
       "\u202eexe.fdp", "\u200b\u200b", "\ufeff", "\ud800", "//evil.example/", "?page=2",
       "%", "&", "=", "+", "ā" * 300]
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def patterns(resolver=None, namespace=""):
    """(namespace, name, converters by argument) of every named URL pattern."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace, entry.name, dict(entry.pattern.converters)


@pytest.fixture
def world(family, staff, client_login, settings, tmp_path, centres):
    """The signed-in person and staff, and an object for every path parameter."""
    settings.MEDIA_ROOT = tmp_path / "media"
    parent, case = family["parent"], family["own"]
    back_office = identity.record_staff(username="back.vsaa", password="pw-back-long-enough",
                                        institution=case.holder, roles=["back_office", "agent"])
    staff_actor = Actor(kind="staff", staff=back_office)
    thread = messaging.send_to_client(staff_actor, client=parent, institution=case.holder,
                                      subject="Temats", body="Teksts", case=case).thread
    consultation = register.register_consultation(family["system"], register.NewConsultation(
        channel="phone", identification="signed_in", outcome="answered",
        occurred_at=timezone.now() - datetime.timedelta(minutes=1), service_code=1011,
        personal_code=parent.personal_code))
    document = documents.store_document(
        Actor(kind="person", person=parent), client=parent, name="a.pdf", content=PDF,
        content_type="application/pdf", title="Izziņa", direction="sent")
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])
    endpoint = integrations.register_webhook(admin, case.holder, "http://127.0.0.1:9/hook",
                                             ["case.registered"])
    eservice = catalog.register_eservice(admin, case.holder, name="E", claims=[],
                                         return_urls=["https://e.example.lv/sso"])
    origin = catalog.add_embed_origin(admin, case.holder, "https://portal.example.lv")
    builder = identity.record_staff(username="forms.vsaa", password="pw-forms.vsaa-long-enough",
                                    institution=case.holder, roles=["form_builder"])
    draft = eforms.load_definition(Actor(kind="staff", staff=builder), case.service,
                                   family_benefit())
    first_page = draft.definition["pages"][0]
    # The e-service assistant (A3): the form live, the service marked, an agent's application.
    from durvis.catalog.models import Service
    from durvis.eforms import assistant
    eforms.publish_draft(Actor(kind="staff", staff=builder), case.service)
    Service.objects.filter(pk=case.service.pk).update(assistant_allowed=True)
    case.service.refresh_from_db()
    assisted = assistant.identify_client(staff_actor, case.service,
                                         personal_code=parent.personal_code,
                                         document_kind="passport", document_number="LV1234567",
                                         service_point=next(iter(centres)))
    # Invoices (issue 14): a finance specialist, a payee account and an invoice of the case.
    finance = identity.record_staff(username="finance.vsaa", password="pw-finance-long-enough",
                                    institution=case.holder, roles=["finance"])
    account = payments.save_payee_account(SYSTEM, case.holder, name="VSAA",
                                          iban="LV71TREL9140401016000", bic="TRELLV22")
    invoice = payments.issue_invoice(Actor(kind="staff", staff=finance), case.number,
                                     payments.NewInvoice(kind="postpayment", lines=[
                                         payments.NewLine(kind="fee", description="Maksa",
                                                          unit_price="7.11")]))
    # Workflows (issue 16): the holder's one-step workflow and the case's task.
    from durvis.workflows import services as workflows
    workflows.publish_version(admin, case.holder, case.service, "Izskatīšana", {
        "format": "durvis-workflow/1", "first": "review", "steps": {"review": {
            "name": {"lv": "Izskatīšana", "en": "Review"}, "queue": {"institution": "holder"},
            "role": "back_office", "resolution": "1d",
            "next": [{"step": None, "status": "", "name": {"lv": "Beigt", "en": "End"}}]}}})
    (task,) = workflows.start_cases([case])
    workflow = task.version.workflow
    task = workflows.release(staff_actor, workflows.take(staff_actor, task))  # its time recorded
    work = back_office.work.get()
    mandate = mandates.grant(Actor(kind="person", person=parent), parent,
                             family["stranger"].personal_code, mandates.Terms())
    objects = {"number": case.number, "code": 1011, "endpoint_id": endpoint.pk,
               "eservice_id": eservice.pk, "origin_id": origin.pk,
               "page": first_page["key"], "key": first_page["questions"][0]["key"], "index": 0,
               "step": "review",
               "member_id": back_office.pk, "client_id": 1, "message_id": 1, "mapping_id": 1,
               "role": "finance", "account_id": account.pk, "payment_id": 1,
               "entry_id": 1, "invoice_id": 1, "reference": assisted.application.reference}
    by_pattern = {"eaccount:consultation-feedback": consultation.pk,
                  "eaccount:mandate": mandate.pk, "eaccount:mandate-revoke": mandate.pk,
                  "administration:task": task.pk, "administration:client": parent.pk,
                  "administration:client-verify": parent.pk,
                  "administration:client-paper-mandate": parent.pk,
                  "administration:client-appointment": parent.pk,
                  "administration:workflow-retire": workflow.pk,
                  "administration:time-correct": work.pk,
                  "administration:delegation-end": case.service.delegations.first().pk,
                  "inbox:thread": thread.pk,
                  "inbox:reply": thread.pk, "inbox:archive": thread.pk,
                  "documents:download": document.pk, "documents:sign": document.pk,
                  "administration:finance-invoice": invoice.number,
                  "administration:finance-invoice-payment": invoice.number}
    # The knowledge base (issue 17): VSAA's editor's article, published by the central editor.
    from durvis.knowledge import services as knowledge
    editor = identity.record_staff(username="editor.vsaa", password="pw-editor-long-enough",
                                   institution=case.holder, roles=["knowledge_editor"])
    central = identity.record_staff(username="editor.vdaa", password="pw-editor-long-enough",
                                    institution=staff["agent"].institution,
                                    roles=["knowledge_editor"])
    version = knowledge.create_article(Actor(kind="staff", staff=editor), knowledge.ArticleSubject(
        audience="public", service=case.service), knowledge.ArticleDraft(
        title_lv="Raksts", content={k: {"lv": "Teksts", "en": ""}
                                    for k in ("summary", "eligibility", "steps")}))
    knowledge.submit(Actor(kind="staff", staff=editor), version)
    knowledge.approve(Actor(kind="staff", staff=central), version)
    feedback = knowledge.give_feedback(Actor(kind="staff", staff=back_office), version.article,
                                       helpful=False, comment="Nav skaidrs.", flagged=True)
    article = {"pk": version.article_id, "number": version.number}
    by_pattern.update({"administration:knowledge-article": article["pk"],
                       "administration:knowledge-feedback": article["pk"],
                       "administration:knowledge-version": article,
                       "administration:knowledge-edit": article,
                       "administration:knowledge-act": article,
                       "administration:knowledge-feedback-handled": feedback.pk})
    # Call scripts (issue 17): VSAA's editor's script, published by the central editor, and a
    # run of the agent's.
    from durvis.knowledge import scripts
    editing = Actor(kind="staff", staff=editor)
    script_version = scripts.create_script(editing, title_lv="Scenārijs", service=case.service)
    scripts.save_draft(editing, script_version, title_lv="Scenārijs", title_en="", expected=None,
                       definition={"start": "q1", "nodes": {"q1": {"question": "Jautājums?",
                                   "answers": [{"label": "Jā", "outcome": "second_level"}]}}})
    scripts.submit(editing, script_version)
    scripts.approve(Actor(kind="staff", staff=central), script_version)
    script_run = scripts.start_run(staff_actor, script_version.script)
    objects.update({"pk": 1, "node": "q1", "run": script_run.pk})
    by_pattern.update({"administration:script": script_version.script_id,
                       "administration:script-version": script_version.pk,
                       "administration:script-preview": script_version.pk,
                       "administration:script-question": script_version.pk,
                       "administration:script-question-new": script_version.pk,
                       "administration:script-run": script_run.pk})
    # The search's synonyms (issue 19): a group the central editor keeps.
    synonyms = catalog.save_synonyms(Actor(kind="staff", staff=central), None, language="lv",
                                     words=["īre", "noma"])
    by_pattern["administration:synonym"] = synonyms.pk
    # Appointments (issue 18): a VSAA office with a calendar of the case's service, and the
    # parent's booking there.
    from decimal import Decimal

    from durvis.calendars import queries as calendar_queries
    from durvis.calendars import services as calendars
    from durvis.calendars.models import Calendar
    from durvis.servicepoints.models import ServicePoint
    point = ServicePoint.objects.create(
        institution=case.holder, name="VSAA Rīgas nodaļa", kind="institution_office",
        address="Lāčplēša iela 70a, Rīga", town="Rīga", latitude=Decimal("56.954"),
        longitude=Decimal("24.128"), hours="mon-sun 00:00-24:00")
    calendar = Calendar.objects.create(point=point, service=case.service, lead_minutes=0)
    day = calendar_queries.bookable_days(calendar)[0]
    booking = calendars.book(Actor(kind="person", person=parent), calendar,
                             calendar_queries.free_slots(calendar, day)[0].starts_at, parent)
    by_pattern.update({"eaccount:appointment-book": calendar.pk,
                       "eaccount:appointment-move": booking.pk,
                       "eaccount:appointment-cancel": booking.pk,
                       "administration:service-point": point.pk})
    person = client_login(parent)
    staff_clients = []
    for member in (staff["vsaa_admin"], back_office, builder, finance, editor, central):
        http = Client()
        sign_in_staff(http, member)
        staff_clients.append(http)
    return {"person": person, "staff": staff_clients, "objects": objects,
            "by_pattern": by_pattern}


def pages(world, namespaces):
    """(address, client) of every page of `namespaces` that answers a plain GET with 200 to
    one of the users."""
    found = []
    for namespace, name, converters in patterns():
        if namespace not in namespaces:
            continue
        key = f"{namespace}:{name}"
        given = world["by_pattern"].get(key)
        kwargs = {arg: given[arg] if isinstance(given, dict) else
                  given if given is not None else world["objects"].get(arg)
                  for arg in converters}
        address = reverse(key, kwargs=kwargs)
        users = [world["person"]] if namespace in CLIENT_NAMESPACES else world["staff"]
        for user in users:
            if user.get(address).status_code == 200:
                found.append((address, user))
                break
    return found


def query_strings():
    """Query strings: known keys with odd or arbitrary values, arbitrary keys, raw bytes that
    need not be UTF-8."""
    key = st.one_of(st.sampled_from(KNOWN), st.text(max_size=12))
    value = st.one_of(st.sampled_from(ODD), st.text(max_size=40),
                      st.integers().map(str), st.dates().map(str))
    pairs = st.lists(st.tuples(key, value), max_size=5).map(
        lambda items: urlencode([(k.encode("utf-8", "surrogatepass"),
                                  v.encode("utf-8", "surrogatepass")) for k, v in items]))
    raw = st.lists(st.tuples(st.one_of(st.sampled_from(KNOWN), st.binary(max_size=8)),
                             st.binary(max_size=16)), max_size=4).map(
        lambda items: "&".join(
            f"{quote(k) if isinstance(k, str) else quote_from_bytes(k)}={quote_from_bytes(v)}"
            for k, v in items))
    return st.one_of(pairs, raw)


def _never_fails(found, data, query):
    address, user = data.draw(st.sampled_from(found), label="page")
    language = data.draw(st.sampled_from(["", "/en"]), label="language")
    response = user.get(f"{language}{address}?{query}")
    assert response.status_code < 500, (address, query)


def test_no_query_string_breaks_an_e_account_page(world):
    found = pages(world, CLIENT_NAMESPACES)
    addresses = {address for address, _user in found}
    assert {"/eaccount/", "/eaccount/history/", "/eaccount/messages/", "/eaccount/documents/",
            "/eaccount/profile/", "/eaccount/messages/new/"} <= addresses, addresses
    assert any(address.endswith("/sign/") for address in addresses), addresses
    assert len(found) >= 10, addresses

    @SETTINGS
    @given(data=st.data(), query=query_strings())
    def check(data, query):
        _never_fails(found, data, query)

    check()


def test_no_query_string_breaks_an_administration_page(world):
    found = pages(world, STAFF_NAMESPACES)
    addresses = {address for address, _user in found}
    assert {"/staff/", "/staff/cases/", "/administration/services/", "/staff/team/",
            "/administration/integrations/", "/staff/messages/new/",
            "/administration/finance/", "/administration/finance/new/",
            "/administration/finance/accounts/", "/staff/assistant/",
            "/administration/audit/", "/administration/access-review/",
            "/administration/audit/flagged/", "/staff/knowledge/", "/administration/knowledge/",
            "/staff/knowledge/following/", "/administration/knowledge/new/",
            "/administration/knowledge/scripts/", "/administration/knowledge/scripts/new/",
            f"/administration/knowledge/scripts/runs/{world['objects']['run']}/",
            "/staff/assistant/originals/", "/staff/assistant/services/1011/",
            "/administration/search/synonyms/",
            f"/administration/search/synonyms/{world['by_pattern']['administration:synonym']}/",
            f"/staff/assistant/{world['objects']['reference']}/{world['objects']['page']}/"
            } <= addresses, addresses

    @SETTINGS
    @given(data=st.data(), query=query_strings())
    def check(data, query):
        _never_fails(found, data, query)

    check()


@pytest.mark.parametrize("query", ["page=%C2%B2", "date_to=9999-12-31", "date_from=0001-01-01",
                                   "page=99999999999999999999", "page=-3", "page=%EF%BC%92"])
def test_the_reported_history_queries_answer_the_page(world, query):
    assert world["person"].get(f"/eaccount/history/?{query}").status_code == 200


PUBLIC_PAGES = ["/", "/services/", "/categories/family/", "/embed/", "/addresses/",
                "/embed/addresses/", "/signin/", "/staff/login/",
                "/staff/login/code/", "/staff/login/enrol/", "/signin/oidc/callback",
                "/demo/idp/authorize", "/demo/mailbox/", "/services/1011/in-person/"]


def test_no_query_string_breaks_a_public_or_sign_in_page(client, catalogue, settings):
    """The catalogue's pages, the sign-in pages and callbacks and the demo's, signed out:
    their parameters (`q`, `holder`, `page`, `next`, `flow`, `state`, `error`, OAuth's) are read
    through forms or checked by their protocol, never a 500."""
    settings.DEMO_MODE = True

    @SETTINGS
    @given(address=st.sampled_from(PUBLIC_PAGES), query=query_strings())
    def check(address, query):
        response = client.get(f"{address}?{query}")
        assert response.status_code < 500, (address, query)

    check()
