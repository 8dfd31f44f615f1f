"""What was done under a mandate records the mandate it relied on, and the grantor sees it
(issue 15, C1, A2): `mandates.queries.relied_on` (units), then through HTTP a representative
acting for the grantor uploads a document, writes and answers a message and pays an invoice;
the grantor sees each "under mandate no. N" (linked), the mandate's page lists them to both
sides, and a revoked mandate keeps its history. Acting as oneself, or by the base registers (a
parent, a company's representative), records none."""

from __future__ import annotations

import pytest
from conftest import sign_in_person
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.documents import services as documents
from durvis.documents.models import Direction, Document
from durvis.identity import services as identity
from durvis.identity.rules import ClientRight
from durvis.mandates import queries, services
from durvis.messaging import services as messaging
from durvis.messaging.models import InboxMessage, Thread
from durvis.payments.models import Payment
from durvis.register.models import ServiceCase
from tests.documents.samples import pdf
from tests.payments.conftest import paid_service, payee_accounts  # noqa: F401 - fixtures
from tests.payments.online.conftest import invoice, merchants, simulator  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

PDF = pdf()


@pytest.fixture
def helper(family):
    return identity.record_person(personal_code="05118012342", given_name="Ilze",
                                  family_name="Palīdze", email="ilze@example.lv")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DURVIS_MALWARE_SCANNER = "durvis.documents.scanning.eicar"
    return settings.MEDIA_ROOT


def as_person(person):
    return Actor(kind="person", person=person)


def grant(grantor, grantee, rights, **terms):
    return services.grant(as_person(grantor), grantor, grantee.personal_code,
                          services.Terms(rights=rights, **terms))


def store(actor, client, case=None):
    return documents.store_document(actor, client=client, name="iesniegums.pdf", content=PDF,
                                    content_type="application/pdf", title="Iesniegums",
                                    direction=Direction.SENT, case=case)


# --- the lookup ---------------------------------------------------------------------------------

def test_relied_on_names_the_mandate_that_gives_the_right_for_the_service(family, helper,
                                                                          catalogue):
    parent, service_id = family["parent"], family["own"].service_id
    assert queries.relied_on(as_person(helper), parent, ClientRight.APPLY, service_id) is None
    reader = grant(parent, helper, ["read"])
    assert queries.relied_on(as_person(helper), parent, ClientRight.APPLY, service_id) is None
    chosen = grant(parent, helper, ["apply"], scope="services", service_ids=[service_id])
    assert queries.relied_on(as_person(helper), parent, ClientRight.APPLY, service_id) == chosen
    # A record of no service is reached only by an all-services mandate.
    assert queries.relied_on(as_person(helper), parent, ClientRight.APPLY, None) is None
    assert queries.relied_on(as_person(helper), parent, ClientRight.READ, None) == reader
    services.revoke(as_person(parent), chosen)
    assert queries.relied_on(as_person(helper), parent, ClientRight.APPLY, service_id) is None


def test_relied_on_is_none_for_oneself_and_for_the_base_registers(family, helper):
    parent, child, company = family["parent"], family["child"], family["company"]
    # Even holding a mandate of the child, the parent acts by the population register.
    services.grant(as_person(parent), company, helper.personal_code,
                   services.Terms(rights=["apply"]))
    assert queries.relied_on(as_person(parent), parent, ClientRight.APPLY, None) is None
    assert queries.relied_on(as_person(parent), child, ClientRight.APPLY, None) is None
    assert queries.relied_on(as_person(parent), company, ClientRight.APPLY, None) is None
    assert queries.relied_on(as_person(helper), company, ClientRight.APPLY, None) is not None
    assert queries.relied_on(Actor(kind="system"), parent, ClientRight.APPLY, None) is None


