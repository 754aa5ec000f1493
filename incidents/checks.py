"""System checks: a configured log signing key must be usable, or start-up says so."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from incidents.decision_log.signing import trusted_public_keys


@checks.register(checks.Tags.security)
def check_log_signing_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Load LOG_SIGNING_KEY_FILE and LOG_TRUSTED_PUBLIC_KEYS as the signer and verifier will."""
    try:
        trusted_public_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="incidents.E001")]
    return []
