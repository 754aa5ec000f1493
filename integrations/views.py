"""Webhook endpoints for monitoring tools: parse, check the key, call one service."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations import schema as body_schema
from integrations import services
from integrations.authentication import (
    AlertmanagerKeyAuthentication,
    GrafanaKeyAuthentication,
    HasIntegrationKey,
    verify_signature,
)
from integrations.models import IntegrationKey
from integrations.replay import release_signature
from integrations.services import AlertIn
from kit.openapi import ErrorSerializer
from kit.parsers import BoundedJSONParser, JSONTooDeep, loads_bounded

MAX_BODY = 512 * 1024  # PagerDuty's own limit for one event


def rate_limit_wait(key: IntegrationKey) -> int | None:
    """Count one event for `key` in this minute; return seconds to wait if over the limit."""
    limit = settings.INTEGRATION_RATE_LIMIT_PER_MINUTE
    now = time.time()
    counter = f"integration-rate:{key.digest[:24]}:{int(now // 60)}"
    cache.add(counter, 0, timeout=120)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, timeout=120)
        count = 1
    return max(1, 60 - int(now % 60)) if count > limit else None


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The body is larger than 512 KB."
    default_code = "too_large"


def body_too_large(request: Request) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return declared > MAX_BODY or len(request.body) > MAX_BODY


def is_json(request: Request) -> bool:
    """Return True when the body is declared as JSON: monitoring tools send nothing else."""
    return request.content_type.split(";")[0].strip().lower() == "application/json"


# --- Alertmanager and Grafana (one payload family) -----------------------------------


def _invalid(name: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]})


def _time(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = _parse_time(value)
    if parsed is None or parsed.tzinfo is None:
        raise _invalid(name, "must be an RFC 3339 timestamp with a time zone.")
    if parsed.year <= 1:
        return None  # Go's zero time: "not ended yet"
    # Store UTC: RFC 3339 allows offsets (up to ±23:59) that PostgreSQL refuses beyond ±15:59.
    utc = _as_utc(parsed)
    if utc is None:
        raise _invalid(name, "is out of range.")
    return utc


def _parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 string; None for anything else, including impossible dates (Feb 30)."""
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _as_utc(value: datetime) -> datetime | None:
    """Return `value` in UTC, or None when that falls outside the years 1-9999."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def _str_map(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _invalid(name, "must be an object of strings.")
    return value


def parse_alert_group(data: Any, *, version: str, source: str) -> dict[str, Any]:
    """Validate an Alertmanager-shaped webhook (Grafana's is a superset) and return the service's arguments."""
    if not isinstance(data, dict):
        raise _invalid("non_field_errors", "The body must be a JSON object.")
    if str(data.get("version", "")) != version:
        raise _invalid("version", f"must be {version!r} (the {source} webhook payload version).")
    status_ = data.get("status")
    if status_ not in ("firing", "resolved"):
        raise _invalid("status", "must be 'firing' or 'resolved'.")
    group_key = data.get("groupKey")
    if not isinstance(group_key, str) or not group_key.strip():
        raise _invalid("groupKey", "is required.")
    raw_alerts = data.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise _invalid("alerts", "must be a non-empty list.")
    alerts = []
    for i, raw in enumerate(raw_alerts):
        name = f"alerts[{i}]"
        if not isinstance(raw, dict):
            raise _invalid(name, "must be an object.")
        if raw.get("status") not in ("firing", "resolved"):
            raise _invalid(f"{name}.status", "must be 'firing' or 'resolved'.")
        fingerprint = raw.get("fingerprint", "")
        alerts.append(
            AlertIn(
                status=raw["status"],
                labels=_str_map(raw.get("labels"), f"{name}.labels"),
                annotations=_str_map(raw.get("annotations"), f"{name}.annotations"),
                starts_at=_time(raw.get("startsAt"), f"{name}.startsAt"),
                ends_at=_time(raw.get("endsAt"), f"{name}.endsAt"),
                fingerprint=fingerprint if isinstance(fingerprint, str) else "",
                raw=raw,
            )
        )
    common_labels = _str_map(data.get("commonLabels"), "commonLabels")
    route_labels = _str_map(data.get("routeLabels"), "routeLabels")
    common_annotations = _str_map(data.get("commonAnnotations"), "commonAnnotations")
    first = alerts[0].annotations
    summary = (
        common_annotations.get("summary")
        or common_annotations.get("description")
        or first.get("summary")
        or first.get("description")
        or data.get("message")
        or ""
    )
    alertname = common_labels.get("alertname") or alerts[0].labels.get("alertname", "")
    title = data.get("title") if source == "grafana" and isinstance(data.get("title"), str) else ""
    title = title or (f"{alertname}: {summary}" if alertname and summary else alertname or summary)
    truncated = data.get("truncatedAlerts") or 0
    if isinstance(truncated, float) and truncated.is_integer():
        truncated = int(truncated)  # JSON does not tell 17 from 17.0
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise _invalid("truncatedAlerts", "must be a whole number of at least 0.")
    reason = data.get("notification_reason")
    if reason is not None and not isinstance(reason, str):
        raise _invalid("notification_reason", "must be a string.")
    notes = []
    if truncated > 0:
        notes.append(f"{truncated} more alert(s) truncated by the sender")
    if reason:
        notes.append(f"reason: {reason[:40]}")
    firing = sum(a.status == "firing" for a in alerts)
    note = f"{len(alerts)} alert(s) {status_} ({firing} firing)" + "".join(f"; {n}" for n in notes)
    if summary:
        note += f": {summary}"
    return {
        "group_key": group_key,
        "status": status_,
        "alerts": alerts,
        "summary": str(summary)[:2000],
        "title": str(title)[:200],
        "note": note[:300],
        "route_labels": route_labels,
    }


class AlertGroupView(APIView):
    """Receive one alert group notification; answer 202 once it is recorded."""

    permission_classes = [HasIntegrationKey]
    parser_classes = [BoundedJSONParser]
    source = ""
    version = ""

    @extend_schema(
        tags=["integrations"],
        request={"application/json": body_schema.AlertGroupSerializer},
        responses={
            202: body_schema.AlertGroupAcceptedSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
            429: ErrorSerializer,
            503: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        """Record one alert group notification (Alertmanager v4 / Grafana webhook payload)."""
        key = cast(IntegrationKey, request.auth)  # HasIntegrationKey let only a key through
        if not is_json(request):  # before the signature: nothing but JSON is ever read here
            raise exceptions.UnsupportedMediaType(request.content_type or "(none)")
        if body_too_large(request):
            raise BodyTooLarge()
        claimed = verify_signature(
            request, key
        )  # None unless the (Grafana) key has a signing secret
        try:
            if (wait := rate_limit_wait(key)) is not None:
                raise exceptions.Throttled(wait=wait)
            group = parse_alert_group(request.data, version=self.version, source=self.source)
            result = services.ingest_alert_group(key=key, source=self.source, **group)
        except Exception:
            # Refused after all (rate limit, bad body, a failure of ours): Grafana's retry
            # of this very request must not meet a 401 for a replay.
            if claimed:
                release_signature(key_digest=key.digest, signature=claimed)
            raise
        incident = result.incident
        return Response(
            {
                "status": "accepted",
                "incident": incident.reference if incident else None,
                "opened": result.opened,
            },
            status=status.HTTP_202_ACCEPTED,
        )


class AlertmanagerView(AlertGroupView):
    authentication_classes = [AlertmanagerKeyAuthentication]
    source = "alertmanager"
    version = "4"


@extend_schema_view(
    post=extend_schema(request={"application/json": body_schema.GrafanaAlertGroupSerializer})
)
class GrafanaView(AlertGroupView):
    authentication_classes = [GrafanaKeyAuthentication]
    source = "grafana"
    version = "1"


# --- PagerDuty Events API v2 -----------------------------------------------------------

PD_SEVERITIES = ("critical", "error", "warning", "info")
PD_ACTIONS = ("trigger", "acknowledge", "resolve")


def pd_invalid(*errors: str, status_code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    """PagerDuty's own error shape (its client libraries read it), not ours."""
    return Response(
        {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)},
        status=status_code,
    )


