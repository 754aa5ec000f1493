"""A small but real OpenID Connect provider for the tests, run in its own process.

Authorization-code flow with discovery, JWKS, token and userinfo endpoints, and a login form
that takes a username and answers with that user's configured claims. It generates its own
RS256 key at start. POST /test/mode switches the next ID tokens to a broken kind (wrong
audience, expired, signed by another key, wrong issuer, wrong nonce) so the tests can check
that the console refuses each.

Run: python provider.py CONFIG_JSON   (prints "PORT <n>" once it listens on 127.0.0.1)
"""

from __future__ import annotations

import html
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

MODES = {"normal", "wrong-audience", "expired", "bad-signature", "wrong-issuer", "wrong-nonce"}


class Provider:
    def __init__(self, config: dict[str, Any]) -> None:
        self.client_id: str = config["client_id"]
        self.client_secret: str = config["client_secret"]
        self.users: dict[str, dict[str, Any]] = config["users"]
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.issuer = ""
        self.mode = "normal"
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.lock = threading.Lock()

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": grant["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        key = self.key
        if self.mode == "wrong-audience":
            claims["aud"] = "someone-else"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif self.mode == "bad-signature":
            key = self.other_key  # same kid, so the console finds our public key and must fail
        elif self.mode == "wrong-issuer":
            claims["iss"] = "http://evil.invalid"
        elif self.mode == "wrong-nonce":
            claims["nonce"] = "not-the-nonce-you-sent"
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})


class Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(
        self, status: int, body: str, ctype: str = "application/json", headers: dict | None = None
    ) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value))

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        p = self.provider
        if url.path == "/.well-known/openid-configuration":
            self._json(
                200,
                {
                    "issuer": p.issuer,
                    "authorization_endpoint": f"{p.issuer}/authorize",
                    "token_endpoint": f"{p.issuer}/token",
                    "userinfo_endpoint": f"{p.issuer}/userinfo",
                    "jwks_uri": f"{p.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        elif url.path == "/favicon.ico":
            self._send(204, "", "image/x-icon")  # keep the browser's console free of 404s
        elif url.path == "/jwks":
            self._json(200, p.jwks())
        elif url.path == "/authorize":
            if query.get("client_id") != p.client_id or query.get("response_type") != "code":
                self._send(400, "bad authorization request", "text/plain")
                return
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            self._send(
                200,
                (
                    "<!doctype html><title>Test provider</title><h1>Test identity provider</h1>"
                    f'<form method="post" action="/authorize">{hidden}'
                    '<label for="u">Provider username</label><input id="u" name="username">'
                    '<button type="submit">Log in at provider</button></form>'
                ),
                "text/html",
            )
        elif url.path == "/userinfo":
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            with p.lock:
                username = p.tokens.get(token)
            if username is None:
                self._json(401, {"error": "invalid_token"})
                return
            self._json(200, {"sub": p.users[username]["sub"], **p.users[username]["claims"]})
        else:
            self._send(404, "not found", "text/plain")

    def do_POST(self) -> None:
        url = urlparse(self.path)
        p = self.provider
        form = self._form()
        if url.path == "/authorize":
            username = form.get("username", "")
            if username not in p.users:
                self._send(403, "unknown user", "text/plain")
                return
            code = secrets.token_urlsafe(16)
            with p.lock:
                p.codes[code] = {
                    "username": username,
                    "sub": p.users[username]["sub"],
                    "nonce": form.get("nonce", ""),
                    "redirect_uri": form["redirect_uri"],
                }
            target = f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form.get('state', '')})}"
            self._send(302, "", "text/plain", {"Location": target})
        elif url.path == "/token":
            if form.get("client_id") != p.client_id or form.get("client_secret") != p.client_secret:
                self._json(401, {"error": "invalid_client"})
                return
            with p.lock:
                grant = p.codes.pop(form.get("code", ""), None)  # a code works once
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                self._json(400, {"error": "invalid_grant"})
                return
            access = secrets.token_urlsafe(24)
            with p.lock:
                p.tokens[access] = grant["username"]
            self._json(
                200,
                {
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": p.id_token(grant),
                },
            )
        elif url.path == "/test/groups":
            # Change what the provider says about a user's groups (re-sync tests).
            groups = [g for g in form.get("groups", "").split(",") if g]
            p.users[form["username"]]["claims"]["groups"] = groups
            self._json(200, {"groups": groups})
        elif url.path == "/test/mode":
            mode = form.get("mode", "")
            if mode not in MODES:
                self._json(400, {"error": f"mode must be one of {sorted(MODES)}"})
                return
            p.mode = mode
            self._json(200, {"mode": mode})
        else:
            self._send(404, "not found", "text/plain")


def main() -> None:
    provider = Provider(json.loads(sys.argv[1]))
    Handler.provider = provider
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
