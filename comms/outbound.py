"""The one gate every outbound call goes through (webhooks, Slack, Apprise).

A subscription target is typed by a user, so it is hostile: aimed at Redis on
loopback it speaks raw commands (Apprise's irc:// writes CR/LF as given), aimed
at 169.254.169.254 it reads cloud credentials, aimed at an intranet page it
shows us (and the responder reading `last_error`) what that page says. So:

1. `check_target()` at creation: no control characters (before or after
   percent-decoding), only http(s) for webhooks and Slack and only the
   schemes in `APPRISE_ALLOWED_SCHEMES` for Apprise, and every address the
   host resolves to must be public (or inside `OUTBOUND_ALLOWED_NETWORKS`).
2. `guarded()` around every send: while it is active, every name resolution
   in this thread (httpx, requests inside Apprise, each redirect hop) goes
   through `resolve_checked()`, which resolves once, refuses a blocked
   address, and hands the library exactly the addresses it checked — so a
   DNS answer that changes between check and connect cannot get through.

E-mail goes to the configured SMTP host and is not checked here.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# getaddrinfo's shape: (host, port, family, type, proto, flags) -> [(family, type, proto, canonname, sockaddr)]
Resolver = Callable[..., list[tuple[Any, ...]]]

# Not caught by ipaddress's flags on every Python version: name them outright.
_ALWAYS_BLOCKED: tuple[Network, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches loopback on Linux
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "169.254.0.0/16",  # link-local, cloud metadata
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
        "64:ff9b::/96",  # NAT64: reaches IPv4 addresses through a translator
    )
)


class OutboundRefused(Exception):
    """The target may not be called; the message is ours, safe to show and store."""


class Unresolvable(OutboundRefused):
    """The host has no address (now): nothing can be called."""


# --- Addresses ----------------------------------------------------------------------


def allowed_networks() -> tuple[Network, ...]:
    return tuple(settings.OUTBOUND_ALLOWED_NETWORKS)


def refusal_for(address: IPAddress) -> str | None:
    """Return why *address* may not be called, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            address = mapped
    if any(address in network for network in allowed_networks()):
        return None
    # Most specific first: 169.254.0.0/16 is also "private" to ipaddress.
    for label, flag in (
        ("a loopback", address.is_loopback),
        ("an unspecified", address.is_unspecified),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
    ):
        if flag:
            return f"{address} is {label} address"
    if any(address in network for network in _ALWAYS_BLOCKED) or not address.is_global:
        return f"{address} is not a public address"
    return None


_original_getaddrinfo = socket.getaddrinfo
_default_resolver: Resolver = _original_getaddrinfo


def set_resolver(resolver: Resolver | None) -> None:
    """Use *resolver* instead of the system's (tests: a DNS answer that changes)."""
    global _default_resolver
    _default_resolver = resolver or _original_getaddrinfo


def resolve_checked(
    host: str, port: Any = None, *args: Any, **kwargs: Any
) -> list[tuple[Any, ...]]:
    """Resolve *host* once and return its addresses, refusing if any of them is blocked."""
    try:
        answers = _default_resolver(host, port, *args, **kwargs)
    except OSError as exc:
        raise Unresolvable(f"cannot resolve {host!r}") from exc
    if not answers:
        raise OutboundRefused(f"{host!r} resolves to no address")
    for answer in answers:
        address = ipaddress.ip_address(str(answer[4][0]).split("%", 1)[0])
        reason = refusal_for(address)
        if reason:
            where = "" if host == str(address) else f"{host} resolves to "
            raise OutboundRefused(f"refused: {where}{reason}")
    return answers


# --- Send time: every resolution in this context is checked -------------------------------


@dataclass
class Guard:
    """One `guarded()` block; `refused` says why an address was refused, if one was."""

    refused: str | None = None


# A context variable, not a thread-local: Apprise sends from a thread pool but
# copies the caller's context into it, so its threads are guarded too.
_active: ContextVar[Guard | None] = ContextVar("outbound_guard", default=None)


def _guarding_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
    guard = _active.get()
    if guard is None:
        return _original_getaddrinfo(host, port, *args, **kwargs)
    if isinstance(host, bytes):
        host = host.decode("idna")
    try:
        return resolve_checked(str(host), port, *args, **kwargs)
    except OutboundRefused as exc:
        # Libraries that swallow errors (Apprise) still let the caller learn why.
        guard.refused = str(exc)
        # Libraries expect OSError from name resolution; ours carries the reason.
        raise RefusedConnection(str(exc)) from None


class RefusedConnection(socket.gaierror):
    """Raised inside a library's connect: the address was refused by our checks."""


# Installed once per process; a plain pass-through outside `guarded()`.
socket.getaddrinfo = _guarding_getaddrinfo


@contextmanager
def guarded() -> Iterator[Guard]:
    """Check every host resolved in this context until the block ends."""
    guard = Guard()
    token = _active.set(guard)
    try:
        yield guard
    finally:
        _active.reset(token)


def refusal_in(exc: BaseException) -> str | None:
    """Return our refusal reason if *exc* (or what caused it) is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RefusedConnection | OutboundRefused):
            return str(current)
        current = current.__cause__ or current.__context__
    return None


# --- Creation time ------------------------------------------------------------------------


def control_character_in(text: str) -> bool:
    """Whether *text* holds a control character, as typed or once percent-decoded."""
    return any(
        ord(ch) < 0x20 or ord(ch) == 0x7F for candidate in (text, unquote(text)) for ch in candidate
    )


def apprise_allowed_schemes() -> frozenset[str]:
    return frozenset(settings.APPRISE_ALLOWED_SCHEMES)


def check_target(
    url: str, *, schemes: Sequence[str] | frozenset[str], resolve: bool = True
) -> None:
    """Refuse *url* unless it is safe to call; OutboundRefused says why.

    *schemes* are the ones allowed for this channel. Hosts are resolved and
    checked (again at send time: DNS answers change).
    """
    if control_character_in(url):
        raise OutboundRefused("contains a control character")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes)) or "none"
        raise OutboundRefused(
            f"the scheme {scheme + '://' if scheme else '(none)'} is not allowed (allowed: {allowed})"
        )
    try:
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"not a valid URL: {exc}") from None
    if not host:
        raise OutboundRefused("names no host")
    if resolve:
        try:
            resolve_checked(host, port or 443, 0, socket.SOCK_STREAM)
        except Unresolvable:
            # Not an address we could call, so nothing to refuse yet (DNS may not
            # have the name, or not from here); the send-time check decides.
            pass


def names_a_host(channel: str, url: str) -> bool:
    """Whether the host part of *url* is a network host we can check at creation.

    Webhook and Slack URLs always name one. Many Apprise URLs carry ids and
    tokens there instead (`discord://webhook_id/token`, `tgram://bot_token/chat`)
    and talk to the service's own host; those are checked at send time, when
    every host the plugin resolves goes through `guarded()`.
    """
    if channel != "apprise":
        return True
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if "." in host or ":" in host:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return True
