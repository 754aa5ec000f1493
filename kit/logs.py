"""Structured logs: one JSON object per event (or one readable line), secrets scrubbed.

Every process (gunicorn, Celery worker and beat, manage.py) formats the standard
library's records and structlog's events with the same `ProcessorFormatter`, so
Django's, Celery's, gunicorn's and our own lines share one format (docs/operations.md
"Logs"). Context bound with `structlog.contextvars` (the request id, the task, the
incident; console/request_logs.py and console/celery.py bind them) is added to every
event, and the signed-in user to every event of a request that has resolved it.

The last step before rendering scrubs secrets: values of secret-bearing keys, and
anything in any string that looks like one of our keys or tokens (API tokens and
integration keys `icc_…`, webhook signing secrets `whsec_…`, bearer credentials,
Django-signed links, passwords in URLs and in `name=value` text), exception
tracebacks included. Locals of stack frames are never rendered.
"""

from __future__ import annotations

import logging
import logging.config
import re
import sys
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import structlog
from django.utils.functional import SimpleLazyObject, empty
from structlog.typing import EventDict, Processor, WrappedLogger

if TYPE_CHECKING:  # settings import this module: no django.http at import time
    from django.http import HttpRequest

FORMATS = ("json", "console")
REDACTED = "[redacted]"

# Keys whose values are secrets whatever they look like (checked case-insensitively).
SECRET_KEY_NAMES = re.compile(
    r"authori[sz]ation|cookie|passw|secret|token|signature|credential|session|csrf"
    r"|(^|[_-])(api|routing|integration|private|signing)[_-]?key$|^key$",
    re.IGNORECASE,
)
# Values that are secrets wherever they appear in a string.
_SECRET_VALUES = [
    # API tokens (api/models.py TOKEN_PREFIX) and integration keys (icc_al_…, icc_gr_…).
    (re.compile(r"\bicc_[A-Za-z0-9_-]{16,}"), REDACTED),
    # Standard Webhooks signing secrets (comms/models.py) and their signatures (v1,<base64>).
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]{8,}"), REDACTED),
    (re.compile(r"\bv1,[A-Za-z0-9+/=]{16,}"), REDACTED),
    # Bearer credentials in anything that quotes a header (OpenID Connect tokens too).
    (re.compile(r"\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1 " + REDACTED),
    # Django-signed links (payload:timestamp:signature), e.g. status-page confirm/unsubscribe.
    (re.compile(r"\.?[A-Za-z0-9_-]{8,}:[A-Za-z0-9]{4,}:[A-Za-z0-9_-]{43}\b"), REDACTED),
    # A password in a URL: scheme://user:password@host.
    (
        re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@", re.IGNORECASE),
        r"\1" + REDACTED + "@",
    ),
    # name=value or "name": "value" where the name says secret.
    (
        re.compile(
            r"""((?:passw\w*|secret\w*|\w*token|api[_-]?key|signature|authorization)"""
            r"""["']?\s*[:=]\s*["']?)[^\s"'&,;)}\]]+""",
            re.IGNORECASE,
        ),
        r"\1" + REDACTED,
    ),
]

_FIRST = ("timestamp", "level", "logger", "event")
# A request id from outside is kept only if it is a short token of safe characters.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_current_request: ContextVar[HttpRequest | None] = ContextVar("log_request", default=None)


def sane_request_id(value: str | None) -> str | None:
    """Return *value* if it can be a request id (1-128 of A-Z a-z 0-9 . _ : -), else None."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def scrub(text: str) -> str:
    """Return *text* with everything that looks like one of our secrets replaced."""
    for pattern, replacement in _SECRET_VALUES:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {
            key: REDACTED if SECRET_KEY_NAMES.search(str(key)) else _clean(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(item) for item in value]
    return scrub(str(value))  # any other object: its text, scrubbed, never its repr unchecked


def redact(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Scrub secret-bearing keys and secret-looking values (the last step before rendering)."""
    cleaned: dict[str, Any] = _clean(event_dict)
    # The same few keys first on every line, for people reading them.
    first = {key: cleaned.pop(key) for key in _FIRST if key in cleaned}
    return first | cleaned


def add_user(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Add the user of the current request once it is known; never resolve it for the log.

    Resolving `request.user` may query the session and the user: a log line must not
    change what a request does. DRF's authentication sets a concrete user.
    """
    request = _current_request.get()
    if request is None:
        return event_dict
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped
        user = None if wrapped is empty else wrapped
    if user is not None and getattr(user, "is_authenticated", False):
        event_dict.setdefault("user_id", user.pk)
        event_dict.setdefault("username", user.get_username())
    return event_dict


def set_request(request: HttpRequest | None) -> None:
    """Make *request* the one whose user `add_user` reports (None when it is over)."""
    _current_request.set(request)


_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    add_user,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def structured_formatter(fmt: str) -> logging.Formatter:
    """Return the formatter of every handler: JSON lines, or readable lines for people."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """Return the LOGGING dict: every record through one handler on stderr, in *fmt*."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "kit.logs.structured_formatter", "fmt": fmt}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (a plain console one under DEBUG, mail_admins) would
            # write a second line in another format: its records go to the root instead.
            "django": {"handlers": [], "propagate": True},
            "django.server": {"handlers": [], "propagate": True},
            # gunicorn's master and workers (console/gunicorn_conf.py); the level stays
            # gunicorn's --log-level.
            "gunicorn.error": {"handlers": ["console"], "propagate": False},
            # Replaced by the `request` event (console/request_logs.py), which leaves out
            # query strings; gunicorn's access line would carry them.
            "gunicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            # httpx names every URL it calls at INFO, and a receiver's URL can hold its key
            # (Slack, Teams): deliveries log their own outcome (comms/delivery.py).
            "httpx": {"level": "WARNING"},
        },
    }


def configure(config: dict[str, Any]) -> None:
    """Apply *config* (settings.LOGGING) and route structlog's events through it.

    Django calls this at start-up (LOGGING_CONFIG), Celery's worker and beat through
    the setup_logging signal (console/celery.py), instead of their own set-ups.
    """
    logging.config.dictConfig(config)
    # Python's warnings (Celery's "running as root" among them) as log lines, not raw text.
    logging.captureWarnings(True)
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# --- Celery: the task's id and name on every event it logs, and the request that sent it ---

REQUEST_ID_HEADER = "log_request_id"


def publish_headers() -> dict[str, str]:
    """Return the headers a task message carries so its logs name the request that sent it."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


_task_tokens: dict[str, Mapping[str, Any]] = {}


def bind_task(task_id: str, task_name: str, request_id: str | None) -> None:
    """Bind a task's context for its run (task_prerun); `unbind_task` restores what was before.

    Restoring rather than clearing keeps a web request's context intact when a task
    runs eagerly inside it.
    """
    values: dict[str, Any] = {"task_id": task_id, "task_name": task_name}
    if sane_request_id(request_id):
        values["request_id"] = request_id
    _task_tokens[task_id] = structlog.contextvars.bind_contextvars(**values)


def unbind_task(task_id: str) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens is not None:
        structlog.contextvars.reset_contextvars(**tokens)
