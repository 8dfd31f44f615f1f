"""The e-account pages (A2, C3): a client sees every case of the role they act in and nothing of
anyone else's; the role switch (C1); feedback (B1)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from durvis.audit.models import AuditEvent
from durvis.register import services as register
from durvis.register.models import Feedback

pytestmark = pytest.mark.django_db


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("eaccount:history"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("client-signin"))


def test_history_shows_own_cases_only(client_login, family):
    page = client_login(family["parent"]).get(reverse("eaccount:history")).content.decode()
    assert family["own"].number in page
    assert family["childs"].number not in page
    assert family["companys"].number not in page
    assert family["strangers"].number not in page


def test_switching_to_the_child_shows_the_childs_cases(client_login, family):
    client = client_login(family["parent"])
    response = client.post(reverse("eaccount:switch-role"),
                           {"role": f"person:{family['child'].pk}", "next": "/eaccount/history/"})
    assert response.status_code == 302
    page = client.get(reverse("eaccount:history")).content.decode()
    assert family["childs"].number in page and family["own"].number not in page
    assert "Emīlija Bērziņa" in page  # the role bar names whom the person acts for
    client.post(reverse("eaccount:switch-role"), {"role": "self"})
    page = client.get(reverse("eaccount:history")).content.decode()
    assert family["own"].number in page and family["childs"].number not in page


def test_company_role_shows_company_cases(client_login, family):
    client = client_login(family["parent"], role=f"company:{family['company'].pk}")
    page = client.get(reverse("eaccount:history")).content.decode()
    assert family["companys"].number in page and family["own"].number not in page


def test_a_role_without_a_relation_is_refused(client_login, family):
    client = client_login(family["parent"])
    client.post(reverse("eaccount:switch-role"), {"role": f"person:{family['stranger'].pk}"})
    page = client.get(reverse("eaccount:history")).content.decode()
    assert family["strangers"].number not in page and family["own"].number in page


def test_a_forged_role_in_the_session_falls_back_to_self(client_login, family):
    client = client_login(family["parent"], role=f"person:{family['stranger'].pk}")
    page = client.get(reverse("eaccount:history")).content.decode()
    assert family["strangers"].number not in page and family["own"].number in page


@pytest.mark.parametrize("role,case_key", [
    ("self", "childs"), ("self", "strangers"), ("self", "companys"),
    ("child", "own"), ("company", "own"), ("company", "strangers"),
])
def test_a_guessed_case_of_another_client_is_404(client_login, family, role, case_key):
    key = {"self": None, "child": f"person:{family['child'].pk}",
           "company": f"company:{family['company'].pk}"}[role]
    client = client_login(family["parent"], role=key)
    response = client.get(reverse("eaccount:case", args=[family[case_key].number]))
    assert response.status_code == 404


def test_case_page_shows_the_timeline_and_who_acted(client_login, family, decide_case):
    decide_case(family["system"], family["own"], "in_progress")
    client = client_login(family["parent"])
    response = client.get(reverse("eaccount:case", args=[family["own"].number]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Saņemts" in page and "Izskatīšanā" in page  # received, in progress (Latvian default)
    assert "Lēmums pieņemts" in page  # the holder's own status name is kept
    assert AuditEvent.objects.filter(action="register.case.read").exists()


def test_history_filters_and_number_search(client_login, family):
    second = register.open_case(family["vid"], register.NewCase(
        service_code=1006, identification="signed_in", application_channel="centre",
        personal_code=family["parent"].personal_code,
        applied_at=timezone.now() - datetime.timedelta(days=40)))
    client = client_login(family["parent"])
    url = reverse("eaccount:history")
    page = client.get(url, {"channel": "centre"}).content.decode()
    assert second.number in page and family["own"].number not in page
    page = client.get(url, {"number": family["own"].number}).content.decode()
    assert family["own"].number in page and second.number not in page
    old = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    page = client.get(url, {"date_to": old}).content.decode()
    assert second.number in page and family["own"].number not in page
    page = client.get(url, {"status": "decided"}).content.decode()
    assert second.number not in page and family["own"].number not in page


def test_a_mistyped_case_number_says_what_is_wrong(client_login, family):
    number = family["own"].number
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    response = client_login(family["parent"]).get(reverse("eaccount:history"), {"number": wrong})
    page = response.content.decode()
    assert "kontrolcipars" in page.lower() or "check digit" in page.lower()
    assert family["own"].number not in page


def test_feedback_after_the_result(client_login, family, decide_case):
    client = client_login(family["parent"])
    url = reverse("eaccount:case-feedback", args=[family["own"].number])
    response = client.post(url, {"rating": "4", "comment": "Ātri", "opened_as": "self"})
    assert response.status_code == 422  # no result yet: the comment stays, nothing saved
    assert "Ātri" in response.content.decode() and not Feedback.objects.exists()
    decide_case(family["system"], family["own"])
    response = client.post(url, {"rating": "4", "comment": "Ātri", "opened_as": "self"})
    assert response.status_code == 302
    assert Feedback.objects.get(case=family["own"]).rating == 4
    response = client.post(url, {"comment": "bez vērtējuma", "opened_as": "self"})
    assert response.status_code == 422


def test_feedback_on_another_clients_case_is_404(client_login, family, decide_case):
    decide_case(family["system"], family["strangers"])
    client = client_login(family["parent"])
    response = client.post(reverse("eaccount:case-feedback", args=[family["strangers"].number]),
                           {"rating": "1", "opened_as": "self"})
    assert response.status_code == 404 and not Feedback.objects.exists()


def test_overview_counts_open_cases(client_login, family):
    page = client_login(family["parent"]).get(reverse("eaccount:overview")).content.decode()
    assert family["own"].number in page and family["childs"].number not in page
