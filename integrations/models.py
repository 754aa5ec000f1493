"""Integration keys: how monitoring tools authenticate, scoped to one kind, stored hashed.

A Grafana key may also hold a signing secret shared with Grafana (kept as is: see `signing_secret`).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from incidents.models import Incident, MonitoredModel


def key_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


DEFAULT_SIGNATURE_HEADER = (
    "X-Grafana-Alerting-Signature"  # Grafana's default for a webhook's hmacConfig.header
)
# No default in Grafana: the name our docs give for hmacConfig.timestampHeader, used when a key leaves it blank.
DEFAULT_TIMESTAMP_HEADER = "X-Grafana-Alerting-Timestamp"
header_name = RegexValidator(
    r"^[A-Za-z0-9-]{1,100}$", "Must be an HTTP header name (letters, digits, hyphens)."
)


class IntegrationKey(models.Model):
    """A key for one integration; the raw key is shown once and never stored."""

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        GRAFANA = "grafana", "Grafana alerting"
        PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
        METRICS = "metrics", "Metric ingestion"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind)
    prefix = models.CharField(
        max_length=12, help_text="First characters of the key, to recognise it."
    )
    digest = models.CharField(max_length=64, unique=True)
    # Where alerts without a `model` label go, and how severity labels map (per key).
    default_model = models.ForeignKey(
        MonitoredModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_map = models.JSONField(
        default=dict,
        blank=True,
        help_text='Label value -> model slug, e.g. {"fraud": "fraud-scoring"}',
    )
    severity_map = models.JSONField(
        default=dict,
        blank=True,
        help_text='Severity label -> 1..4, e.g. {"critical": 1, "warning": 3}',
    )
    resolve_reaches_recovered = models.BooleanField(
        default=True, help_text="A resolved alert group records the 'recovered' milestone."
    )
    # Grafana's optional HMAC signature (webhook contact point, hmacConfig). A secret shared with
    # Grafana, not one we issue: it has to be kept as it is to recompute the signature, so it
    # cannot be hashed like the key. Set in the admin (write-only) or by the command.
    signing_secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="Grafana keys: HMAC-SHA256 secret; when set, unsigned or wrongly signed bodies get 401.",
    )
    signature_header = models.CharField(
        max_length=100,
        blank=True,
        default=DEFAULT_SIGNATURE_HEADER,
        validators=[header_name],
        help_text="Header carrying the hex signature (Grafana's hmacConfig.header).",
    )
    timestamp_header = models.CharField(
        max_length=100,
        blank=True,
        validators=[header_name],
        help_text="Header carrying the Unix timestamp Grafana signs with the body (hmacConfig.timestampHeader); "
        f"required with a signing secret; blank: {DEFAULT_TIMESTAMP_HEADER}.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def has_signing_secret(self) -> bool:
        return bool(self.signing_secret)

    def clean(self) -> None:
        if self.signing_secret and self.kind != self.Kind.GRAFANA:
            raise ValidationError(
                "Only Grafana keys verify a signature: remove the signing secret or use kind grafana."
            )

    @classmethod
    def issue(
        cls, *, name: str, kind: str, created_by=None, **fields
    ) -> tuple[IntegrationKey, str]:
        """Create a key and return it with its raw value (shown once)."""
        raw = f"icc_{kind[:2]}_" + secrets.token_urlsafe(32)
        key = cls.objects.create(
            name=name,
            kind=kind,
            prefix=raw[:10],
            digest=key_digest(raw),
            created_by=created_by,
            **fields,
        )
        return key, raw

    @classmethod
    def authenticate(cls, raw: str, kind: str) -> IntegrationKey | None:
        """Return the active key of this kind for `raw`, or None."""
        if not raw or len(raw) > 200:
            return None
        key = cls.objects.filter(digest=key_digest(raw), kind=kind, revoked_at__isnull=True).first()
        if key is not None and (
            key.last_used_at is None or (timezone.now() - key.last_used_at).total_seconds() > 60
        ):
            cls.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class AlertEvidence(models.Model):
    """One alert as a monitoring tool reported it, kept on the incident it opened or updated."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alert_evidence")
    key = models.ForeignKey(IntegrationKey, null=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=16)  # alertmanager | grafana | pagerduty
    group_key = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16)  # firing | resolved | trigger | acknowledge | resolve
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    raw = models.JSONField(
        default=dict, blank=True, help_text="The alert as received (bounded in size)."
    )

    class Meta:
        ordering = ["incident", "received_at"]
        indexes = [models.Index(fields=["source", "group_key"], name="evidence_group")]

    def __str__(self) -> str:
        return f"{self.source} {self.status} {self.fingerprint or self.group_key[:40]}"
