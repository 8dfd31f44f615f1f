"""Client sign-in by SAML 2.0 (A12): a pysaml2 identity provider made in the test, with its own
key and certificate, answers the platform's AuthnRequest with a signed Response that the browser
posts to the ACS."""

from __future__ import annotations

import base64
import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED, NameID
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary

from durvis.audit.models import AuditEvent
from durvis.identity import services as identity
from durvis.identity.sessions import INITIAL_ROLE_KEY, PERSON_KEY

IDP_ENTITY = "https://idp.example.lv/saml"
SSO_URL = "https://idp.example.lv/saml/sso"
OTHER_SP = "https://other.example.lv/sp"
PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def key_and_certificate(directory, name):
    """A fresh RSA key and a self-signed certificate, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .sign(key, hashes.SHA256()))
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


def idp_config(key_file, cert_file, *sp_metadata):
    config = IdPConfig()
    config.load({
        "entityid": IDP_ENTITY,
        "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
        "allow_unknown_attributes": True,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(SSO_URL, BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
            "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
        }},
        "key_file": key_file, "cert_file": cert_file,
        "metadata": {"local": list(sp_metadata)},
    })
    return config


@pytest.fixture
def saml_setup(settings, tmp_path, client, db):
    """The platform configured for SAML with the test provider's metadata; the provider knows
    the platform's metadata as served by its metadata endpoint."""
    settings.DURVIS_SIGNIN_PROTOCOL = "saml"
    settings.DURVIS_PUBLIC_URL = "https://durvis.example.lv"
    idp_key, idp_cert = key_and_certificate(tmp_path, "idp")
    # First the provider's metadata (it does not need the platform's to describe itself).
    no_providers = tmp_path / "none.xml"
    no_providers.write_text(_EMPTY)
    idp_metadata = tmp_path / "idp-metadata.xml"
    idp_metadata.write_text(str(entity_descriptor(idp_config(idp_key, idp_cert,
                                                             str(no_providers)))))
    settings.DURVIS_SAML_IDP_METADATA = str(idp_metadata)
    response = client.get("/signin/saml/metadata")
    assert response.status_code == 200
    assert b"AssertionConsumerService" in response.content
    sp_metadata = tmp_path / "sp-metadata.xml"
    sp_metadata.write_bytes(response.content)
    # Another service provider the same identity provider serves (for the audience test).
    other_metadata = tmp_path / "other-sp-metadata.xml"
    other_metadata.write_text(response.content.decode().replace(
        'entityID="https://durvis.example.lv/signin/saml/metadata"',
        f'entityID="{OTHER_SP}"'))
    config = idp_config(idp_key, idp_cert, str(sp_metadata), str(other_metadata))
    return Server(config=config), tmp_path


_EMPTY = ('<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>')


@pytest.fixture
def moved(signatory):
    return signatory


def authn_request(client, start="/signin/start/"):
    """Start the sign-in; the AuthnRequest as the provider receives it. Its RelayState, which
    the provider sends back with the Response, is kept on the client for `post`."""
    response = client.get(start)
    assert response.status_code == 302 and response["Location"].startswith(SSO_URL)
    query = parse_qs(urlsplit(response["Location"]).query)
    client.relay_state = query["RelayState"][0]
    return query["SAMLRequest"][0]


def answer(server, request_xml, name_id, codes, *, audience=None, sign=True):
    """The provider's Response to the request: base64, as the browser posts it."""
    request = server.parse_authn_request(request_xml, BINDING_HTTP_REDIRECT)
    response = server.create_authn_response(
        identity={"privatepersonalidentifier": codes, "givenname": ["Kristaps"],
                  "surname": ["Krūmiņš"]},
        in_response_to=request.message.id,
        destination=request.message.assertion_consumer_service_url,
        sp_entity_id=audience or request.message.issuer.text,
        name_id=NameID(format=NAMEID_FORMAT_UNSPECIFIED, text=name_id),
        authn={"class_ref": PASSWORD_CONTEXT},
        sign_assertion=sign, sign_response=sign,
    )
    return base64.b64encode(str(response).encode()).decode()


def post(client, saml_response, relay_state=None):
    """The browser posts the provider's Response with the RelayState of its request."""
    relay = client.relay_state if relay_state is None else relay_state
    return client.post("/signin/saml/acs", {"SAMLResponse": saml_response, "RelayState": relay})


def test_a_signed_response_signs_the_person_in(client, saml_setup, moved):
    server, _dir = saml_setup
    person, _company = moved
    response = post(client, answer(server, authn_request(client), "PK:05079011186",
                                   ["32867300417", "05079011186"]))
    assert response.status_code == 302 and response["Location"] == "/eaccount/"
    assert client.session[PERSON_KEY] == person.pk


def test_a_company_signatory_starts_in_the_company_role(client, saml_setup, moved):
    server, _dir = saml_setup
    _person, company = moved
    response = post(client, answer(server, authn_request(client, "/en/signin/start/?next=/en/"),
                                   "PK:32867300417-UR:40203123456", ["32867300417"]))
    assert response["Location"] == "/en/"
    assert client.session[INITIAL_ROLE_KEY] == f"company:{company.pk}"


