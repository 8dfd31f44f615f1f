"""A holder's e-service on loopback, as an integrator would write its single sign-on receiver
(README, "Applying at a holder's e-service"): it takes the POSTed `handoff_token`, checks it
with the platform's published JWKS using joserfc (signature, `iss`, `aud` = its client id, `exp`),
refuses a `jti` it has seen, and greets the person."""

from __future__ import annotations

import html
import json
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry


class HolderEService:
    """The receiver: `url` is its return address; `received` the claims it accepted."""

    def __init__(self, platform: str, issuer: str, client_id: str = "") -> None:
        self.platform, self.issuer, self.client_id = platform, issuer, client_id
        self.seen: set[str] = set()
        self.received: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sso"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HolderEService:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def check(self, token: str) -> dict[str, Any]:
        """The claims of a valid, unseen token; JoseError or ValueError otherwise."""
        with urllib.request.urlopen(f"{self.platform}/sso/jwks.json", timeout=5) as answer:
            keys = KeySet.import_key_set(json.load(answer))
        decoded = jwt.decode(token, keys, algorithms=["ES256"])
        JWTClaimsRegistry(iss={"essential": True, "value": self.issuer},
                          aud={"essential": True, "value": self.client_id},
                          exp={"essential": True}, jti={"essential": True}).validate(decoded.claims)
        if decoded.claims["jti"] in self.seen:
            raise ValueError("replayed")
        self.seen.add(decoded.claims["jti"])
        return dict(decoded.claims)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                try:
                    claims = receiver.check(form.get("handoff_token", [""])[0])
                except (JoseError, ValueError) as error:
                    self._answer(401, f"Refused: {type(error).__name__}")
                    return
                receiver.received.append(claims)
                self._answer(200, f"Welcome, {html.escape(claims['name'])}")

            def _answer(self, status: int, text: str) -> None:
                body = (f'<!DOCTYPE html><html lang="en"><head><title>Holder</title></head>'
                        f"<body><main><h1>{text}</h1></main></body></html>").encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def post_token(url: str, token: str) -> tuple[int, str]:
    """POST the token as the browser's form would; the status and the page."""
    data = urllib.parse.urlencode({"handoff_token": token}).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
