"""Unit tests of the journey's services (A10): the prefill rule, the caller's prefill, the
walk's refusals, the idempotent submit, the drafts' expiry and reminder, the PDF's content,
the rules (audience, joint representation), the notification."""

from __future__ import annotations

import datetime
import io

import pikepdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.core.events import dispatch_due
from durvis.documents.models import Document
from durvis.eforms import pdf
from durvis.eforms import services as eforms
from durvis.eforms.models import Application, ApplicationStatus
from durvis.identity import services as identity
from durvis.integrations.models import OutboxMessage
from durvis.register.models import ServiceCase
from durvis.web.roles import ClientRole
from tests.eforms.journey import publish_form
from tests.eforms.samples import q, t

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(family, institutions, catalogue):
    publish_form(institutions, catalogue["childbirth"])
    return catalogue["childbirth"]


def me(person):
    return Actor(kind="person", person=person)


def start(family, service, who="parent", **more):
    person = family[who]
    return eforms.start_application(me(person), ClientRole("self", person=person), service, **more)


def answer(family, app, page, query, who="parent"):
    app.refresh_from_db()
    return eforms.answer_page(me(family[who]), family[who], app, page, QueryDict(query),
                              version=app.version)


def submitted(family, service, who="parent"):
    app = start(family, service, who)
    out = answer(family, app, "applicant",
                 "name=J&personal_code=14038612043&resident=yes&has_children=no", who)
    assert not out.errors
    assert not answer(family, app, "payment", "iban=LV80BANK0000435195001", who).errors
    return eforms.submit_application(me(family[who]), family[who], app,
                                     result_channel="eaccount", declared=True)


def test_prefill_of_a_child_uses_the_childs_name_and_code_and_the_parents_contacts(family, service):
    parent, child = family["parent"], family["child"]
    app = eforms.start_application(me(parent), ClientRole(f"person:{child.pk}", person=child),
                                   service)
    assert app.answers == {"name": "Emīlija Bērziņa", "personal_code": "22051520311",
                           "email": "janis@example.lv"}
    assert app.client_person == child and app.started_by == parent


def test_prefill_keeps_only_answers_the_question_accepts(family, institutions, catalogue):
    publish_form(institutions, catalogue["declaration"], {"format": "durvis-form/1", "pages": [
        {"key": "p", "title": t("Lapa"), "questions": [
            q("email", "short_text", max=5), q("company_name", "short_text"),
            q("company_number", "company_number"), q("applicant_code", "personal_code")]}]})
    parent, company = family["parent"], family["company"]
    app = eforms.start_application(me(parent), ClientRole(f"company:{company.pk}", company=company),
                                   catalogue["declaration"])
    # The e-mail is longer than the question allows: left for the client.
    assert app.answers == {"company_name": "SIA Zaļā Pļava", "company_number": "40203123456",
                           "applicant_code": "14038612043"}
    assert app.client_company == company


def test_caller_prefill_is_checked_per_page_and_merged(family, service):
    app = start(family, service, prefill={"iban": "LV80BANK0000435195001", "resident": True})
    assert app.answers["iban"] == "LV80BANK0000435195001" and app.answers["resident"] is True
    with pytest.raises(ValidationError) as refused:
        start(family, service, prefill={"iban": "LV00", "nonsense": 1})
    assert set(refused.value.message_dict) == {"iban", "nonsense"}


def test_starting_again_resumes_the_draft_and_renews_on_save(family, service):
    first = start(family, service)
    assert start(family, service).pk == first.pk
    Application.objects.filter(pk=first.pk).update(
        expires_at=timezone.now() + datetime.timedelta(days=1))
    answer(family, first, "applicant", "name=J&personal_code=14038612043&resident=yes&has_children=no")
    first.refresh_from_db()
    assert first.expires_at > timezone.now() + datetime.timedelta(days=29)


def test_walk_refuses_a_skipped_page_and_drops_hidden_answers(family, service):
    app = start(family, service)
    with pytest.raises(eforms.PageNotReachable) as refused:
        answer(family, app, "payment", "iban=LV80BANK0000435195001")
    assert refused.value.resume == "applicant"
    answer(family, app, "applicant", "name=J&personal_code=14038612043&resident=yes&has_children=no")
    with pytest.raises(eforms.PageNotReachable):
        answer(family, app, "family", "members-count=1&members-0-member_name=X")


