"""`Authorization: Bearer <key>` for integration endpoints, one key kind per endpoint."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from integrations.models import IntegrationKey


class IntegrationKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate a monitoring tool by its integration key; `request.auth` is the key."""

    keyword = "Bearer"
    kind = ""

    def authenticate(self, request: Request) -> tuple[Any, IntegrationKey] | None:  # type: ignore[override]
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


def integration_key(request: Request, kind: str) -> IntegrationKey | None:
    """Return the integration key of `kind` the request authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, IntegrationKey) and auth.kind == kind else None


class HasIntegrationKey(permissions.BasePermission):
    """Allow requests that authenticated with an integration key (of the view's authenticator kind)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(getattr(request, "auth", None), IntegrationKey)
