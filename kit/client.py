"""The client address of a request, the same for login throttling and the audit trail."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the right-most X-Forwarded-For entry behind our TLS proxy.

    Only the right-most entry is appended by our proxy; everything to its left
    came from the client and can be forged. Without BEHIND_TLS_PROXY the header
    is ignored entirely, so a forged one cannot dodge a per-address lockout.
    """
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            address = _valid(forwarded.split(",")[-1])
            if address:
                return address
    return _valid(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104  a placeholder address to record, never bound