def test_submit_is_idempotent_and_refuses_an_incomplete_draft(family, service):
    app = start(family, service)
    with pytest.raises(ValidationError) as refused:
        eforms.submit_application(me(family["parent"]), family["parent"], app,
                                  result_channel="eaccount", declared=True)
    assert "resident" in refused.value.message_dict
    done = submitted(family, service)
    with pytest.raises(eforms.ApplicationClosed) as again:
        eforms.submit_application(me(family["parent"]), family["parent"], done,
                                  result_channel="eaccount", declared=True)
    assert again.value.application.case_id == done.case_id
    assert ServiceCase.objects.filter(holder_reference=str(done.reference)).count() == 1


def test_a_stranger_cannot_touch_anothers_draft(family, service):
    app = start(family, service)
    with pytest.raises(LookupError):
        eforms.answer_page(me(family["stranger"]), family["stranger"], app, "applicant",
                           QueryDict("name=X"), version=0)
    with pytest.raises(PermissionDenied):  # claiming the owner as client does not help
        eforms.answer_page(me(family["stranger"]), family["parent"], app, "applicant",
                           QueryDict("name=X"), version=0)


def test_a_person_opens_a_case_only_for_a_client_they_act_for(family, service):
    from durvis.register import services as register
    with pytest.raises(PermissionDenied):
        register.open_case(me(family["stranger"]), register.NewCase(
            service_code=1011, identification="signed_in", application_channel="eaccount",
            personal_code=family["parent"].personal_code))
    with pytest.raises(PermissionDenied):  # not through another channel
        register.open_case(me(family["parent"]), register.NewCase(
            service_code=1011, identification="signed_in", application_channel="centre",
            personal_code=family["parent"].personal_code))
    with pytest.raises(PermissionDenied):  # no oracle of unknown codes
        register.open_case(me(family["parent"]), register.NewCase(
            service_code=1011, identification="signed_in", application_channel="eaccount",
            personal_code="32345678901"))


def test_audience_decides_who_applies(family, catalogue, institutions):
    publish_form(institutions, catalogue["vat"], {"format": "durvis-form/1", "pages": [
        {"key": "p", "title": t("Lapa"), "questions": [q("x", "short_text")]}]})
    parent, company = family["parent"], family["company"]
    with pytest.raises(PermissionDenied):
        eforms.start_application(me(parent), ClientRole("self", person=parent), catalogue["vat"])
    app = eforms.start_application(me(parent), ClientRole(f"company:{company.pk}",
                                                          company=company), catalogue["vat"])
    assert app.client_company == company


def test_joint_representative_may_not_apply_for_the_company(family, catalogue, institutions,
                                                            joint_representative):
    publish_form(institutions, catalogue["vat"], {"format": "durvis-form/1", "pages": [
        {"key": "p", "title": t("Lapa"), "questions": [q("x", "short_text")]}]})
    company = family["company"]
    with pytest.raises(PermissionDenied):
        eforms.start_application(me(joint_representative),
                                 ClientRole(f"company:{company.pk}", company=company),
                                 catalogue["vat"])