def test_documents_and_messages_record_the_mandate_in_the_services(family, helper, media,
                                                                   institutions,
                                                                   api_client_factory):
    from durvis.integrations.services import api_actor

    parent, case = family["parent"], family["own"]
    mandate = grant(parent, helper, ["apply", "answer_messages"])
    document = store(as_person(helper), parent, case)
    assert document.mandate == mandate
    assert AuditEvent.objects.get(action="documents.document.store",
                                  object_id=str(document.pk)).details["mandate"] == mandate.pk
    message = messaging.write_to_institution(as_person(helper), parent, None, "Jautājums",
                                             "Kad būs lēmums?", case=case)
    assert message.mandate == mandate
    answer = messaging.reply(as_person(helper), message.thread, "Paldies", client=parent)
    assert answer.mandate == mandate
    # The parent's own, and for the child and the company by the registers: none recorded.
    assert store(as_person(parent), parent).mandate is None
    assert store(as_person(parent), family["child"]).mandate is None
    assert store(as_person(parent), family["company"]).mandate is None
    own = messaging.write_to_institution(as_person(parent), parent, institutions["VSAA"],
                                         "Mans", "Teksts")
    assert own.mandate is None
    # What an institution delivers records none.
    system = api_actor(api_client_factory("VSAA", operations=("cases:read", "messages:write"))
                       .api_client)
    delivered = documents.deliver_to_client(system, case_number=case.number,
                                            name="lemums.pdf", content=PDF,
                                            content_type="application/pdf", title="Lēmums")
    assert delivered.mandate is None


def test_a_new_conversation_asks_the_right_to_answer_messages(family, helper, media,
                                                             institutions):
    """Writing to an institution in the client's name, about a case or none, asks
    `answer_messages` (`IdentityAction.CLIENT_MESSAGE`), not `apply`; the message records the
    mandate that gives it."""
    from durvis.access.policy import Refused

    parent, case = family["parent"], family["own"]
    applying = grant(parent, helper, ["apply", "read"])
    with pytest.raises(Refused):
        messaging.write_to_institution(as_person(helper), parent, None, "Jautājums", "Teksts",
                                       case=case)
    assert not InboxMessage.objects.exists()
    services.revoke(as_person(parent), applying)
    answering = grant(parent, helper, ["answer_messages"])
    message = messaging.write_to_institution(as_person(helper), parent, None, "Jautājums",
                                             "Teksts", case=case)
    assert message.mandate == answering


def test_a_message_is_decided_by_the_right_to_answer_messages(family, helper, media):
    """`WRITE_RIGHTS` names the message's model by its label (`messaging.inboxmessage`): acting
    on a message asks `answer_messages`, not `apply`."""
    from durvis.access.policy import allowed
    from durvis.identity.rules import IdentityAction

    parent, case = family["parent"], family["own"]
    answering = grant(parent, helper, ["answer_messages"])
    message = messaging.write_to_institution(as_person(helper), parent, None, "Jautājums",
                                             "Teksts", case=case)
    assert allowed(as_person(helper), IdentityAction.CLIENT_WRITE, message, parent)
    services.revoke(as_person(parent), answering)
    grant(parent, helper, ["apply", "read"])
    assert not allowed(as_person(helper), IdentityAction.CLIENT_WRITE, message, parent)


def test_a_representative_who_may_answer_messages_attaches_a_file(family, helper, media):
    """A message's attachments ask `answer_messages` (documents' `Filing.attachment`), so a
    representative without `apply` may attach a file; the document records the mandate."""
    parent, case = family["parent"], family["own"]
    answering = grant(parent, helper, ["read", "answer_messages"])
    attachment = ("izzina.pdf", PDF, "application/pdf", "Izziņa")
    message = messaging.write_to_institution(as_person(helper), parent, None, "Jautājums",
                                             "Teksts", case=case, attachments=[attachment])
    answer = messaging.reply(as_person(helper), message.thread, "Vēl", [attachment],
                             client=parent)
    documents_sent = [*message.attachments.all(), *answer.attachments.all()]
    assert [d.mandate for d in documents_sent] == [answering, answering]
    # Uploading a document outside a message still asks `apply`.
    from durvis.access.policy import Refused

    with pytest.raises(Refused):
        store(as_person(helper), parent, case)


