"""Token authentication against hashed keys (`Authorization: Token …`)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiToken, digest
from kit import throttling


class HashedTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Token <key>'.")
        # A locked-out address is refused before the token is even looked at,
        # so the right token does not help a guesser who found it mid-lockout.
        django_request = request._request
        if not throttling.token_guessing_allowed(django_request):
            raise exceptions.Throttled(
                wait=throttling.retry_after_seconds(django_request),
                detail="Too many failed authentications from this address.",
            )
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Token contains invalid characters.") from None
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=digest(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            throttling.token_failed(django_request, raw[:8])
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        # Write last use at most once a minute: no write on every request.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