def _text(content: bytes) -> str:
    """The text drawn on the PDF's pages (WeasyPrint writes it as hex glyph runs mapped by a
    ToUnicode CMap; pikepdf's content parsing reads the runs, the CMap maps them back)."""
    out = []
    with pikepdf.open(io.BytesIO(content)) as document:
        for page in document.pages:
            fonts = {}
            for name, font in page.Resources.Font.items():
                mapping = {}
                if "/ToUnicode" in font:
                    cmap = font.ToUnicode.read_bytes().decode("latin-1")
                    import re
                    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
                    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
                        for lo, hi, dst in re.findall(
                                r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                                mapping[code] = chr(int(dst, 16) + i)
                fonts[name] = mapping
            current: dict[int, str] = {}
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator == pikepdf.Operator("Tf"):
                    current = fonts.get(str(operands[0]), {})
                elif operator in (pikepdf.Operator("Tj"), pikepdf.Operator("TJ")):
                    items = operands[0] if operator == pikepdf.Operator("TJ") else [operands[0]]
                    for item in items:
                        if isinstance(item, pikepdf.String):
                            raw = bytes(item)
                            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
                            out.append("".join(current.get(c, "") for c in codes))
                        elif float(item) < -200:
                            out.append(" ")
                    out.append(" ")
    return " ".join("".join(out).split())


@pytest.mark.parametrize("language", ["lv", "en"])
def test_the_pdf_copy_has_service_case_answers_and_labels(family, service, language):
    from durvis.messaging import services as messaging
    messaging.set_language(me(family["parent"]), family["parent"], language)
    done = submitted(family, service)
    dispatch_due()  # the worker makes the copy after the submit committed
    dispatch_due()  # a retried delivery makes no second copy
    copy = Document.objects.get(case=done.case, file_name__startswith="application-")
    with copy.file.open("rb") as stored:
        text = _text(stored.read())
    name = "Bērna piedzimšanas pabalsts" if language == "lv" else "Childbirth benefit"
    assert name in text and done.case.number in text
    assert "LV80BANK0000435195001" in text and "14038612043" in text
    assert ("Jautājums iban" if language == "lv" else "Question iban") in text
    assert ("Iesniegts" if language == "lv" else "Submitted") in text
    # Who applied, how the result is received, what they declared.
    assert "140386-12043" in text or "14038612043" in text
    assert ("Pieteicējs" if language == "lv" else "Applicant") in text
    assert ("Apliecinājums" if language == "lv" else "Declaration") in text
    assert Document.objects.filter(case=done.case, file_name__startswith="application-"
                                   ).count() == 1


def test_summary_shows_answers_as_people_read_them(family, service):
    app = start(family, service)
    answer(family, app, "applicant", "name=J&personal_code=14038612043&resident=yes&has_children=yes")
    app.refresh_from_db()
    rows = {r["key"]: r["value"] for p in pdf.summary(eforms.compiled(app.form_version),
                                                      app.answers) for r in p["rows"]}
    assert rows["resident"] == "Jā" and rows["name"] == "J"


def test_drafts_expire_and_are_reminded_once(family, service, settings):
    settings.DURVIS_DRAFT_REMIND_DAYS = 3
    soon = start(family, service)
    later = start(family, service, "stranger")
    now = timezone.now()
    Application.objects.filter(pk=soon.pk).update(expires_at=now + datetime.timedelta(days=2))
    before = OutboxMessage.objects.count()
    assert eforms.expire_and_remind(now) == 1
    assert OutboxMessage.objects.count() == before + 1  # the parent's e-mail
    soon.refresh_from_db()
    assert soon.reminded_at is not None and soon.status == ApplicationStatus.DRAFT
    assert eforms.expire_and_remind(now) == 0  # never twice
    assert OutboxMessage.objects.count() == before + 1
    Application.objects.filter(pk=later.pk).update(expires_at=now - datetime.timedelta(seconds=1))
    assert eforms.expire_and_remind(now) == 1
    later.refresh_from_db()
    assert later.status == ApplicationStatus.EXPIRED and later.answers == {}
    assert eforms.next_draft_due() is not None


def test_the_client_is_told_the_case_number(family, service):
    before = OutboxMessage.objects.count()
    done = submitted(family, service)
    dispatch_due()
    told = OutboxMessage.objects.order_by("-pk")[: OutboxMessage.objects.count() - before]
    assert any(done.case.number in str(m.payload) for m in told)


def test_answers_a_change_hides_are_dropped(family, service):
    app = start(family, service)
    answer(family, app, "applicant", "name=J&personal_code=14038612043&resident=yes&has_children=yes")
    assert not answer(family, app, "family",
                      "members-count=1&members-0-member_name=E&members-0-member_code=22051520311"
                      ).errors
    # "No children" now skips the family page: its answers go, and so does the page.
    answer(family, app, "applicant", "name=J&personal_code=14038612043&resident=yes&has_children=no")
    app.refresh_from_db()
    assert "members" not in app.answers and "family" not in app.pages_done
    assert app.current_page == "payment"


def test_applying_under_a_mandate_records_the_mandate_it_relied_on(family, service):
    """Issue 15 (C1): a person with a mandate to apply for the service applies for the grantor
    through the e-form; the case records the mandate (`mandate:<id>`) and who acted; once the
    mandate is revoked, the next application for the grantor is refused."""
    from durvis.mandates import services as mandates

    parent = family["parent"]
    helper = identity.record_person(personal_code="05118012342", given_name="Ilze",
                                    family_name="Palīdze")
    mandate = mandates.grant(me(parent), parent, helper.personal_code, mandates.Terms(
        scope="services", service_ids=[service.pk], rights=["apply", "read"]))
    role = ClientRole(f"person:{parent.pk}", person=parent)
    app = eforms.start_application(me(helper), role, service)
    for page, query in (("applicant", "name=J&personal_code=14038612043&resident=yes"
                                      "&has_children=no"),
                        ("payment", "iban=LV80BANK0000435195001")):
        app.refresh_from_db()
        assert not eforms.answer_page(me(helper), parent, app, page, QueryDict(query),
                                      version=app.version).errors
    done = eforms.submit_application(me(helper), parent, app, result_channel="eaccount",
                                     declared=True)
    case = ServiceCase.objects.get(pk=done.case_id)
    assert case.mandate_reference == f"mandate:{mandate.pk}"
    assert case.acted_by == "representative" and case.client_person_id == parent.pk
    mandates.revoke(me(parent), mandate)
    with pytest.raises(PermissionDenied):
        eforms.start_application(me(helper), role, service)