def test_the_institutions_api_says_the_mandate_of_messages_attachments_and_payments(
        client, family, helper, media, invoice, simulator, api_client_factory):  # noqa: F811
    parent, case = family["parent"], family["own"]
    mandate = grant(parent, helper, ["read", "pay", "answer_messages"])
    messaging.write_to_institution(
        as_person(helper), parent, None, "Jautājums", "Teksts", case=case,
        attachments=[("izzina.pdf", PDF, "application/pdf", "Izziņa")])
    role = f"person:{parent.pk}"
    sign_in_person(client, helper, role=role)
    response = client.post(reverse("payments:start", args=[invoice.number]), {
        "opened_as": role, "idempotency_key": "k-1", "method": "card"})
    assert response.status_code == 303, text(response)[:2000]
    system = api_client_factory("VSAA", operations=("cases:read", "messages:read",
                                                    "invoices:read"))
    reply, = system.get("/api/v1/messages/replies?since=0").json()["items"]
    assert reply["mandate"] == mandate.pk
    assert [a["mandate"] for a in reply["attachments"]] == [mandate.pk]
    assert reply["attachments"][0]["signature_requested"] is False
    assert system.get(f"/api/v1/messages/{reply['id']}").json()["mandate"] == mandate.pk
    paid = system.get(f"/api/v1/invoices/{invoice.number}").json()
    assert [p["mandate"] for p in paid["payments"]] == [mandate.pk]
    # The parent's own payment and message say none.
    messaging.write_to_institution(as_person(parent), parent, None, "Mans", "Teksts", case=case)
    items = system.get("/api/v1/messages/replies?since=0").json()["items"]
    assert [m["mandate"] for m in items] == [mandate.pk, None]


def test_a_company_invoices_payment_has_the_company_as_its_subject(
        family, media, invoice, simulator):  # noqa: F811 - fixtures
    """The activity log's subject of a company's payment is the company (its representatives
    see the use), not the representative who applied (`client_person` of the invoice, whose
    data the payment is not)."""
    from durvis.payments import online
    from durvis.payments.models import Invoice

    company = family["company"]
    Invoice.objects.filter(pk=invoice.pk).update(client_company=company)
    invoice.refresh_from_db()
    assert invoice.client_person == family["parent"]  # the representative who applied
    online.start_payment(as_person(family["parent"]), company, invoice, method="card",
                         idempotency_key="k-1", return_url="https://durvis.example/back",
                         callback_url="http://127.0.0.1:9/payments/callback/gateway/")
    entry = AuditEvent.objects.get(action="payments.payment.start")
    assert (entry.subject_person_id, entry.subject_company_id) == (None, company.pk)


# --- through HTTP -------------------------------------------------------------------------------

def text(response):
    return response.content.decode()


