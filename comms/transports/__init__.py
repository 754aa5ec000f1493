"""Channel transports: one small module per channel, each with one `notify()`.

A transport sends one delivery and either returns (sent; the HTTP status when
there is one) or raises `TransientError` (try again later) or `PermanentError`
(never retry). It never touches the database: `comms.delivery` records the
outcome. `payload` is the message as rendered when the row was written, so a
retry sends the same content.
"""

from __future__ import annotations

import http.cookiejar
import ssl
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from comms import outbound

if TYPE_CHECKING:
    from comms.models import Delivery

USER_AGENT = "IncidentCommandConsole/1 (+notifications)"
# Per request: a receiver that does not answer within these is tried again later.
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=3.0, pool=3.0)
# Statuses that say "not now" rather than "never": timeout, rate limit, server side.
TRANSIENT_STATUSES = frozenset({408, 425, 429})
HTTP_SCHEMES = frozenset({"http", "https"})


class DeliveryError(Exception):
    """A delivery attempt failed; `status_code` is the HTTP answer if there was one."""

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class TransientError(DeliveryError):
    """Worth retrying: network trouble, timeouts, 5xx, 408, 429."""


class PermanentError(DeliveryError):
    """Retrying cannot help: 4xx, invalid target, missing configuration."""


class Transport(Protocol):
    def notify(self, delivery: Delivery, *, http: httpx.Client) -> int | None: ...


# Channel -> module; imported on first use (Apprise alone takes most of a second).
REGISTRY: dict[str, str] = {
    "inapp": "comms.transports.inapp",
    "email": "comms.transports.email",
    "slack": "comms.transports.slack",
    "webhook": "comms.transports.webhook",
    "apprise": "comms.transports.apprise",
}


def transport_for(channel: str) -> Transport:
    """Return the transport module of *channel*; PermanentError for an unknown one."""
    try:
        return import_module(REGISTRY[channel])
    except KeyError:
        raise PermanentError(f"unknown channel {channel!r}") from None


# --- Shared helpers -------------------------------------------------------------------------


def new_http_client() -> httpx.Client:
    """Return the client one batch shares: short timeouts, kept-alive connections, no redirects.

    It keeps no cookies: one client carries many subscribers' deliveries, and a
    cookie one receiver sets must not travel to another (on the same host).
    The CA bundle is loaded once per process (`_tls_context`), not per client.
    """
    return httpx.Client(
        timeout=HTTP_TIMEOUT,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        verify=_tls_context(),
        cookies=_NoCookies(),
    )


@cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle takes ~20 ms."""
    return httpx.create_ssl_context()


class _NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that never stores or sends a cookie."""

    def extract_cookies(self, response: object, request: object) -> None:
        return None

    def add_cookie_header(self, request: object) -> None:
        return None


def post(
    http: httpx.Client, url: str, *, known_errors: frozenset[str] = frozenset(), **kwargs: Any
) -> httpx.Response:
    """POST and classify the outcome: return a 2xx response, raise Transient/PermanentError otherwise.

    The receiver's body is never kept (it could be an internal page); only a body
    that is exactly one of *known_errors* (a service's documented error codes) is
    named, and then it is our constant that is stored.
    """
    try:
        outbound.check_target(url, schemes=HTTP_SCHEMES, resolve=False)
    except outbound.OutboundRefused as exc:
        raise PermanentError(f"target refused: {exc}") from None
    try:
        # Every host resolved in here is checked, and the connection goes to the
        # address that was checked; redirects are never followed.
        with outbound.guarded():
            response = http.post(url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TransientError(f"timeout: {type(exc).__name__}") from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise PermanentError(f"invalid URL: {type(exc).__name__}") from exc
    except httpx.TransportError as exc:
        refusal = outbound.refusal_in(exc)
        if refusal:
            raise PermanentError(refusal) from exc
        raise TransientError(f"network error: {type(exc).__name__}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    # Our words only: the receiver's body could be an internal page.
    detail = f"HTTP {status} from the receiver"
    known = next((code for code in known_errors if code == response.text.strip()), None)
    if known:
        detail += f": {known}"
    if status >= 500 or status in TRANSIENT_STATUSES:
        raise TransientError(detail, status_code=status, retry_after=_retry_after(response))
    raise PermanentError(detail, status_code=status)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: our own backoff applies


@dataclass(frozen=True)
class Message:
    """What a human reads, whatever the channel: a title, the summary first, then detail."""

    title: str
    summary: str
    detail: str
    url: str
    feedback_url: str
    context: str


def message_for(payload: dict[str, Any]) -> Message:
    """Render a delivery payload (see docs/notifications.md) as a human message."""
    kind = payload.get("type", "")
    incident = payload.get("incident") or {}
    ref = incident.get("reference", "")
    sev = incident.get("severity_label", "")
    phase = (incident.get("phase") or "").replace("_", " ")
    context = " · ".join(
        part for part in (sev, phase, "DRILL" if incident.get("is_drill") else "") if part
    )
    drill = "[DRILL] " if incident.get("is_drill") else ""  # a drill's message says so first
    if kind == "incident.update.published":
        rendition = payload.get("rendition") or {}
        update = payload.get("update") or {}
        summary = rendition.get("summary", "")
        title = f"{drill}[{sev}] {ref} update {update.get('number')}: {summary}"
        return Message(
            title=_one_line(title),
            summary=summary,
            detail=rendition.get("body", ""),
            url=incident.get("url", ""),
            feedback_url=payload.get("feedback_url", ""),
            context=context,
        )
    if kind in ("incident.cadence.reminder", "incident.cadence.escalation"):
        audience = (payload.get("deadline") or {}).get("audience", "")
        if kind.endswith("reminder"):
            title = f"Reminder: update for {audience} due"
        else:
            title = f"Escalation: update for {audience} overdue"
        if ref:
            title += f" ({ref})"
        title = drill + title
        return Message(
            title=title,
            summary=payload.get("message", ""),
            detail=incident.get("title", ""),
            url=incident.get("url", ""),
            feedback_url="",
            context=context,
        )
    return Message(
        title=payload.get("title") or "Test notification from the Incident Command Console",
        summary=payload.get("message", "This is a test: your subscription works."),
        detail="",
        url=incident.get("url", ""),
        feedback_url="",
        context=context,
    )


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
