"""Every form that acts for a role carries the role it was opened in (C1, A2, issue 12): the role
lives in the session, which every tab of the browser shares, so a form opened as oneself and
sent after a switch to a company in another tab must not be saved for the company. It is refused
with a page that says what happened and how to go on, and nothing is saved.

The first tests enumerate: every page of a signed-in client that takes a submission is bound to
the role unless it is listed here with the reason, and every form of the templates that posts to
one carries the role. A new form without it fails them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

import durvis
from durvis.core.actor import Actor
from durvis.documents.models import Document
from durvis.identity import services as identity
from durvis.messaging import services as messaging
from durvis.messaging.models import InboxMessage, Thread
from durvis.register import services as register
from durvis.register.models import Feedback
from durvis.web.roles import ROLE_FIELD
from tests.documents.samples import PDF

pytestmark = pytest.mark.django_db

TEMPLATES = Path(durvis.__file__).parent / "templates"

# Client pages whose submissions act for no role, and why. Everything else is bound to it.
NOT_FOR_A_ROLE = {
    "eaccount:switch-role": "the role switch names the role it goes to",
    "profile:contacts": "the profile is always the signed-in person's own",
    "profile:confirm": "the profile is always the signed-in person's own",
    "profile:preferences": "the profile is always the signed-in person's own",
}
REFUSED_LV = "Nekas netika nosūtīts vai saglabāts"


def _patterns(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def client_views():
    """Every page of a signed-in client, by URL name: (name, pattern, whether it is bound)."""
    return {name: (pattern, pattern.callback.acts_for_role)
            for name, pattern in _patterns()
            if getattr(pattern.callback, "durvis_client_view", False)}


def _url(name, pattern):
    """The page's address with made-up arguments: the role is checked before the view looks
    anything up."""
    converters = pattern.pattern.converters
    made_up = {"IntConverter": 1, "UUIDConverter": "00000000-0000-4000-8000-000000000013"}
    return reverse(name, kwargs={key: made_up.get(type(c).__name__, "1011-13")
                                 for key, c in converters.items()})


def test_every_client_page_is_bound_to_the_role_unless_listed_with_its_reason():
    views = client_views()
    assert {"inbox:write", "inbox:reply", "inbox:archive", "documents:upload",
            "eaccount:case-feedback", "eaccount:consultation-feedback"} <= set(views)
    free = {name for name, (_pattern, bound) in views.items() if not bound}
    assert free == set(NOT_FOR_A_ROLE)


@pytest.mark.parametrize("name", sorted(
    name for name, (_p, bound) in client_views().items() if bound))
@pytest.mark.parametrize("sent", ["company", "missing", "child"])
def test_every_bound_page_refuses_a_submission_from_another_role(client_login, family, name,
                                                                 sent):
    pattern, _bound = client_views()[name]
    client = client_login(family["parent"], role=f"company:{family['company'].pk}")
    data = {"company": {}, "missing": {}, "child": {ROLE_FIELD: f"person:{family['child'].pk}"}}
    if sent == "company":  # the same role: it passes the check (and the view decides)
        response = client.post(_url(name, pattern), {ROLE_FIELD: f"company:{family['company'].pk}"})
        assert response.status_code != 409
        return
    response = client.post(_url(name, pattern), data[sent])
    assert response.status_code == 409, name
    assert REFUSED_LV in response.content.decode()


FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
ACTION = re.compile(r"""action="\{% url '([^']+)'""")


def test_every_form_that_posts_to_a_bound_page_carries_the_role():
    bound = {name for name, (_p, is_bound) in client_views().items() if is_bound}
    posting = {}
    for template in TEMPLATES.rglob("*.html"):
        for form in FORM.findall(template.read_text()):
            if 'method="post"' not in form:
                continue
            action = ACTION.search(form)
            # A form without an address posts to its own page: on a client page it must name
            # it, so that this test knows where it goes.
            assert action or "eaccount/base.html" not in template.read_text(), template
            if action and action.group(1) in bound:
                posting[(template.name, action.group(1))] = (
                    '{% include "components/role_field.html" %}' in form)
    assert {action for _t, action in posting} == bound & {a for _t, a in posting}
    assert len(posting) >= 6
    assert all(posting.values()), [key for key, ok in posting.items() if not ok]


