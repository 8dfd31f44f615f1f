"""The demo identity provider: an OpenID Connect provider that stands in for the national sign-in
(latvija.lv) in demo mode, so that a newcomer signs in as a demo person through the real protocol
(A12). Its views are in `idp_views.py`; they answer 404 outside demo mode, and production refuses
demo mode (settings), so it cannot be on in production.

It speaks what the relying party (`durvis.identity.oidc`) expects of the national provider:
discovery, JWKS (RS256), the authorization code flow with PKCE S256 only, client authentication
at the token endpoint, userinfo. Its claims are the ones `durvis.identity.national` reads:
`name_identifier` (`PK:<code>`, `PK:<code>-UR:<regcode>`), `serial_number` (`PNOLV-…`),
`personal_codes` (current first, then historical), `given_name`, `family_name`.

The signing key is generated once into `VAR_DIR/demo-idp/` and kept there. The provider's
addresses (its issuer and endpoints) are those it is reached at, the request's host and port,
as the relying party reaches it at the address the browser used (`oidc.site_url`).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from joserfc.jwt import JWTClaimsRegistry

from durvis.core.identifiers import format_personal_code, mask_personal_code
from durvis.core.signing_keys import write_private_file
from durvis.core.text import ascii_digits
from durvis.demo.models import AuthorizationCode
from durvis.identity import oidc
from durvis.identity.models import Person
from durvis.identity.registers import enterprise_register

CODE_LIFETIME = datetime.timedelta(seconds=60)
TOKEN_LIFETIME_SECONDS = 300
ALGORITHM = "RS256"
_KEY_LOCK = threading.Lock()


def _base(request: HttpRequest) -> str:
    """The address this request reached the provider at (its host checked by ALLOWED_HOSTS)."""
    return f"{request.scheme}://{request.get_host()}"


def issuer(request: HttpRequest) -> str:
    return f"{_base(request)}{oidc.DEMO_IDP_PATH}"


def _endpoint(request: HttpRequest, name: str) -> str:
    return f"{_base(request)}{reverse(name)}"


def discovery_document(request: HttpRequest) -> dict[str, Any]:
    return {
        "issuer": issuer(request),
        "authorization_endpoint": _endpoint(request, "demo-idp:authorize"),
        "token_endpoint": _endpoint(request, "demo-idp:token"),
        "userinfo_endpoint": _endpoint(request, "demo-idp:userinfo"),
        "jwks_uri": _endpoint(request, "demo-idp:jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "scopes_supported": ["openid", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "ui_locales_supported": [code for code, _name in settings.LANGUAGES],
        "claims_supported": ["sub", "name_identifier", "serial_number", "personal_codes",
                             "given_name", "family_name", "acr", "amr"],
    }


# Keys ---------------------------------------------------------------------------------------

def _key_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-idp" / "signing-key.pem"


def signing_key() -> RSAKey:
    """The provider's RSA key, generated on first use (atomically, readable by the owner only)."""
    return _load_key(_key_path())


@lru_cache(maxsize=2)
def _load_key(path: Path) -> RSAKey:
    with _KEY_LOCK:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_private_file(path, RSAKey.generate_key(2048, private=True).as_pem(private=True))
        key = RSAKey.import_key(path.read_bytes(), parameters={"use": "sig", "alg": ALGORITHM})
        key.ensure_kid()
        return key


def jwks() -> dict[str, Any]:
    return {"keys": [signing_key().as_dict(private=False)]}


# The one client: the platform's own relying party --------------------------------------------

def client_matches(request: HttpRequest, client_id: str, redirect_uri: str) -> bool:
    """Only the platform's sign-in is registered, with its one callback address (at the address
    the browser reached the provider at)."""
    return (constant_time_compare(client_id, str(settings.DURVIS_OIDC_CLIENT_ID))
            and constant_time_compare(redirect_uri, oidc.callback_url(request)))


def client_authenticates(client_id: str, secret: str) -> bool:
    return (constant_time_compare(client_id, str(settings.DURVIS_OIDC_CLIENT_ID))
            and constant_time_compare(secret, oidc.client_secret()))


# Who may be picked, and in which role ------------------------------------------------------

@dataclass(frozen=True)
class SignInChoice:
    """One way to sign in: a person in a role. `value` is what the picker form sends."""

    value: str
    label: str


def choices_for(person: Person) -> list[SignInChoice]:
    """As themself; as themself with an earlier personal code (the way a person who moved to a
    new-format code may still be named); as signatory of each company they represent."""
    options = [SignInChoice(f"{person.pk}:self", _("As myself"))]
    for index, code in enumerate(_historical_codes(person)):
        options.append(SignInChoice(
            f"{person.pk}:earlier:{index}",
            _("As myself, named by my earlier personal code %(code)s")
            % {"code": mask_personal_code(code)}))
    for representation in enterprise_register().representations(person):
        company = representation.company
        options.append(SignInChoice(
            f"{person.pk}:company:{company.pk}",
            _("As signatory of %(company)s") % {"company": company.name}))
    return options


