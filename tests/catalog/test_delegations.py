"""Holders and providers, per stage (A1, B3; issue 16): the delegations' rules (validity,
overlap, expiry by date), the one question the policy asks (`delegated`, `serves`) and its list
form (`serving`), the policy's use of it, the administration pages and the catalogue's public
face."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durvis.access.policy import decide
from durvis.audit.models import AuditEvent
from durvis.catalog import queries as catalog_queries
from durvis.catalog import services as catalog
from durvis.catalog.models import Delegation, Service, Stage
from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.register import services as register
from durvis.register.rules import CaseAction


def _today():
    return catalog_queries.day_of()


@pytest.fixture
def holder_admin(staff):
    return Actor(kind="staff", staff=staff["vsaa_admin"])


@pytest.fixture
def childbirth(catalogue):
    return catalogue["childbirth"]


def _delegate(admin, service, provider, stage, start=None, end=None):
    return catalog.create_delegation(admin, service, provider=provider, stage=stage,
                                     valid_from=start or _today(), valid_until=end)


# --- Validity, overlap, expiry ----------------------------------------------------------------

def test_the_holder_delegates_a_stage_for_a_period_and_it_is_audited(holder_admin, childbirth,
                                                                     institutions):
    roja = institutions["ROJA"]
    start, end = _today(), _today() + datetime.timedelta(days=10)
    delegation = _delegate(holder_admin, childbirth, roja, Stage.APPLICATION, start, end)
    assert catalog_queries.delegated(childbirth, roja.pk, Stage.APPLICATION)
    assert catalog_queries.delegated(childbirth, roja.pk, Stage.APPLICATION, at=end)
    assert not catalog_queries.delegated(childbirth, roja.pk, Stage.APPLICATION,
                                         at=end + datetime.timedelta(days=1))  # expired
    assert not catalog_queries.delegated(childbirth, roja.pk, Stage.RESULT_DELIVERY)
    assert catalog_queries.serves(childbirth, institutions["VSAA"].pk, Stage.EXECUTION)  # holder
    assert not catalog_queries.delegated(childbirth, institutions["VSAA"].pk)  # not a delegate
    assert delegation.created_by == holder_admin.staff
    entry = AuditEvent.objects.filter(action="catalog.delegation.create").latest("pk")
    assert entry.details["stage"] == "application" and entry.details["provider"] == "ROJA"


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"provider": "VSAA"}, "provider", "holder"),
    ({"stage": "payment"}, "stage", "invalid"),
    ({"start": -1}, "valid_from", "past"),
    ({"start": 5, "end": 4}, "valid_until", "order"),
])
def test_a_delegation_is_refused_by_field(holder_admin, childbirth, institutions, change, field,
                                          code):
    start = _today() + datetime.timedelta(days=change.get("start", 0))
    end = _today() + datetime.timedelta(days=change["end"]) if "end" in change else None
    with pytest.raises(ValidationError) as raised:
        _delegate(holder_admin, childbirth, institutions[change.get("provider", "ROJA")],
                  change.get("stage", Stage.APPLICATION), start, end)
    assert raised.value.error_dict[field][0].code == code
    assert not Delegation.objects.filter(provider=institutions["ROJA"]).exists()


def test_the_same_stage_cannot_overlap_but_may_follow(holder_admin, childbirth, institutions):
    roja, day = institutions["ROJA"], datetime.timedelta(days=1)
    _delegate(holder_admin, childbirth, roja, Stage.INFORMATION, _today(), _today() + 9 * day)
    for start, end in [(_today() + 9 * day, None), (_today() + 3 * day, _today() + 4 * day),
                       (_today(), _today())]:
        with pytest.raises(ValidationError) as raised:
            _delegate(holder_admin, childbirth, roja, Stage.INFORMATION, start, end)
        assert raised.value.error_dict["valid_from"][0].code == "overlap"
    _delegate(holder_admin, childbirth, roja, Stage.INFORMATION, _today() + 10 * day)  # after
    _delegate(holder_admin, childbirth, roja, Stage.APPLICATION, _today())  # another stage


def test_only_the_holders_administrator_delegates(staff, childbirth, institutions):
    for member in ("vid_admin", "agent"):
        with pytest.raises(PermissionDenied):
            _delegate(Actor(kind="staff", staff=staff[member]), childbirth, institutions["ROJA"],
                      Stage.INFORMATION)


def test_ending_stops_it_from_today_once(holder_admin, childbirth, institutions):
    vdaa = institutions["VDAA"]
    delegation = Delegation.objects.get(service=childbirth, provider=vdaa,
                                        stage=Stage.APPLICATION)
    catalog.end_delegation(holder_admin, delegation)
    delegation.refresh_from_db()
    assert delegation.valid_until == _today() - datetime.timedelta(days=1)
    assert delegation.ended_by == holder_admin.staff and delegation.ended_at is not None
    assert not catalog_queries.delegated(childbirth, vdaa.pk, Stage.APPLICATION)
    assert catalog_queries.delegated(childbirth, vdaa.pk, Stage.APPLICATION,
                                     at=_today() - datetime.timedelta(days=1))  # history stays
    with pytest.raises(ValidationError) as raised:
        catalog.end_delegation(holder_admin, delegation)
    assert raised.value.error_dict["delegation"][0].code == "ended"
    _delegate(holder_admin, childbirth, vdaa, Stage.APPLICATION)  # may be given again today


def test_a_delegation_ended_before_it_began_never_holds(holder_admin, childbirth, institutions):
    roja = institutions["ROJA"]
    later = _today() + datetime.timedelta(days=3)
    delegation = _delegate(holder_admin, childbirth, roja, Stage.INFORMATION, later)
    catalog.end_delegation(holder_admin, delegation)
    assert not catalog_queries.delegated(childbirth, roja.pk, Stage.INFORMATION, at=later)
    assert delegation not in catalog_queries.delegations_given(institutions["VSAA"].pk)
    _delegate(holder_admin, childbirth, roja, Stage.INFORMATION, later)  # no overlap left


# --- One question, two forms: `serves` and `serving` agree -------------------------------------

_PERIODS = st.tuples(st.integers(-5, 5), st.one_of(st.none(), st.integers(-6, 6)),
                     st.booleans())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_list_filter_agrees_with_the_single_decision(catalogue, institutions, data):
    """Random delegations (any provider, stage and period, some ended): for any institution,
    stage (or none) and day, `serving` lists exactly the services `serves` allows, and both
    follow the rule: the holder, or a delegation whose period holds the day."""
    Delegation.objects.all().delete()
    services = list(Service.objects.order_by("pk"))
    codes = ["VDAA", "RIGA", "ROJA", "VID"]
    base = datetime.date(2026, 6, 15)
    rows = data.draw(st.lists(st.tuples(st.sampled_from(services), st.sampled_from(codes),
                                        st.sampled_from(Stage.values), _PERIODS), max_size=8),
                     label="delegations")
    made = []
    for service, code, stage, (start, length, ended) in rows:
        if institutions[code].pk == service.holder_id:
            continue
        valid_from = base + datetime.timedelta(days=start)
        valid_until = None if length is None else valid_from + datetime.timedelta(days=length)
        if valid_until is not None and valid_until < valid_from and not ended:
            continue
        made.append(Delegation.objects.create(
            service=service, provider=institutions[code], stage=stage, valid_from=valid_from,
            valid_until=valid_until, ended_at=timezone.now() if ended else None))
    code = data.draw(st.sampled_from(codes), label="institution")
    stage = data.draw(st.one_of(st.none(), st.sampled_from(Stage.values)), label="stage")
    day = base + datetime.timedelta(days=data.draw(st.integers(-7, 12), label="day"))
    institution_id = institutions[code].pk

    def rule(service):
        return service.holder_id == institution_id or any(
            d.service_id == service.pk and d.provider_id == institution_id
            and (stage is None or d.stage == stage) and d.valid_from <= day
            and (d.valid_until is None or day <= d.valid_until) for d in made)

    listed = set(Service.objects.filter(catalog_queries.serving(institution_id, stage, day))
                 .values_list("pk", flat=True))
    single = {s.pk for s in services if catalog_queries.serves(s, institution_id, stage, day)}
    assert listed == single == {s.pk for s in services if rule(s)}


# --- The policy asks it ------------------------------------------------------------------------

@pytest.fixture
def roja_agent(institutions):
    member = identity.record_staff(username="agent.roja", password="pw-long-enough-for-tests",
                                   institution=institutions["ROJA"], roles=["agent"])
    return Actor(kind="staff", staff=member)


def _new_case(provider_code=""):
    return register.NewCase(service_code=1011, identification="anonymous",
                            application_channel="centre", provider_code=provider_code)


def test_an_agent_without_the_application_stage_cannot_register_an_application(
        holder_admin, childbirth, institutions, roja_agent):
    _delegate(holder_admin, childbirth, institutions["ROJA"], Stage.INFORMATION)
    decision = decide(roja_agent, CaseAction.CREATE_CASE, childbirth)
    assert not decision and "application" in decision.reason
    with pytest.raises(PermissionDenied):
        register.open_case(roja_agent, _new_case())
    assert decide(roja_agent, CaseAction.REGISTER_CONSULTATION, childbirth)  # information
    _delegate(holder_admin, childbirth, institutions["ROJA"], Stage.APPLICATION)
    assert register.open_case(roja_agent, _new_case()).provider == institutions["ROJA"]


def test_the_assistant_needs_the_application_stage(holder_admin, childbirth, institutions,
                                                   roja_agent):
    from durvis.eforms.rules import AssistantAction

    Service.objects.filter(pk=childbirth.pk).update(assistant_allowed=True)
    childbirth.refresh_from_db()
    _delegate(holder_admin, childbirth, institutions["ROJA"], Stage.INFORMATION)
    assert not decide(roja_agent, AssistantAction.ASSIST, childbirth)
    _delegate(holder_admin, childbirth, institutions["ROJA"], Stage.APPLICATION)
    assert decide(roja_agent, AssistantAction.ASSIST, childbirth)


def test_an_expired_delegation_stops_allowing(childbirth, institutions, roja_agent):
    Delegation.objects.create(service=childbirth, provider=institutions["ROJA"],
                              stage=Stage.APPLICATION, valid_from=_today(),
                              valid_until=_today())
    assert decide(roja_agent, CaseAction.CREATE_CASE, childbirth)
    Delegation.objects.filter(provider=institutions["ROJA"]).update(
        valid_from=_today() - datetime.timedelta(days=5),
        valid_until=_today() - datetime.timedelta(days=1))
    assert not decide(roja_agent, CaseAction.CREATE_CASE, childbirth)
    assert not decide(roja_agent, CaseAction.REGISTER_CONSULTATION, childbirth)


def test_the_holder_registers_a_case_only_for_a_provider_with_the_application_stage(
        catalogue, institutions, api_client_factory, holder_admin, childbirth):
    vsaa = integrations.api_actor(api_client_factory("VSAA").api_client)
    _delegate(holder_admin, childbirth, institutions["ROJA"], Stage.INFORMATION)
    with pytest.raises(ValidationError) as raised:
        register.open_case(vsaa, _new_case("ROJA"))
    assert raised.value.error_dict["provider_code"][0].code == "not_a_provider"
    assert register.open_case(vsaa, _new_case("VDAA")).provider == institutions["VDAA"]


def test_a_provider_hands_out_a_result_only_with_result_delivery(
        catalogue, institutions, api_client_factory, holder_admin, childbirth):
    centre = integrations.api_actor(api_client_factory("VDAA").api_client)
    case = register.open_case(centre, _new_case())
    for stage in (Stage.EXECUTION, Stage.RESULT_DELIVERY):
        catalog.end_delegation(holder_admin, Delegation.objects.get(
            service=childbirth, provider=institutions["VDAA"], stage=stage))
    later = case.applied_at + datetime.timedelta(minutes=1)
    (result,) = register.record_status_events(centre, [register.StatusEvent(
        case.number, occurred_at=later, status="decided")])
    assert result.outcome == "rejected" and result.errors[0]["type"] == "not_delegated"
    with pytest.raises(PermissionDenied):
        register.record_result(centre, case.number, occurred_at=later, title="Lēmums")
    holder = integrations.api_actor(api_client_factory("VSAA").api_client)
    register.record_status_events(holder, [register.StatusEvent(
        case.number, occurred_at=later, status="decided")])
    (delivered,) = register.record_status_events(centre, [register.StatusEvent(
        case.number, occurred_at=later + datetime.timedelta(minutes=1),
        status="result_delivered")])
    assert delivered.errors[0]["type"] == "not_delegated"
    _delegate(holder_admin, childbirth, institutions["VDAA"], Stage.RESULT_DELIVERY)
    (delivered,) = register.record_status_events(centre, [register.StatusEvent(
        case.number, occurred_at=later + datetime.timedelta(minutes=1),
        status="result_delivered")])
    assert delivered.outcome == "recorded", delivered.errors


# --- Pages -------------------------------------------------------------------------------------

PAGE = "/administration/delegations/"


def test_the_holders_administrator_lists_adds_and_ends(client, staff_login, staff, childbirth,
                                                       institutions):
    web = staff_login(client, staff["vsaa_admin"])
    page = web.get("/en" + PAGE).content.decode()
    assert "Delegated by your institution" in page and "State Digital Development Agency" in page
    response = web.post("/en" + PAGE, {
        "service": childbirth.pk, "provider": institutions["ROJA"].pk, "stage": "information",
        "valid_from": _today().isoformat(), "valid_until": ""})
    assert response.status_code == 302
    delegation = Delegation.objects.get(provider=institutions["ROJA"])
    end = f"/en/administration/delegations/{delegation.pk}/end/"
    asked = web.post(end)
    assert asked.status_code == 200 and "End the delegation" in asked.content.decode()
    assert catalog_queries.delegated(childbirth, institutions["ROJA"].pk, Stage.INFORMATION)
    assert web.post(end, {"confirmed": "yes"}).status_code == 302
    assert not catalog_queries.delegated(childbirth, institutions["ROJA"].pk, Stage.INFORMATION)


@pytest.mark.parametrize(("prefix", "words"), [
    ("/en", "has this stage of the service already"),
    ("", "jau ir šis pakalpojuma posms"),
])
def test_an_overlap_is_shown_in_the_error_summary_in_the_persons_language(
        client, staff_login, staff, childbirth, institutions, prefix, words):
    web = staff_login(client, staff["vsaa_admin"])
    response = web.post(prefix + PAGE, {
        "service": childbirth.pk, "provider": institutions["VDAA"].pk, "stage": "application",
        "valid_from": _today().isoformat()})
    assert response.status_code == 422
    page = response.content.decode()
    assert words in page and "error-summary" in page


def test_a_past_start_is_refused_in_latvian(client, staff_login, staff, childbirth, institutions):
    web = staff_login(client, staff["vsaa_admin"])
    response = web.post(PAGE, {"service": childbirth.pk, "provider": institutions["ROJA"].pk,
                               "stage": "information",
                               "valid_from": (_today() - datetime.timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert "nevar sākties pirms šodienas" in response.content.decode()


def test_the_provider_sees_what_was_delegated_to_it_and_ends_nothing(client, staff_login,
                                                                     institutions, catalogue):
    member = identity.record_staff(username="admin.vdaa", password="pw-long-enough-for-tests",
                                   institution=institutions["VDAA"], roles=["institution_admin"])
    web = staff_login(client, member)
    page = web.get("/en" + PAGE).content.decode()
    assert "Delegated to your institution" in page and "Childbirth benefit" in page
    foreign = Delegation.objects.filter(provider=institutions["VDAA"]).first()
    response = web.post(f"/en/administration/delegations/{foreign.pk}/end/", {"confirmed": "yes"})
    assert response.status_code == 404
    assert catalog_queries.delegated(foreign.service, institutions["VDAA"].pk, foreign.stage)


def test_staff_who_are_no_administrators_are_refused(client, staff_login, staff, catalogue):
    assert staff_login(client, staff["agent"]).get("/en" + PAGE).status_code == 403


# --- The catalogue shows it --------------------------------------------------------------------

def test_the_service_page_names_who_does_each_stage(client, holder_admin, childbirth,
                                                    institutions):
    catalog.end_delegation(holder_admin, Delegation.objects.get(
        service=childbirth, provider=institutions["VDAA"], stage=Stage.EXECUTION))
    page = client.get("/en/services/1011/").content.decode()
    assert "Where to apply in person" in page and "Where to receive the result" in page
    assert "Who processes the application" not in page  # only the holder executes now
    assert "Kur pieteikties klātienē" in client.get("/services/1011/").content.decode()


def test_the_api_returns_delegations_with_stages_and_periods(client, holder_admin, childbirth,
                                                             institutions):
    later = _today() + datetime.timedelta(days=7)
    _delegate(holder_admin, childbirth, institutions["ROJA"], Stage.INFORMATION, later,
              later + datetime.timedelta(days=30))
    body = client.get("/api/v1/services/1011").json()
    assert {p["code"] for p in body["providers"]} == {"VSAA", "VDAA"}  # ROJA not yet
    stages = {(d["provider"]["code"], d["stage"]) for d in body["delegations"]}
    assert ("VDAA", "result_delivery") in stages and ("ROJA", "information") in stages
    roja = next(d for d in body["delegations"] if d["provider"]["code"] == "ROJA")
    assert roja["valid_from"] == later.isoformat()
    assert roja["valid_until"] == (later + datetime.timedelta(days=30)).isoformat()


def test_odd_dates_are_field_errors_never_a_500(client, staff_login, staff, childbirth,
                                               institutions):
    web = staff_login(client, staff["vsaa_admin"])
    assert f'value="{_today().isoformat()}"' in web.get("/en" + PAGE).content.decode()
    for start, end in [("9999-12-31", ""), ("31.02.2026", ""), (_today().isoformat(), "x")]:
        response = web.post("/en" + PAGE, {
            "service": childbirth.pk, "provider": institutions["ROJA"].pk,
            "stage": "information", "valid_from": start, "valid_until": end})
        assert response.status_code == 422, (start, end)
    assert not Delegation.objects.filter(provider=institutions["ROJA"]).exists()


@pytest.mark.parametrize(("language", "open_ended", "ended"), [
    ("lv", "no {start}, bez beigu datuma", "no {start} līdz {end}"),
    ("en", "from {start}, with no end date", "from {start} to {end}")])
def test_an_overlap_names_the_period_in_words_open_ended_or_not(
        holder_admin, childbirth, institutions, language, open_ended, ended):
    from django.utils import formats, translation

    roja, day = institutions["ROJA"], datetime.timedelta(days=1)
    start, end = _today() + 2 * day, _today() + 5 * day
    _delegate(holder_admin, childbirth, roja, Stage.INFORMATION, start)
    _delegate(holder_admin, childbirth, roja, Stage.APPLICATION, start, end)
    with translation.override(language):
        text = {d: formats.date_format(d, "SHORT_DATE_FORMAT") for d in (start, end)}
        for stage, expected in ((Stage.INFORMATION, open_ended.format(start=text[start])),
                                (Stage.APPLICATION, ended.format(start=text[start],
                                                                 end=text[end]))):
            with pytest.raises(ValidationError) as raised:
                _delegate(holder_admin, childbirth, roja, stage, start + day, start + day)
            message = raised.value.error_dict["valid_from"][0].messages[0]
            assert expected in message, message
            assert "līdz bez" not in message and "until no end" not in message