def test_the_role_field_is_the_one_the_shell_reads():
    field = (TEMPLATES / "components" / "role_field.html").read_text()
    assert f'name="{ROLE_FIELD}"' in field and "client_role.key" in field


# --- Each form, through HTTP: opened in one role, sent in another, nothing saved ---------------

def opened_as_self_sent_as_company(client_login, family):
    """The person opened the form as themself (its page carries "self"), then switched to the
    company in another tab: the session now says the company."""
    client = client_login(family["parent"])
    client.post(reverse("eaccount:switch-role"), {"role": f"company:{family['company'].pk}"})
    return client


@pytest.fixture
def thread_of_parent(family, institutions):
    member = identity.record_staff(username="back.vsaa", password="pw-long-enough-for-tests",
                                   institution=institutions["VSAA"], roles=["back_office"])
    message = messaging.send_to_client(
        Actor(kind="staff", staff=member), client=family["parent"],
        institution=institutions["VSAA"], subject="Papildu informācija",
        body="Lūdzu iesniedziet izziņu.", case=family["own"])
    return message.thread


def refusal(response):
    """The refusal itself: the page below the role bar."""
    page = response.content.decode()
    return page[page.index("<h1"):]


def assert_refused(response, family):
    page = refusal(response)
    assert response.status_code == 409
    assert REFUSED_LV in page
    assert "Savā vārdā (Jānis Bērziņš)" in page  # the role the form was opened in
    assert "Uzņēmums SIA Zaļā Pļava" in page  # the role now
    assert 'name="role" value="self"' in page  # the way back to it


def test_a_new_message_opened_as_oneself_is_not_sent_for_the_company(client_login, family):
    client = client_login(family["parent"])
    form = client.get(reverse("inbox:write")).content.decode()
    assert f'name="{ROLE_FIELD}" value="self"' in form
    client.post(reverse("eaccount:switch-role"), {"role": f"company:{family['company'].pk}"})
    response = client.post(reverse("inbox:write"), {
        ROLE_FIELD: "self", "institution": family["own"].holder_id, "subject": "Jautājums",
        "body": "Kad būs lēmums?"})
    assert_refused(response, family)
    assert not Thread.objects.exists() and not InboxMessage.objects.exists()


