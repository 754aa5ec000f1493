"""`Authorization: Bearer <key>` for integration endpoints, one key kind per endpoint."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from integrations.models import DEFAULT_SIGNATURE_HEADER, DEFAULT_TIMESTAMP_HEADER, IntegrationKey
from integrations.replay import claim_signature


class IntegrationKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate a monitoring tool by its integration key; `request.auth` is the key."""

    keyword = "Bearer"
    kind = ""

    def authenticate(self, request: Request) -> tuple[Any, IntegrationKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <key>'.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Key contains invalid characters.") from None
        key = IntegrationKey.authenticate(raw, self.kind)
        if key is None:
            raise exceptions.AuthenticationFailed(f"Invalid or revoked {self.kind} key.")
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class AlertmanagerKeyAuthentication(IntegrationKeyAuthentication):
    kind = IntegrationKey.Kind.ALERTMANAGER


class GrafanaKeyAuthentication(IntegrationKeyAuthentication):
    kind = IntegrationKey.Kind.GRAFANA


class MetricsKeyAuthentication(IntegrationKeyAuthentication):
    kind = IntegrationKey.Kind.METRICS


def verify_signature(request: Request, key: IntegrationKey) -> str | None:
    """Check Grafana's HMAC signature when the key has a signing secret; raise 401 if it is missing, wrong or replayed.

    Return the signature now claimed (None without a secret): the caller releases
    it if it refuses the delivery after all, so Grafana's retry is not a replay.

    Grafana (webhook contact point, `hmacConfig`) sends the lowercase hex
    HMAC-SHA256 of `"<timestamp>:<body>"`, keyed with the secret's UTF-8
    bytes, in `hmacConfig.header`, and the Unix time in seconds in
    `hmacConfig.timestampHeader`. The timestamp is required (a body-only
    signature could be replayed forever) and must be within
    INTEGRATION_SIGNATURE_MAX_SKEW_SECONDS of our clock; inside that window a
    signature is accepted once (integrations/replay.py).
    """
    if not key.signing_secret:
        return None
    header = key.signature_header or DEFAULT_SIGNATURE_HEADER
    signature = request.headers.get(header, "").strip()
    if not signature:
        raise exceptions.AuthenticationFailed(
            f"{header} is missing: this key only accepts signed bodies."
        )
    stamp = _fresh_timestamp(request, key.timestamp_header or DEFAULT_TIMESTAMP_HEADER)
    expected = hmac.new(
        key.signing_secret.encode(), stamp.encode() + b":" + request.body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8", "replace")):
        raise exceptions.AuthenticationFailed(
            f"{header} does not match the body signed with this key's secret."
        )
    if not claim_signature(key_digest=key.digest, signature=expected):
        raise exceptions.AuthenticationFailed(
            f"{header} was already used: a signed delivery is accepted once (replay)."
        )
    return expected


def _fresh_timestamp(request: Request, name: str) -> str:
    """Return the signed timestamp header, refusing it when missing, malformed or outside the skew window."""
    stamp = request.headers.get(name, "").strip()
    if not stamp:
        raise exceptions.AuthenticationFailed(
            f"{name} is missing: this key signs with a timestamp."
        )
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise exceptions.AuthenticationFailed(f"{name} must be a Unix time in seconds.")
    skew = abs(timezone.now().timestamp() - int(stamp))
    limit = settings.INTEGRATION_SIGNATURE_MAX_SKEW_SECONDS
    if skew > limit:
        raise exceptions.AuthenticationFailed(
            f"{name} is {int(skew)} s away from our clock (at most {limit} s): replayed or clock skew."
        )
    return stamp


def integration_key(request: Request, kind: str) -> IntegrationKey | None:
    """Return the integration key of `kind` the request authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, IntegrationKey) and auth.kind == kind else None


class HasIntegrationKey(permissions.BasePermission):
    """Allow requests that authenticated with an integration key (of the view's authenticator kind)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(getattr(request, "auth", None), IntegrationKey)
