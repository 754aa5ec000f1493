"""Typed readers for settings that come from environment variables.

Each reader fails loudly (ImproperlyConfigured) on a value it cannot parse,
so a typo in a deployment stops the process at start instead of silently
falling back to a default.
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(
    name: str, default: list[str]
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Read comma-separated CIDRs (`10.1.0.0/16,fd00::/8`); a bad one stops the process."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated CIDRs, got {item!r}"
            ) from None
    return networks


def env_pairs(name: str) -> list[tuple[str, str]]:
    """Read "key:value,key:value"; fail on an item without a colon or with an empty side."""
    pairs: list[tuple[str, str]] = []
    for item in env_list(name, []):
        key, sep, value = item.rpartition(":")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} items must look like key:value, got {item!r}")
        pairs.append((key.strip(), value.strip()))
    return pairs


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """Read one of *choices* (case-insensitive); anything else stops the process."""
    value = os.environ.get(name, default).strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value