def test_an_upload_opened_as_oneself_is_not_stored_for_the_company(client_login, family,
                                                                  settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = opened_as_self_sent_as_company(client_login, family)
    response = client.post(reverse("documents:upload"), {
        ROLE_FIELD: "self", "title": "Izziņa",
        "file": SimpleUploadedFile("izzina.pdf", PDF, content_type="application/pdf")})
    assert_refused(response, family)
    assert not Document.objects.exists() and not any(tmp_path.rglob("*.pdf"))


def test_an_answer_opened_as_oneself_is_refused_not_404(client_login, family, thread_of_parent):
    client = opened_as_self_sent_as_company(client_login, family)
    response = client.post(reverse("inbox:reply", args=[thread_of_parent.pk]),
                           {ROLE_FIELD: "self", "body": "Izziņu iesniegšu rīt."})
    assert_refused(response, family)
    assert thread_of_parent.messages.count() == 1


def test_archiving_opened_as_oneself_is_refused(client_login, family, thread_of_parent):
    client = opened_as_self_sent_as_company(client_login, family)
    response = client.post(reverse("inbox:archive", args=[thread_of_parent.pk]),
                           {ROLE_FIELD: "self", "archived": "1"})
    assert_refused(response, family)
    thread_of_parent.refresh_from_db()
    assert not thread_of_parent.archived


def test_a_case_rating_opened_as_oneself_is_refused(client_login, family, decide_case):
    decide_case(family["system"], family["own"])
    client = client_login(family["parent"])
    page = client.get(reverse("eaccount:case", args=[family["own"].number])).content.decode()
    assert f'name="{ROLE_FIELD}" value="self"' in page
    client.post(reverse("eaccount:switch-role"), {"role": f"company:{family['company'].pk}"})
    response = client.post(reverse("eaccount:case-feedback", args=[family["own"].number]),
                           {ROLE_FIELD: "self", "rating": "5"})
    assert_refused(response, family)
    assert not Feedback.objects.exists()


def test_a_consultation_rating_opened_as_oneself_is_refused(client_login, family,
                                                            api_client_factory):
    from durvis.integrations import services as integrations

    centre = integrations.api_actor(api_client_factory("VDAA").api_client)
    consultation = register.register_consultation(centre, register.NewConsultation(
        channel="phone", identification="identified_by_agent", outcome="answered",
        occurred_at=timezone.now(), service_code=1011,
        personal_code=family["parent"].personal_code))
    url = reverse("eaccount:consultation-feedback", args=[consultation.pk])
    client = client_login(family["parent"])
    assert f'name="{ROLE_FIELD}" value="self"' in client.get(url).content.decode()
    client.post(reverse("eaccount:switch-role"), {"role": f"company:{family['company'].pk}"})
    assert_refused(client.post(url, {ROLE_FIELD: "self", "rating": "5"}), family)
    assert not Feedback.objects.exists()
    # Back in the role it was opened in, the same form goes through.
    client.post(reverse("eaccount:switch-role"), {"role": "self"})
    assert client.post(url, {ROLE_FIELD: "self", "rating": "5"}).status_code == 302
    assert Feedback.objects.get(consultation=consultation).rating == 5


def test_a_form_opened_for_the_company_is_not_sent_as_oneself(client_login, family):
    client = client_login(family["parent"], role=f"company:{family['company'].pk}")
    client.post(reverse("eaccount:switch-role"), {"role": "self"})
    response = client.post(reverse("inbox:write"), {
        ROLE_FIELD: f"company:{family['company'].pk}", "institution": family["own"].holder_id,
        "subject": "Jautājums", "body": "Teksts"})
    page = refusal(response)
    assert response.status_code == 409
    assert page.index("Uzņēmums SIA Zaļā Pļava") < page.index("Savā vārdā (Jānis Bērziņš)")
    assert not Thread.objects.exists()


def test_a_form_of_a_role_no_longer_held_or_of_none_says_the_page_is_out_of_date(
        client_login, family, institutions):
    client = client_login(family["parent"])
    for sent in ({ROLE_FIELD: f"company:{family['company'].pk + 100}"}, {ROLE_FIELD: ""}, {}):
        response = client.post(reverse("inbox:write"), {
            **sent, "institution": institutions["VSAA"].pk, "subject": "S", "body": "B"})
        page = refusal(response)
        assert response.status_code == 409 and "novecojusi" in page
        assert 'name="role"' not in page  # no role to switch back to
    assert not Thread.objects.exists()


def test_the_explanation_is_in_english_on_english_pages_and_offers_both_ways(client_login,
                                                                             family):
    client = opened_as_self_sent_as_company(client_login, family)
    write = reverse("inbox:write")
    response = client.post(f"/en{write}", {ROLE_FIELD: "self", "subject": "S", "body": "B"},
                           HTTP_REFERER=f"http://testserver/en{write}?case=x")
    page = response.content.decode()
    assert response.status_code == 409
    assert "Nothing was sent or saved" in page
    assert "This form was opened in the role “Myself (Jānis Bērziņš)”" in page
    assert "changed to “Company SIA Zaļā Pļava”" in page
    assert f'name="next" value="/en{write}?case=x"' in page  # switch back, then the form
    assert f'href="/en{write}?case=x">open the form again</a>' in page  # or stay
    # A form on one record's page (a case of the other role): the way on starts elsewhere.
    reply = client.post("/en/eaccount/messages/1/reply/", {ROLE_FIELD: "self", "body": "B"},
                        HTTP_REFERER="http://testserver/en/eaccount/messages/1/")
    assert 'href="/en/eaccount/">start from the overview</a>' in reply.content.decode()
    # Another site's address is never a way on.
    other = client.post(f"/en{write}", {ROLE_FIELD: "self"},
                        HTTP_REFERER="https://elsewhere.example/en/eaccount/messages/new/")
    assert "elsewhere.example" not in other.content.decode()