def parse_pd_event(event: Any) -> tuple[list[str], dict[str, Any]]:
    """Return (errors, cleaned) for a PagerDuty v2 event."""
    if not isinstance(event, dict):
        return ["Event must be a JSON object"], {}
    errors = []
    action = event.get("event_action")
    if action not in PD_ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"'dedup_key' is required for {action}")
    payload = event.get("payload")
    if action == "trigger":
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
            payload = {}
        for name in ("summary", "source"):
            if not isinstance(payload.get(name), str) or not payload[name].strip():
                errors.append(f"'payload.{name}' is missing or blank")
        if isinstance(payload.get("summary"), str) and len(payload["summary"]) > 1024:
            errors.append("'payload.summary' is longer than 1024 characters")
        if payload.get("severity") not in PD_SEVERITIES:
            errors.append("'payload.severity' must be one of critical, error, warning, info")
        if payload.get("timestamp") is not None and (_parse_time(payload["timestamp"]) is None):
            errors.append("'payload.timestamp' must be an ISO 8601 timestamp")
    return errors, {
        "action": action,
        "dedup_key": dedup_key,
        "payload": payload if isinstance(payload, dict) else {},
    }


class PagerDutyEnqueueView(APIView):
    """`POST …/pagerduty/v2/enqueue`: PagerDuty's Events API v2, keyed by `routing_key` in the body."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes: list[Any] = []  # the body is read here, so errors keep PagerDuty's shape

    @extend_schema(
        tags=["integrations"],
        auth=[],
        request={"application/json": body_schema.PAGERDUTY_EVENT},
        responses={
            202: body_schema.PagerDutyAcceptedSerializer,
            400: body_schema.PagerDutyErrorSerializer,
            413: body_schema.PagerDutyErrorSerializer,
            415: body_schema.PagerDutyErrorSerializer,
            429: body_schema.PagerDutyErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        """Accept a PagerDuty Events API v2 event; answers in PagerDuty's shapes."""
        if not is_json(request):
            return pd_invalid(
                "Content-Type must be application/json",
                status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            )
        if body_too_large(request):
            return pd_invalid(
                "Event is larger than 512 KB", status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        try:
            event = loads_bounded(request.body or b"null")
        except JSONTooDeep as exc:
            return pd_invalid(f"Event is {exc}")
        except ValueError:  # UnicodeDecodeError included
            return pd_invalid("Event is not valid JSON")
        routing_key = event.get("routing_key") if isinstance(event, dict) else None
        key = (
            IntegrationKey.authenticate(routing_key, IntegrationKey.Kind.PAGERDUTY)
            if isinstance(routing_key, str)
            else None
        )
        if key is None:
            return pd_invalid("Invalid routing key")
        if (wait := rate_limit_wait(key)) is not None:
            response = Response(
                {
                    "status": "throttle event",
                    "message": "Requests for this service are arriving too quickly. Please retry later.",
                    "errors": ["Too many requests"],
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
            response["Retry-After"] = str(wait)
            return response
        errors, event = parse_pd_event(event)
        if errors:
            return pd_invalid(*errors)
        dedup_key = event["dedup_key"] or uuid.uuid4().hex
        self.process(key, event["action"], dedup_key, event["payload"])
        return Response(
            {"status": "success", "message": "Event processed", "dedup_key": dedup_key},
            status=status.HTTP_202_ACCEPTED,
        )

    @staticmethod
    def process(key: IntegrationKey, action: str, dedup_key: str, payload: dict[str, Any]) -> None:
        labels = {"severity": payload.get("severity", ""), "source": str(payload.get("source", ""))}
        for name in ("component", "group", "class"):
            if isinstance(payload.get(name), str):
                labels[name] = payload[name]
        details = payload.get("custom_details")
        if isinstance(details, dict) and isinstance(details.get("model"), str):
            labels["model"] = details["model"]
        summary = str(payload.get("summary", ""))
        timestamp = _parse_time(payload.get("timestamp"))
        alert = AlertIn(
            status=action,
            labels=labels,
            annotations={"summary": summary} if summary else {},
            starts_at=_as_utc(timestamp) if timestamp and timestamp.tzinfo else None,
            fingerprint=dedup_key[:200],
            raw=payload,
        )
        if action == "acknowledge":
            services.log_acknowledgement(
                key=key, source="pagerduty", group_key=dedup_key, alerts=[alert]
            )
            return
        services.ingest_alert_group(
            key=key,
            source="pagerduty",
            group_key=dedup_key,
            status="resolved" if action == "resolve" else "firing",
            alerts=[alert],
            summary=summary,
            title=summary[:200],
            note="" if action == "trigger" else "Resolved in PagerDuty",
        )
