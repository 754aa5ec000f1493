"""Fill the provider's endpoints from its discovery document when not set one by one."""

from __future__ import annotations

from functools import cache
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Our setting name → the discovery document's key.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


@cache
def discover(issuer: str, timeout: int) -> dict[str, Any]:
    """Fetch /.well-known/openid-configuration once per process and check its issuer."""
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=timeout)
    response.raise_for_status()
    document = response.json()
    # OpenID Connect Discovery 1.0 §4.3: the document must name the issuer we asked.
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ImproperlyConfigured(
            f"OIDC discovery: issuer {document.get('issuer')!r} is not {issuer!r}"
        )
    return document


def oidc_setting(attr: str, *args: Any) -> Any:
    """Read a mozilla-django-oidc setting; endpoints left empty come from discovery."""
    value = getattr(settings, attr, None)
    if attr in ENDPOINTS and not value:
        return discover(settings.OIDC_ISSUER, settings.OIDC_TIMEOUT)[ENDPOINTS[attr]]
    if value is None:
        if args:
            return args[0]
        raise ImproperlyConfigured(f"Setting {attr} not found")
    return value