def test_acting_under_a_mandate_the_grantor_sees_each_record_with_the_mandate(
        client, family, helper, media, invoice, simulator):  # noqa: F811 - fixtures
    parent, case = family["parent"], family["own"]
    mandate = grant(parent, helper, ["apply", "read", "pay", "answer_messages"])
    ServiceCase.objects.filter(pk=case.pk).update(  # submitted under it (the e-form's test)
        acted_by="representative", representative=helper, mandate_reference=mandate.reference())
    role = f"person:{parent.pk}"
    sign_in_person(client, helper, role=role)
    # Upload a document.
    response = client.post(reverse("documents:upload"), {
        "title": "Izziņa", "case": case.pk, "opened_as": role,
        "file": SimpleUploadedFile("izzina.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 302, text(response)[:2000]
    document = Document.objects.get(title="Izziņa")
    assert (document.uploaded_by, document.mandate) == (helper, mandate)
    # Write to the case's holder, then answer in the conversation.
    response = client.post(reverse("inbox:write"), {
        "case": case.pk, "subject": "Jautājums", "body": "Kad būs lēmums?", "opened_as": role})
    assert response.status_code == 302, text(response)[:2000]
    thread = Thread.objects.get()
    response = client.post(reverse("inbox:reply", args=[thread.pk]), {
        "body": "Vēl viens jautājums", "opened_as": role})
    assert response.status_code == 302, text(response)[:2000]
    assert [m.mandate for m in InboxMessage.objects.order_by("pk")] == [mandate, mandate]
    # Pay the invoice.
    response = client.post(reverse("payments:start", args=[invoice.number]), {
        "opened_as": role, "idempotency_key": "k-1", "method": "card"})
    assert response.status_code == 303, text(response)[:2000]
    payment = Payment.objects.get()
    assert (payment.started_by, payment.mandate) == (helper, mandate)

    mandate_url = reverse("eaccount:mandate", args=[mandate.pk])
    linked = f'pamatojoties uz <a href="{mandate_url}">pilnvaru Nr. {mandate.pk}</a>'
    # The holder acting for the grantor: the same words, and the mandate's page lists them.
    assert linked in text(client.get(reverse("documents:list")))
    client.logout()

    sign_in_person(client, parent)
    for url in (reverse("documents:list"), reverse("inbox:thread", args=[thread.pk]),
                reverse("eaccount:invoice", args=[invoice.number]),
                reverse("eaccount:case", args=[case.number])):
        page = text(client.get(url))
        assert linked in page, url
        assert "Ilze Palīdze" in page, url
    page = text(client.get(mandate_url))
    assert "Paveikts, pamatojoties uz šo pilnvaru" in page
    for shown in (case.number, "Izziņa", "Jautājums", invoice.number,
                  reverse("documents:download", args=[document.pk]),
                  reverse("eaccount:invoice", args=[invoice.number])):
        assert shown in page, shown
    assert AuditEvent.objects.filter(action="mandates.mandate.history",
                                     subject_person_id=parent.pk).exists()

    # Revoked, the history stays, on both sides.
    services.revoke(as_person(parent), mandate)
    assert "Izziņa" in text(client.get(mandate_url))
    assert linked in text(client.get(reverse("documents:list")))
    client.logout()
    sign_in_person(client, helper)
    page = text(client.get(mandate_url))
    assert all(shown in page for shown in (case.number, "Izziņa", "Jautājums", invoice.number))
    # The grantee's side names them without links to the grantor's pages.
    assert reverse("documents:download", args=[document.pk]) not in page


def test_acting_for_oneself_records_no_mandate_and_says_none(client, family, media):
    parent = family["parent"]
    sign_in_person(client, parent)
    response = client.post(reverse("documents:upload"), {
        "title": "Mana izziņa", "opened_as": "self",
        "file": SimpleUploadedFile("izzina.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 302
    assert Document.objects.get().mandate is None
    assert "pilnvar" not in text(client.get(reverse("documents:list")))


@pytest.mark.parametrize("language, words", [("lv", "pamatojoties uz pilnvaru Nr."),
                                             ("en", "under mandate no.")])
def test_another_holder_acting_for_the_grantor_sees_the_number_without_a_link(
        client, family, helper, media, language, words):
    """Someone else acting for the grantor by another mandate may not open this one: the
    words, no link."""
    parent = family["parent"]
    other = identity.record_person(personal_code="32503511782", given_name="Pēteris",
                                   family_name="Otrais")
    mandate = grant(parent, helper, ["apply"])
    grant(parent, other, ["read"])
    store(as_person(helper), parent)
    sign_in_person(client, other, role=f"person:{parent.pk}")
    prefix = "/en" if language == "en" else ""
    page = text(client.get(prefix + reverse("documents:list")))
    assert f"{words} {mandate.pk}" in page
    assert reverse("eaccount:mandate", args=[mandate.pk]) not in page


def test_the_mandates_page_shows_the_newest_of_each_kind_with_the_count(client, family, helper,
                                                                        institutions,
                                                                        monkeypatch):
    from durvis.eaccount import mandates as pages

    monkeypatch.setattr(pages, "HISTORY_SIZE", 1)
    parent = family["parent"]
    mandate = grant(parent, helper, ["apply", "answer_messages"])
    for subject in ("Pirmais", "Otrais"):
        messaging.write_to_institution(as_person(helper), parent, institutions["VSAA"], subject,
                                       "Teksts")
    sign_in_person(client, parent)
    page = text(client.get(reverse("eaccount:mandate", args=[mandate.pk])))
    assert "Pavisam 2" in page and "(parādīti 1 jaunākie)" in page
    assert "Otrais" in page and "Pirmais" not in page
    assert page.count("Nekas nav reģistrēts.") == 3  # cases, documents, payments
