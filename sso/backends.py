"""Authentication backends: OpenID Connect sign-in and the local-password switch."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso.discovery import oidc_setting
from sso.groupmap import MANAGED_GROUPS, groups_for_claims, parse_group_map
from sso.models import SsoIdentity

log = logging.getLogger(__name__)
REFUSAL_SESSION_KEY = "sso_refusal"
# Claims an ID token must carry; PyJWT refuses the token when one is missing.
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat"]


class PasswordBackend(ModelBackend):
    """Check local passwords, unless PASSWORD_LOGIN is off.

    With PASSWORD_LOGIN=0 the only password that still works is a superuser's at the admin
    login page: the documented break-glass path for when the identity provider is down.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if settings.PASSWORD_LOGIN:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if request is None or request.path != reverse("admin:login"):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        return user if user is not None and user.is_superuser else None


class ConsoleOIDCBackend(OIDCAuthenticationBackend):
    """Sign a user in from an authorization-code callback; match on (issuer, sub)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # mozilla-django-oidc reads its endpoints here; Django builds every backend for
        # every authenticate() and get_user() call, so defer that (and discovery) until
        # an OpenID Connect callback actually arrives.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if not settings.OIDC_ENABLED or request is None or "nonce" not in kwargs:
            return None  # not a callback: a password sign-in, an API token, …
        super().__init__()
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException, ImproperlyConfigured) as exc:
            log.warning("OpenID Connect sign-in refused: %s", exc)
            return None

    def get_payload_data(self, token: str, key: Any) -> dict[str, Any]:
        """Verify signature, audience, issuer and expiry (the library checks only the first)."""
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        # OIDC Core §3.1.3.7: with several audiences, azp must name us.
        several = isinstance(payload["aud"], list) and len(payload["aud"]) > 1
        if several and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token refused: azp does not name this client")
        return payload

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        info = super().get_userinfo(access_token, id_token, payload)
        # OIDC Core §5.3.2: a userinfo answer for another subject must not be used.
        if info.get("sub") != payload["sub"]:
            raise SuspiciousOperation("userinfo sub differs from the ID token's")
        claim = settings.OIDC_GROUPS_CLAIM
        groups = info.get(claim, payload.get(claim))
        return {**info, "iss": payload["iss"], claim: groups}

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        if self._mapped_groups(claims):
            return True
        self._strip_access(claims)
        self.request.session[REFUSAL_SESSION_KEY] = "no-group"
        return False

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(
            sso_identity__issuer=claims["iss"], sso_identity__subject=claims["sub"]
        )

    def create_user(self, claims: dict[str, Any]) -> Any:
        with transaction.atomic():
            user = self.UserModel(username=_free_username(claims))
            user.set_unusable_password()  # never a local password for an SSO account
            _copy_profile(user, claims)
            user.save()
            SsoIdentity.objects.create(
                user=user, issuer=claims["iss"], subject=claims["sub"], last_login_at=timezone.now()
            )
            _sync_groups(user, self._mapped_groups(claims))
        return user

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        with transaction.atomic():
            _copy_profile(user, claims)
            user.save(update_fields=["email", "first_name", "last_name"])
            SsoIdentity.objects.filter(user=user).update(last_login_at=timezone.now())
            _sync_groups(user, self._mapped_groups(claims))
        return user

    def _mapped_groups(self, claims: dict[str, Any]) -> set[str]:
        mapping = parse_group_map(settings.OIDC_GROUP_MAP)
        return groups_for_claims(claims, claim=settings.OIDC_GROUPS_CLAIM, mapping=mapping)

    def _strip_access(self, claims: dict[str, Any]) -> None:
        """Take the managed groups away from a known user the provider no longer grants any."""
        for user in self.filter_users_by_claims(claims):
            _sync_groups(user, set())


def _sync_groups(user: Any, wanted: set[str]) -> None:
    """Make the user's managed groups exactly `wanted`; leave groups we do not manage alone."""
    current = set(user.groups.filter(name__in=MANAGED_GROUPS).values_list("name", flat=True))
    user.groups.remove(*Group.objects.filter(name__in=current - wanted))
    user.groups.add(*Group.objects.filter(name__in=wanted - current))


def _copy_profile(user: Any, claims: dict[str, Any]) -> None:
    user.email = str(claims.get("email") or "")[:254]
    user.first_name = str(claims.get("given_name") or claims.get("name") or "")[:150]
    user.last_name = str(claims.get("family_name") or "")[:150]


def _free_username(claims: dict[str, Any]) -> str:
    """Pick a readable username; a clash with an existing account gets a suffix, never a merge."""
    wanted = str(claims.get("preferred_username") or claims.get("email") or "sso-user")
    base = re.sub(r"[^\w.@+-]", "-", wanted)[:120] or "sso-user"
    model = get_user_model()
    if not model.objects.filter(username=base).exists():
        return base
    digest = hashlib.sha256(f"{claims['iss']} {claims['sub']}".encode()).hexdigest()[:10]
    return f"{base}-{digest}"
