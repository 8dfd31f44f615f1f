"""Loads the demo data (the pilot scope of MISSION.md) from the JSON files in `data/`.

Once: `load_demo()` (which `make run` calls on every start) loads the data into a database that
does not have it yet and writes the `DemoDataset` marker in the same transaction. On a database
that has the marker it changes nothing, so what users did to the demo records (a confirmed
e-mail, an edited service, a reset second factor) stays. A database loaded before the marker
existed is known by the demo's cases (nothing else makes them) and is marked, not loaded again.

`load_demo(reset=True)` (`manage.py load_demo --reset`) restores the demo records to the files:
every row is keyed (institutions and staff by code or user name, persons by personal code,
services by code, cases by the holder's reference) and written again, a missing one made anew.
It deletes nothing that users made (see the README). It goes through the owning apps' services,
never their tables.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from durvis.addresses import queries as address_queries
from durvis.addresses import services as addresses
from durvis.catalog import queries as catalog_queries
from durvis.catalog import services as catalog
from durvis.catalog.models import Category, LifeSituation
from durvis.core.actor import SYSTEM, Actor
from durvis.demo.models import DemoDataset
from durvis.eforms import queries as eforms_queries
from durvis.eforms import services as eforms
from durvis.identity import queries as identity_queries
from durvis.identity import services as identity
from durvis.identity.models import Company, Institution, Person, StaffMember
from durvis.integrations import services as integrations
from durvis.payments import services as payments
from durvis.register import queries as register_queries
from durvis.register import services as register

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGES = ("lv", "en")
# The demo delegations hold since the pilot began (what a reset restores: a stage ended since
# begins again on the day of the reset, `catalog.services.import_delegations`).
DELEGATIONS_SINCE = datetime.date(2026, 1, 1)


def _read(name: str) -> Any:
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _translated(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {f"{n}_{lang}": row.get(f"{n}_{lang}", "") for n in names for lang in LANGUAGES}


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class DemoLoad:
    """What `load_demo` did: "loaded" (into a database without it), "kept" (it was there:
    nothing changed) or "reset" (the demo records restored); with how many rows of each kind
    the files hold (none when kept) and when the data was first loaded."""

    outcome: str
    loaded_at: datetime.datetime
    counts: dict[str, int] = field(default_factory=dict)


def load_demo(*, reset: bool = False) -> DemoLoad:
    """Load the demo data once, or with `reset` restore the demo records (module docstring).
    Raises ImproperlyConfigured outside demo mode."""
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("Demo data can be loaded in demo mode only (DURVIS_DEMO).")
    try:
        return _load(reset)
    except IntegrityError:
        # Another process wrote the marker first (two starts at once) and loaded the data.
        marker = DemoDataset.objects.filter(pk=1).first()
        if marker is None or reset:
            raise
        return DemoLoad("kept", marker.loaded_at)


@transaction.atomic
def _load(reset: bool) -> DemoLoad:
    now = timezone.now()
    marker = DemoDataset.objects.select_for_update().filter(pk=1).first()
    if marker is not None and not reset:
        return DemoLoad("kept", marker.loaded_at)
    if marker is None:
        # The marker first: a second loader at the same moment waits on its key, then fails.
        marker = DemoDataset.objects.create(pk=1, loaded_at=now)
        if not reset and _loaded_before_the_marker():
            return DemoLoad("kept", marker.loaded_at)
    else:
        marker.reset_at = now
        marker.save(update_fields=["reset_at"])
    return DemoLoad("reset" if reset else "loaded", marker.loaded_at, _load_all())


def _loaded_before_the_marker() -> bool:
    """A database that an earlier version loaded (without the marker): the demo's first case is
    there, which only the loader makes (by its holder's reference)."""
    rows = _read("cases")
    if not rows:
        return False
    service = catalog_queries.service_by_code(rows[0]["service"])
    return service is not None and register_queries.case_by_holder_reference(
        service.holder, rows[0]["reference"]) is not None


def load_catalogue() -> tuple[dict[str, Institution], int]:
    """Write the demo's institutions, categories, life situations and services (create or
    restore), indexed for search as any import is: what the judged search queries
    (`bench/search_judged.tsv`) run against. Returns the institutions by code and how many
    services the file holds."""
    institutions = _load_institutions()
    categories = _load_tree(Category, "categories")
    situations = _load_tree(LifeSituation, "life_situations")
    services = _load_services(institutions, categories, situations)
    catalog.import_synonyms((row["language"], row["words"]) for row in _read("synonyms"))
    return institutions, services


def _load_all() -> dict[str, int]:
    """Write every demo record (create or restore); how many rows of each kind the files hold."""
    institutions, services = load_catalogue()
    categories, situations = _read("categories"), _read("life_situations")
    addresses = _load_addresses()
    persons = _load_persons(institutions)
    companies = _load_companies(institutions, persons)
    staff = _load_staff(institutions)
    payee_accounts = _load_payee_accounts(institutions)
    cases = _load_cases(institutions, staff)
    forms = _load_forms(staff)
    mandates = _load_mandates()
    workflows = _load_workflows(institutions, staff)
    knowledge = _load_knowledge(staff)
    call_scripts = _load_call_scripts(staff)
    service_points = _load_service_points(institutions)
    _load_merchants()
    return {"institutions": len(institutions), "categories": len(categories),
            "life_situations": len(situations), "services": services, "persons": len(persons),
            "companies": companies, "staff": len(staff), "cases": cases,
            "forms": forms, "payee_accounts": payee_accounts, "mandates": mandates,
            "workflows": workflows, "knowledge": knowledge, "call_scripts": call_scripts,
            "addresses": addresses, "service_points": service_points}


def _load_addresses() -> int:
    """A small State Address Register release in the real open-data format
    (`data/addresses/aw_*.csv`: a few streets of Rīga and Valmiera, the reference's sample rows
    among them), so that the address widget answers out of the box (A9); a later import of the
    real release (`manage.py import_addresses`) applies over it. Returns the addresses in it."""
    summary = addresses.import_register(DATA_DIR / "addresses")
    return summary.files["aw_eka.csv"].rows + summary.files["aw_dziv.csv"].rows


def _load_merchants() -> int:
    """A merchant account with the payment gateway (A8; the demo's payment simulator,
    `durvis.demo.paysim`, answers it) for each holder of a service with a fee, so that its
    invoices can be paid online. The secret is derived from the holder's code: the simulator
    signs its callbacks with whatever secret the merchant authenticates with."""
    from durvis.catalog.models import Service
    from durvis.payments.models import MerchantAccount

    holders = set(Service.objects.exclude(fee_kind="none").exclude(fee_amount=None)
                  .values_list("holder_id", flat=True))
    for holder in Institution.objects.filter(pk__in=holders):
        MerchantAccount.objects.update_or_create(
            institution=holder, provider="gateway", active=True,
            defaults={"merchant_id": f"demo-{holder.code.lower()}",
                      "secret": f"demo-secret-{holder.code.lower()}-0123456789abcdef"})
    return len(holders)


def _load_institutions() -> dict[str, Institution]:
    rows = _read("institutions")
    loaded: dict[str, Institution] = {}
    pending = list(rows)
    while pending:  # parents first, whatever the order in the file
        row = pending.pop(0)
        if row.get("parent") and row["parent"] not in loaded:
            pending.append(row)
            continue
        loaded[row["code"]] = identity.record_institution(
            code=row["code"], names={lang: row[f"name_{lang}"] for lang in LANGUAGES},
            kind=row["kind"], parent=loaded.get(row.get("parent") or ""),
            registration_number=row.get("registration_number", ""),
            atvk_code=row.get("atvk_code", ""), website=row.get("website", ""),
        )
    return loaded


def _load_tree(model: type[Category] | type[LifeSituation], name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = {}
    pending = list(_read(name))
    while pending:
        row = pending.pop(0)
        if row.get("parent") and row["parent"] not in loaded:
            pending.append(row)
            continue
        fields = {**_translated(row, "name", "description"), "position": len(loaded)}
        loaded[row["slug"]] = catalog.import_tree_node(
            model, row["slug"], fields, loaded.get(row.get("parent") or "")
        )
    return loaded


def _load_services(institutions: dict[str, Institution], categories: dict[str, Any],
                   situations: dict[str, Any]) -> int:
    rows = _read("services")
    for row in rows:
        fields = {
            **_translated(row, "name", "summary", "description"),
            **{f"legal_acts_{lang}": "\n".join(row.get(f"legal_acts_{lang}", []))
               for lang in LANGUAGES},
            "pilot_code": row.get("pilot_code", ""),
            "audience": row["audience"],
            "municipality": institutions[row["municipality"]] if row.get("municipality") else None,
            "application_channels": row.get("application_channels", []),
            "result_channels": row.get("result_channels", []),
            "fee_kind": row.get("fee_kind", "none"),
            "fee_amount": Decimal(row["fee_amount"]) if row.get("fee_amount") else None,
            "processing_days": row.get("processing_days"),
            "status": row.get("status", "published"),
            "assistant_allowed": bool(row.get("assistant_allowed", False)),
        }
        relations = {
            "categories": [categories[s] for s in row.get("categories", [])],
            "life_situations": [situations[s] for s in row.get("life_situations", [])],
        }
        service, _changed = catalog.import_service(int(row["code"]), institutions[row["holder"]],
                                                   fields, relations)
        # Providers per stage (A1, B3): the state and municipal centres (VDAA's VPVKAC) give
        # advice, take applications and hand out results; a municipality acting as the holder's
        # agent does every stage.
        catalog.import_delegations(service, {institutions[code]: stages for code, stages in
                                             row.get("delegations", {}).items()},
                                   since=DELEGATIONS_SINCE)
    return len(rows)


def _load_persons(institutions: dict[str, Institution]) -> dict[str, Any]:
    rows = _read("persons")
    persons = {}
    for row in rows:
        person = identity.record_person(
            personal_code=row["personal_code"], given_name=row["given_name"],
            family_name=row["family_name"], historical_codes=row.get("historical_codes", []),
            date_of_birth=_date(row.get("date_of_birth")),
            declared_municipality=institutions.get(row.get("municipality") or ""),
            declared_address=row.get("declared_address", ""),
            citizenship=row.get("citizenship", "LV"), email=row.get("email", ""),
            phone=row.get("phone", ""),
        )
        persons[person.personal_code] = person
    for row in rows:
        for child_code in row.get("children", []):
            identity.record_parental_relation(persons[row["personal_code"]], persons[child_code])
    return persons


def _load_companies(institutions: dict[str, Institution], persons: dict[str, Any]) -> int:
    rows = _read("companies")
    for row in rows:
        company = identity.record_company(
            registration_number=row["registration_number"], name=row["name"],
            legal_form=row["legal_form"], address=row.get("address", ""),
            municipality=institutions.get(row.get("municipality") or ""),
        )
        for rep in row.get("representatives", []):
            identity.record_representation(
                company, persons[rep["personal_code"]], rep["role"],
                may_act_alone=rep.get("may_act_alone", True),
                valid_from=_date(rep["valid_from"]) or datetime.date(2000, 1, 1),
            )
    return len(rows)


def _load_mandates() -> int:
    """A few mandates (issue 15) through the mandates' own services, each once: granted by a
    person or by a company through its board member, and one request waiting for its grantor.
    A mandate of the same two sides that is already there (a reset) is kept."""
    from durvis.catalog.models import Service
    from durvis.mandates import services as mandates
    from durvis.mandates.models import Mandate

    rows = _read("mandates")
    for row in rows:
        grantor: Person | Company | None = (
            identity_queries.find_company(row["grantor"]) if row["grantor"][0] in "45"
            else identity_queries.find_person(row["grantor"]))
        grantee = identity_queries.find_person(row["grantee"])
        assert grantor is not None and grantee is not None
        party = ({"grantor_company": grantor} if isinstance(grantor, Company)
                 else {"grantor_person": grantor})
        if Mandate.objects.filter(**party, grantee_person=grantee).exists():
            continue
        terms = mandates.Terms(
            scope=row["scope"], rights=row["rights"],
            service_ids=list(Service.objects.filter(code__in=row.get("services", []))
                             .values_list("pk", flat=True)))
        if row.get("request"):
            mandates.request(Actor(kind="person", person=grantee), grantee, row["grantor"], terms)
            continue
        by = identity_queries.find_person(row.get("granted_by", row["grantor"]))
        mandates.grant(Actor(kind="person", person=by), grantor, grantee.personal_code, terms)
    return len(rows)


def _load_workflows(institutions: dict[str, Institution], staff: list[StaffMember]) -> int:
    """Teams and their members and leads, and the holders' workflows (issue 16) through the
    workflows' own services; a workflow that is live already (a reset) is kept. Cases registered
    from now on (an agent's, an e-form's) start on them."""
    from durvis.catalog.models import Service
    from durvis.workflows import services as workflows
    from durvis.workflows.models import Team, Workflow

    data = _read("workflows")
    by_name = {s.user.username: s for s in staff}
    for row in data["teams"]:
        team, _created = Team.objects.get_or_create(
            institution=institutions[row["institution"]], key=row["key"],
            defaults={"name_lv": row["name_lv"], "name_en": row["name_en"]})
        team.members.add(*(by_name[u] for u in row["members"]))
        team.leads.add(*(by_name[u] for u in row["leads"]))
    for row in data["workflows"]:
        institution = institutions[row["institution"]]
        service = Service.objects.get(code=row["service"])
        if Workflow.objects.filter(institution=institution, service=service,
                                   retired_at__isnull=True).exists():
            continue
        workflows.publish_version(Actor(kind="staff", staff=by_name[row["by"]]), institution,
                                  service, row["name"], row["definition"])
    return len(data["workflows"])


def _load_service_points(institutions: dict[str, Institution]) -> int:
    """The service points (A1) and their calendars (A4): a handful of the network's centres,
    offices and municipal centres, each with its address's code from the address register
    (A9; loaded before them); kept (never duplicated) on a repeated load, which gives a point
    loaded without a code its code."""
    from durvis.calendars.models import Calendar
    from durvis.catalog.models import Service
    from durvis.servicepoints.models import ServicePoint

    rows = _read("service_points")
    codes = {s.code: s for s in Service.objects.filter(
        code__in={c["service"] for row in rows for c in row["calendars"]})}
    for row in rows:
        values = {k: v for k, v in row.items() if k not in ("institution", "calendars", "name")}
        found = address_queries.resolve(row["address"])
        values["address_code"] = found.code if found is not None else None
        point, _created = ServicePoint.objects.get_or_create(
            institution=institutions[row["institution"]], name=row["name"], defaults=values)
        if point.address_code is None and values["address_code"] is not None:
            ServicePoint.objects.filter(pk=point.pk).update(address_code=values["address_code"])
        for calendar in row["calendars"]:
            settings_ = {k: v for k, v in calendar.items() if k != "service"}
            Calendar.objects.get_or_create(point=point, service=codes[calendar["service"]],
                                           defaults=settings_)
    return len(rows)


def _load_knowledge(staff: list[StaffMember]) -> int:
    """The knowledge base's demo articles (issue 17), written by their editors and published by
    the central editor through the knowledge app's services; an article whose title is there
    already (a reset) is kept."""
    from durvis.catalog.models import Service
    from durvis.knowledge import services as knowledge
    from durvis.knowledge.models import ArticleVersion

    by_name = {s.user.username: s for s in staff}
    rows = _read("knowledge")["articles"]
    for row in rows:
        if ArticleVersion.objects.filter(title_lv=row["title_lv"]).exists():
            continue
        editor = Actor(kind="staff", staff=by_name[row["by"]])
        service = Service.objects.get(code=row["service"]) if row.get("service") else None
        version = knowledge.create_article(editor, knowledge.ArticleSubject(
            audience=row["audience"], service=service, topic=row.get("topic", ""),
            first_level=row["first_level"]), knowledge.ArticleDraft(
            title_lv=row["title_lv"], title_en=row["title_en"], content=row["content"],
            legal_acts=row["legal_acts"]))
        knowledge.submit(editor, version)
        # Another central editor than the author reviews it (four eyes).
        reviewer = "editor2.vdaa" if row["by"] == "editor.vdaa" else "editor.vdaa"
        knowledge.approve(Actor(kind="staff", staff=by_name[reviewer]), version)
    return len(rows)


def _load_call_scripts(staff: list[StaffMember]) -> int:
    """The demo call scripts (issue 17), written by their editors and published by the central
    editor through `knowledge.scripts`; an answer's `article_title` names a demo article (its
    id differs per database). A script whose title is there already (a reset) is kept."""
    from durvis.catalog.models import Service
    from durvis.knowledge import scripts
    from durvis.knowledge.models import ArticleVersion, ScriptVersion

    by_name = {s.user.username: s for s in staff}
    central = Actor(kind="staff", staff=by_name["editor.vdaa"])
    rows = _read("call_scripts")["scripts"]
    for row in rows:
        if ScriptVersion.objects.filter(title_lv=row["title_lv"]).exists():
            continue
        editor = Actor(kind="staff", staff=by_name[row["by"]])
        definition = json.loads(json.dumps(row["definition"]))
        for node in definition["nodes"].values():
            for answer in node["answers"]:
                title = answer.pop("article_title", None)
                if title is not None:
                    answer["article"] = (ArticleVersion.objects.filter(title_lv=title)
                                         .values_list("article_id", flat=True).first())
        version = scripts.create_script(editor, title_lv=row["title_lv"],
                                        title_en=row["title_en"],
                                        service=Service.objects.get(code=row["service"]))
        scripts.save_draft(editor, version, title_lv=row["title_lv"], title_en=row["title_en"],
                           definition=definition, expected=None)
        scripts.submit(editor, version)
        scripts.approve(central, version)
    return len(rows)


def _load_staff(institutions: dict[str, Institution]) -> list[StaffMember]:
    rows = _read("staff")
    members = []
    for row in rows:
        staff = identity.record_staff(
            username=row["username"], password=row["password"],
            institution=institutions[row["institution"]], roles=row["roles"],
            given_name=row.get("given_name", ""), family_name=row.get("family_name", ""),
            email=row.get("email", ""),
        )
        # A fixed second-factor secret, so that demo staff sign in without a phone: the sign-in
        # page shows the current code in demo mode (durvis.demo.aids).
        identity.record_totp_device(staff, totp_key_hex(row["totp_secret"]))
        members.append(staff)
    return members


def _load_payee_accounts(institutions: dict[str, Institution]) -> int:
    """The default account clients pay into (A8) of every holder of a paid demo service: the
    Treasury's (BIC TRELLV22) for a state institution, a bank's for a municipality; saved (by
    IBAN, so again on a reset) through `payments.services.save_payee_account`, which checks it."""
    rows = _read("payee_accounts")
    for row in rows:
        payments.save_payee_account(SYSTEM, institutions[row["institution"]], name=row["name"],
                                    iban=row["iban"], bic=row["bic"], is_default=True)
    return len(rows)


def _load_forms(staff: list[StaffMember]) -> int:
    """Publish the demo services' e-forms (A10), by a form builder of each holder, unless the
    live version already says the same (a reset leaves a form a user published alone only if
    it is the demo's)."""
    rows = _read("forms")
    for row in rows:
        service = catalog_queries.service_by_code(row["service"])
        assert service is not None, row["service"]
        live = eforms_queries.live_version(service)
        if live is not None and live.definition == row["definition"]:
            continue
        builder = next(m for m in staff if m.institution_id == service.holder_id
                       and "form_builder" in m.roles)
        eforms.load_definition(Actor(kind="staff", staff=builder), service, row["definition"],
                               publish_it=True)
    return len(rows)


def totp_key_hex(secret: str) -> str:
    """An authenticator app's base32 secret as the hex key django-otp stores."""
    secret = secret.replace(" ", "").upper()
    return base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()


def _load_cases(institutions: dict[str, Institution], staff: list[StaffMember]) -> int:
    """Cases of demo persons and companies with their histories, as the holders' back-office
    systems (a demo API client per holder) would have reported them, so a newcomer's e-account
    has something to show. Keyed by the holder's reference: loaded once. Times are relative to
    the day of loading."""
    rows = _read("cases")
    systems: dict[int, Actor] = {}
    now = timezone.now()
    for row in rows:
        service = catalog_queries.service_by_code(row["service"])
        if service is None:
            raise ImproperlyConfigured(f"demo case {row['reference']}: no service {row['service']}")
        holder = institutions[service.holder.code]
        if register_queries.case_by_holder_reference(holder, row["reference"]):
            continue
        system = systems.get(holder.pk) or _demo_system(holder, staff)
        systems[holder.pk] = system
        case = register.open_case(system, register.NewCase(
            service_code=row["service"], identification="signed_in",
            application_channel=row["channel"], personal_code=row.get("personal_code", ""),
            registration_number=row.get("registration_number", ""),
            result_channel=row.get("result_channel", ""), service_point=row.get("service_point", ""),
            holder_reference=row["reference"],
            applied_at=now - datetime.timedelta(days=row["days_ago"])))
        register.record_status_events(system, [register.StatusEvent(
            case.number, occurred_at=now - datetime.timedelta(days=e["days_ago"]),
            status=e["status"], holder_status=e.get("holder_status", ""), note=e.get("note", ""))
            for e in row["events"]])
        if row.get("result"):
            register.record_result(
                system, case.number, title=row["result"]["title"],
                occurred_at=now - datetime.timedelta(days=row["result"]["days_ago"]))
    return len(rows)


def _demo_system(holder: Institution, staff: list[StaffMember]) -> Actor:
    """The holder's demo back-office system: an API client created by its administrator."""
    admin = next(s for s in staff
                 if s.institution_id == holder.pk and s.has_role("institution_admin"))
    client, _token = integrations.create_api_client(
        Actor(kind="staff", staff=admin), holder, "Demo back-office system",
        ["cases:read", "cases:write", "consultations:write", "messages:write"])
    return integrations.api_actor(client)