def test_a_response_is_accepted_once(client, saml_setup, moved):
    server, _dir = saml_setup
    saml_response = answer(server, authn_request(client), "PK:32867300417", ["32867300417"])
    assert post(client, saml_response).status_code == 302
    client.session.flush()
    replay = post(client, saml_response)
    assert replay.status_code == 400 and b'data-reason="state"' in replay.content


def test_a_tampered_response_is_refused(client, saml_setup, moved):
    server, _dir = saml_setup
    saml_response = answer(server, authn_request(client), "PK:32867300417", ["32867300417"])
    xml = base64.b64decode(saml_response).decode()
    tampered = xml.replace("PK:32867300417", "PK:14038612043")
    assert tampered != xml
    identity.record_person(personal_code="14038612043", given_name="Jānis",
                           family_name="Bērziņš")
    response = post(client, base64.b64encode(tampered.encode()).decode())
    assert response.status_code == 400 and b'data-reason="token_invalid"' in response.content
    assert client.session.get(PERSON_KEY) is None


def test_an_unsigned_response_is_refused(client, saml_setup, moved):
    server, _dir = saml_setup
    saml_response = answer(server, authn_request(client), "PK:32867300417", ["32867300417"],
                           sign=False)
    assert not re.search(rb"Signature", base64.b64decode(saml_response))
    response = post(client, saml_response)
    assert response.status_code == 400 and b'data-reason="token_invalid"' in response.content
    assert client.session.get(PERSON_KEY) is None


def test_a_response_for_another_audience_is_refused(client, saml_setup, moved):
    server, _dir = saml_setup
    response = post(client, answer(server, authn_request(client), "PK:32867300417",
                                   ["32867300417"], audience=OTHER_SP))
    assert response.status_code == 400 and b'data-reason="token_invalid"' in response.content
    assert client.session.get(PERSON_KEY) is None
    failure = AuditEvent.objects.filter(action="identity.client.sign_in_failed").latest("id")
    assert failure.details == {"protocol": "saml", "reason": "token_invalid",
                               "detail": "Exception"}  # pysaml2's audience check


def test_a_response_without_a_request_is_refused(client, saml_setup, moved):
    """Unsolicited (IdP-initiated) responses are not accepted: nothing binds them to the
    browser."""
    server, _dir = saml_setup
    saml_response = answer(server, authn_request(client), "PK:32867300417", ["32867300417"])
    client.cookies.clear()
    response = post(client, saml_response)
    assert response.status_code == 400 and client.session.get(PERSON_KEY) is None


def test_an_invalid_identifier_is_refused(client, saml_setup, moved):
    server, _dir = saml_setup
    response = post(client, answer(server, authn_request(client), "PK:32867300418",
                                   ["32867300418"]))
    assert response.status_code == 400 and b'data-reason="identifier"' in response.content


def test_two_sign_ins_in_one_browser_each_return_to_their_own_page(client, saml_setup, moved):
    """Two tabs start a sign-in each, for different pages; whichever answer comes first, each
    lands on the page its own tab asked for (the request id is the RelayState)."""
    server, _dir = saml_setup
    history = authn_request(client, "/signin/start/?next=/eaccount/history/")
    history_relay = client.relay_state
    messages = authn_request(client, "/en/signin/start/?next=/en/eaccount/messages/")
    messages_relay = client.relay_state
    assert history_relay != messages_relay
    first = post(client, answer(server, history, "PK:32867300417", ["32867300417"]),
                 history_relay)
    assert first.status_code == 302 and first["Location"] == "/eaccount/history/"
    second = post(client, answer(server, messages, "PK:32867300417", ["32867300417"]),
                  messages_relay)
    assert second.status_code == 302 and second["Location"] == "/en/eaccount/messages/"
    # Each was answered once: neither request is outstanding any more.
    assert client.cookies["durvis_saml_request"].value == ""


def test_a_response_under_another_requests_relay_state_is_refused(client, saml_setup, moved):
    """The RelayState picks the outstanding request, and the Response must answer that very
    request: swapping them does not borrow the other tab's return address."""
    server, _dir = saml_setup
    history = authn_request(client, "/signin/start/?next=/eaccount/history/")
    authn_request(client, "/signin/start/?next=/eaccount/messages/")
    response = post(client, answer(server, history, "PK:32867300417", ["32867300417"]))
    assert response.status_code == 400 and b'data-reason="token_invalid"' in response.content
    assert client.session.get(PERSON_KEY) is None


def test_a_response_without_relay_state_is_refused(client, saml_setup, moved):
    server, _dir = saml_setup
    saml_response = answer(server, authn_request(client), "PK:32867300417", ["32867300417"])
    response = post(client, saml_response, relay_state="")
    assert response.status_code == 400 and b'data-reason="state"' in response.content


def test_a_foreign_return_address_is_not_kept(client, saml_setup, moved):
    server, _dir = saml_setup
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        saml_response = answer(server, authn_request(client, f"/signin/start/?next={target}"),
                               "PK:32867300417", ["32867300417"])
        assert post(client, saml_response)["Location"] == "/eaccount/"
