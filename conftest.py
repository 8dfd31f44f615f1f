"""Shared fixtures: a small catalogue built through the catalogue's own services."""

from __future__ import annotations

import datetime

import pytest

from durvis.catalog import services as catalog
from durvis.catalog.models import Category, LifeSituation, Stage
from durvis.identity import services as identity


def sign_in_staff(client, member):
    """Sign a staff member in to `client` the way both sign-in steps would, without typing
    (`force_login` alone leaves the session short of the second factor); returns the client."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.util import random_hex

    device = identity.totp_device(member.user) or identity.record_totp_device(
        member, random_hex(identity.TOTP_KEY_BYTES))
    client.force_login(member.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def sign_in_person(client, person, role=None):
    """Sign a person in to the e-account of `client` (as the national sign-in would), in
    `role` if given ("person:<id>", "company:<id>"); returns the client."""
    from durvis.identity.sessions import PERSON_KEY, mark_signed_in

    session = client.session
    session[PERSON_KEY] = person.pk
    mark_signed_in(session)
    if role:
        session["durvis.client.role"] = role
    session.save()
    return client


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in Latvian: a request to an English page leaves English active in the
    thread (the locale middleware does not reset it), which would leak into the next test's
    `reverse()` and texts."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def audit_checkpoint_store(settings, tmp_path):
    """Each test writes and reads activity-log checkpoints in a folder of its own: a checkpoint
    left by another test (or by `make run` in var/) would pin chains this test never wrote."""
    settings.STORAGES = {**settings.STORAGES, "audit_checkpoints": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "audit-checkpoints")}}}
    return tmp_path / "audit-checkpoints"


@pytest.fixture
def institutions(db):
    def make(code, lv, en, kind="state"):
        return identity.record_institution(code=code, names={"lv": lv, "en": en}, kind=kind)

    return {
        "VSAA": make("VSAA", "Valsts sociālās apdrošināšanas aģentūra",
                     "State Social Insurance Agency"),
        "VID": make("VID", "Valsts ieņēmumu dienests", "State Revenue Service"),
        "VDAA": make("VDAA", "Valsts digitālās attīstības aģentūra",
                     "State Digital Development Agency"),
        "RIGA": make("RIGA", "Rīgas valstspilsētas pašvaldība", "Riga City Municipality",
                     "municipality"),
        "ROJA": make("ROJA", "Rojas novada pašvaldība", "Roja Municipality", "municipality"),
    }


@pytest.fixture
def centres(institutions):
    """The service points' register of the tests (`tests/servicepoints/conftest.py`: the VDAA
    centres in Rīga, Valmiera and Roja, a VSAA office, a RIGA municipal office), by name."""
    from tests.servicepoints.conftest import make_points

    return make_points(institutions)


@pytest.fixture
def catalogue(institutions):
    """Five services: state-wide for residents, for companies, internal, municipal, a draft."""
    family = catalog.import_tree_node(
        Category, "family", {"name_lv": "Ģimene un bērni", "name_en": "Family and children"}, None
    )
    benefits = catalog.import_tree_node(
        Category, "family-benefits", {"name_lv": "Pabalsti", "name_en": "Benefits"}, family
    )
    birth = catalog.import_tree_node(
        LifeSituation, "birth-of-a-child",
        {"name_lv": "Bērna piedzimšana", "name_en": "Birth of a child"}, None,
    )

    def service(code, lv, en, holder, audience="residents", municipality=None, status="published",
                categories=(), situations=()):
        created, _ = catalog.import_service(
            code, institutions[holder],
            {"name_lv": lv, "name_en": en, "audience": audience, "status": status,
             "municipality": institutions[municipality] if municipality else None,
             "application_channels": ["eaccount", "centre"], "result_channels": ["eaccount"]},
            {"categories": list(categories), "life_situations": list(situations)},
        )
        if holder != "VDAA":  # the centres (VPVKAC) do every stage of the others' services
            catalog.import_delegations(created, {institutions["VDAA"]: Stage.values},
                                       since=datetime.date(2020, 1, 1))
        return created

    return {
        "childbirth": service(1011, "Bērna piedzimšanas pabalsts", "Childbirth benefit", "VSAA",
                              categories=[benefits], situations=[birth]),
        "declaration": service(1006, "Gada ienākumu deklarācija", "Annual income declaration",
                               "VID", audience="all"),
        "vat": service(1101, "PVN reģistrācija", "VAT registration", "VID", audience="companies"),
        "internal": service(1201, "Piekļuves tiesību pieprasījums", "Staff access-rights request",
                            "VDAA", audience="internal"),
        "kindergarten": service(2001, "Pieteikums bērnudārza rindā",
                                "Kindergarten queue registration", "RIGA", municipality="RIGA",
                                situations=[birth]),
        "roja_boat": service(2101, "Laivu piestātnes atļauja", "Boat mooring permit", "ROJA",
                             municipality="ROJA"),
        "draft": service(1099, "Jauns pabalsts", "New benefit", "VSAA", status="draft"),
    }


@pytest.fixture
def staff(institutions):
    """Staff users by name: an administrator of VSAA and of VID, an agent, a platform admin."""
    def make(username, institution, roles):
        return identity.record_staff(username=username, password=f"pw-{username}-long-enough",
                                     institution=institutions[institution], roles=roles)

    return {
        "vsaa_admin": make("admin.vsaa", "VSAA", ["institution_admin"]),
        "vid_admin": make("admin.vid", "VID", ["institution_admin"]),
        "agent": make("agent.centre", "VDAA", ["agent"]),
        "platform": make("platform.admin", "VDAA", ["platform_admin"]),
    }


@pytest.fixture
def staff_login(db):
    """Sign a staff member in the way both sign-in steps would, without typing: `force_login`
    alone leaves the session short of the second factor, which every staff page requires.

        staff_login(client, staff["vsaa_admin"]).get("/administration/services/")
    """
    return sign_in_staff


@pytest.fixture
def wrong_totp_code():
    """A function giving a well-formed code that a TOTP device accepts neither now nor one time
    step either side (its tolerance)."""
    from django_otp.oath import TOTP

    def wrong(device):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        near = set()
        for offset in (-1, 0, 1, 2):
            totp.drift = device.drift + offset
            near.add(f"{totp.token():06d}")
        return next(c for c in (f"{n:06d}" for n in range(0, 999999, 7919)) if c not in near)

    return wrong


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests sign in often; a slow hash proves nothing there."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client_factory(staff, institutions):
    """Make an API client of an institution (its administrator creates it) and return a function
    that calls the API with its token."""
    from django.test import Client

    from durvis.core.actor import Actor
    from durvis.integrations.services import create_api_client

    def make(institution="VSAA", operations=("cases:read", "cases:write", "consultations:write"),
             services=()):
        admin = identity.record_staff(
            username=f"integrations.{institution.lower()}", password="pw-long-enough-for-tests",
            institution=institutions[institution], roles=["institution_admin"])
        client, token = create_api_client(Actor(kind="staff", staff=admin),
                                          institutions[institution], "Test system", operations,
                                          services)
        http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        http.api_client, http.token = client, token
        return http

    return make


@pytest.fixture
def client_login(client):
    """Sign a person in to the e-account of the Django test client (as the national sign-in
    would) and return the client; `role` starts them in another role ("person:<id>",
    "company:<id>")."""
    return lambda person, role=None: sign_in_person(client, person, role)


@pytest.fixture
def family(catalogue, api_client_factory):
    """A parent with a minor child and a company they represent, a stranger, and a case of
    each made by the back-office systems of VSAA and VID (the e-account's data, A2/C3)."""
    import datetime

    from durvis.integrations import services as integrations
    from durvis.register import services as register

    parent = identity.record_person(personal_code="14038612043", given_name="Jānis",
                                    family_name="Bērziņš", email="janis@example.lv")
    child = identity.record_person(personal_code="22051520311", given_name="Emīlija",
                                   family_name="Bērziņa")
    identity.record_parental_relation(parent, child)
    stranger = identity.record_person(personal_code="02078913774", given_name="Anna",
                                      family_name="Cita")
    company = identity.record_company(registration_number="40203123456", name="SIA Zaļā Pļava",
                                      legal_form="SIA")
    identity.record_representation(company, parent, "board_member",
                                   valid_from=datetime.date(2019, 4, 10))
    system = integrations.api_actor(api_client_factory("VSAA").api_client)
    vid = integrations.api_actor(api_client_factory("VID").api_client)

    def case(actor, code, **client):
        return register.open_case(actor, register.NewCase(
            service_code=code, identification="signed_in", application_channel="eaccount",
            **client))

    return {
        "parent": parent, "child": child, "stranger": stranger, "company": company,
        "system": system,
        "own": case(system, 1011, personal_code=parent.personal_code),
        "childs": case(system, 1011, personal_code=child.personal_code),
        "companys": case(vid, 1101, registration_number=company.registration_number),
        "strangers": case(system, 1011, personal_code=stranger.personal_code),
        "vid": vid,
    }



@pytest.fixture
def vsaa_admin(staff):
    from durvis.core.actor import Actor

    return Actor(kind="staff", staff=staff["vsaa_admin"])


@pytest.fixture
def vsaa_api(vsaa_admin, institutions):
    """VSAA's document system, allowed to write to clients and to read their answers."""
    from django.test import Client

    from durvis.integrations import services as integrations

    api_client, token = integrations.create_api_client(
        vsaa_admin, institutions["VSAA"], "Inbox", ["messages:write", "messages:read"], [])
    http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    http.actor = integrations.api_actor(api_client)
    return http


@pytest.fixture
def joint_representative(family):
    """A second board member of the family's company who, as the enterprise register states,
    may act for it only jointly with another (`may_act_alone: false`); the parent may act
    alone (C1, A12)."""
    import datetime

    member = identity.record_person(personal_code="15079012348", given_name="Pēteris",
                                    family_name="Kalniņš", email="peteris@example.lv")
    identity.record_representation(family["company"], member, "board_member",
                                   may_act_alone=False, valid_from=datetime.date(2020, 1, 1))
    return member


@pytest.fixture
def sign_in(db):
    """A browser of its own for each person: `sign_in(person, role)` returns a new Django test
    client signed in to the e-account (as `client_login`), so that two people can be signed in
    at once. Its forms are sent from pages opened in the role it acts in now (`opened_as`, as a
    browser's form would carry it; the tab mismatch has its own tests)."""
    from django.test import Client

    class Browser(Client):
        def post(self, path, data=None, *args, **kwargs):
            if isinstance(data, dict) and "opened_as" not in data:
                data = {**data, "opened_as": self.session.get("durvis.client.role") or "self"}
            return super().post(path, data, *args, **kwargs)

    return lambda person, role=None: sign_in_person(Browser(), person, role)


@pytest.fixture
def decide_case():
    """Record a later status of a case (as the holder's system would), let the worker run its
    subscribers, and refresh the case."""
    from django.utils import timezone

    from durvis.register import services as register

    def decide(actor, case, status="decided"):
        register.record_status_events(actor, [register.StatusEvent(
            case.number, occurred_at=timezone.now(), status=status,
            holder_status="Lēmums pieņemts")])
        Worker().events()
        case.refresh_from_db()

    return decide


class Mailbox:
    """What the SMTP server on loopback received: (recipients, parsed message) pairs."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(
            envelope.content, policy=email.policy.default)))
        return "250 Message accepted"


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on loopback, and the platform's e-mail pointed at it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield mailbox
    controller.stop()


@pytest.fixture
def demo_signin(live_server, settings):
    """Client sign-in as in the embedded default: OpenID Connect to the demo identity provider
    on the (live) server itself (no discovery URL, demo mode on)."""
    settings.DEMO_MODE = True
    settings.DURVIS_SIGNIN_PROTOCOL = "oidc"
    settings.DURVIS_OIDC_DISCOVERY_URL = ""
    settings.DURVIS_OIDC_CLIENT_SECRET = ""
    settings.DURVIS_PUBLIC_URL = live_server.url
    return live_server


@pytest.fixture
def signatory(db):
    """A person who moved to a new-format personal code (the old one kept) and signs for a
    company: (person, company)."""
    import datetime

    person = identity.record_person(personal_code="32867300417", historical_codes=["05079011186"],
                                    given_name="Kristaps", family_name="Krūmiņš")
    company = identity.record_company(registration_number="40203123456", name="SIA Zaļā Pļava",
                                      legal_form="SIA")
    identity.record_representation(company, person, "board_member",
                                   valid_from=datetime.date(2019, 4, 10))
    return person, company


class Worker:
    """The background worker's rounds, run in the test's own process and transaction: `events()`
    runs the subscribers of what was published (client notifications, webhooks: they write the
    outbox), `deliver()` also sends what the outbox holds. Both stop when nothing more is due
    now (a retry waits for its back-off)."""

    def events(self) -> int:
        from durvis.core import events

        ran = 0
        while count := events.dispatch_due():
            ran += count
        return ran

    def deliver(self) -> None:
        from durvis.integrations import services as integrations

        while self.events() or integrations.deliver_due():
            pass


@pytest.fixture
def worker(db):
    return Worker()


def production_signing_key_file() -> str:
    """A signing key file for a production-settings subprocess (`DURVIS_SIGNING_KEY_FILES`,
    which production requires): an EC P-256 key generated once into this run's var directory
    (DURVIS_VAR_DIR), written whole or not at all (another process may be reading it)."""
    from pathlib import Path

    from django.conf import settings
    from joserfc.jwk import ECKey

    from durvis.core.signing_keys import write_private_file

    path = Path(settings.VAR_DIR) / "test-production-signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private_file(path, ECKey.generate_key("P-256", private=True).as_pem(private=True))
    return str(path)