def _historical_codes(person: Person) -> list[str]:
    return list(person.codes.filter(is_current=False).order_by("code")
                .values_list("code", flat=True))


def claims_for_choice(value: str) -> dict[str, Any] | None:
    """The claims the provider asserts for a picker value; None if it names no valid choice."""
    person_id, _sep, role = value.partition(":")
    person = (Person.objects.filter(pk=int(person_id)).first() if ascii_digits(person_id)
              else None)
    if person is None or value not in {c.value for c in choices_for(person)}:
        return None
    current = person.personal_code
    codes = [current, *_historical_codes(person)]
    identifier = f"PK:{current}"
    kind, _sep, ident = role.partition(":")
    if kind == "earlier":
        current = codes[1 + int(ident)]
        codes = [current]
        identifier = f"PK:{current}"
    elif kind == "company":
        company = next(r.company for r in enterprise_register().representations(person)
                       if str(r.company.pk) == ident)
        identifier = f"PK:{current}-UR:{company.registration_number}"
    return {
        "sub": hmac.new(settings.SECRET_KEY.encode(), f"demo-sub:{person.pk}".encode(),
                        hashlib.sha256).hexdigest()[:32],
        "name_identifier": identifier,
        "serial_number": f"PNOLV-{format_personal_code(current)}",
        "personal_codes": codes,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "acr": "demo",
        "amr": ["demo"],
    }


# Codes and tokens ----------------------------------------------------------------------------

def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def issue_code(*, client_id: str, redirect_uri: str, code_challenge: str, nonce: str,
               claims: dict[str, Any]) -> str:
    """A new authorization code (returned once; only its hash is kept). Expired codes go."""
    code = secrets.token_urlsafe(32)
    now = timezone.now()
    AuthorizationCode.objects.filter(expires_at__lt=now).delete()
    AuthorizationCode.objects.create(
        code_hash=_hash(code), client_id=client_id, redirect_uri=redirect_uri,
        code_challenge=code_challenge, nonce=nonce, claims=claims,
        expires_at=now + CODE_LIFETIME)
    return code


class GrantRefused(Exception):
    """The token request is refused with an OAuth error code (RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def pkce_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redeem_code(request: HttpRequest, *, code: str, client_id: str, redirect_uri: str,
                verifier: str) -> dict[str, Any]:
    """Exchange a code for tokens. The code is consumed by the first attempt, right or wrong,
    so a replay or a guessed verifier never succeeds later."""
    with transaction.atomic():
        grant = (AuthorizationCode.objects.select_for_update()
                 .filter(code_hash=_hash(code)).first())
        if grant is not None:
            grant.delete()
    if grant is None or grant.expires_at < timezone.now():
        raise GrantRefused("invalid_grant", "The code is unknown, used or expired.")
    if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
        raise GrantRefused("invalid_grant", "The code was issued to another client or address.")
    if not verifier or not constant_time_compare(pkce_challenge(verifier), grant.code_challenge):
        raise GrantRefused("invalid_grant", "The PKCE code verifier does not match.")
    return _tokens(request, grant)


def _tokens(request: HttpRequest, grant: AuthorizationCode) -> dict[str, Any]:
    key = signing_key()
    header = {"alg": ALGORITHM, "kid": key.kid}
    now = int(timezone.now().timestamp())
    claims = dict(grant.claims)
    id_claims = {**claims, "iss": issuer(request), "aud": grant.client_id, "iat": now, "auth_time": now,
                 "exp": now + TOKEN_LIFETIME_SECONDS}
    if grant.nonce:
        id_claims["nonce"] = grant.nonce
    access = {"iss": issuer(request), "aud": _endpoint(request, "demo-idp:userinfo"),
              "sub": claims["sub"],
              "client_id": grant.client_id, "iat": now, "exp": now + TOKEN_LIFETIME_SECONDS,
              "scope": "openid profile", "userinfo": claims}
    return {
        "access_token": jwt.encode({**header, "typ": "at+jwt"}, access, key),
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECONDS,
        "scope": "openid profile",
        "id_token": jwt.encode(header, id_claims, key),
    }


def userinfo(request: HttpRequest, access_token: str) -> dict[str, Any] | None:
    """The claims behind a valid access token of this provider; None otherwise."""
    try:
        token = jwt.decode(access_token, signing_key(), algorithms=[ALGORITHM])
        JWTClaimsRegistry(
            iss={"essential": True, "value": issuer(request)},
            aud={"essential": True, "value": _endpoint(request, "demo-idp:userinfo")},
            exp={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError):
        return None
    claims = token.claims.get("userinfo")
    return dict(claims) if isinstance(claims, dict) else None
