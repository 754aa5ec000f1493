"""OpenAPI pieces for the integration endpoints: one bearer scheme per key kind."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class _KeyScheme(OpenApiAuthenticationExtension):
    kind = ""

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": f"A {self.kind} integration key (`manage.py create_integration_key NAME --kind {self.kind}`).",
        }


class AlertmanagerKeyScheme(_KeyScheme):
    target_class = "integrations.authentication.AlertmanagerKeyAuthentication"
    name = "alertmanagerKey"
    kind = "alertmanager"


class GrafanaKeyScheme(_KeyScheme):
    target_class = "integrations.authentication.GrafanaKeyAuthentication"
    name = "grafanaKey"
    kind = "grafana"


class MetricsKeyScheme(_KeyScheme):
    target_class = "integrations.authentication.MetricsKeyAuthentication"
    name = "metricsKey"
    kind = "metrics"


# --- Request and response bodies ------------------------------------------------------
# Schema only: the views parse the bodies themselves (integrations/views.py), so the
# payloads keep the senders' own shapes and errors. These say what those parsers accept;
# tests/api/test_it_schemathesis.py checks that every body valid here is accepted.

from drf_spectacular.utils import PolymorphicProxySerializer  # noqa: E402
from rest_framework import serializers  # noqa: E402

from kit.openapi import NON_BLANK  # noqa: E402

# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: other enums share these field names.
ALERT_STATUS_CHOICES = [("firing", "firing"), ("resolved", "resolved")]
PD_SEVERITY_CHOICES = [(s, s) for s in ("critical", "error", "warning", "info")]


def _strings(help_text: str = "") -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        allow_null=True,
        help_text=help_text,
    )


def _status(help_text: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=ALERT_STATUS_CHOICES, help_text=help_text)


class AlertSerializer(serializers.Serializer):
    status = _status("This alert's state.")
    labels = _strings("`alertname`, `severity` and `model` are read.")
    annotations = _strings("`summary` or `description` titles the incident.")
    startsAt = serializers.DateTimeField(required=False, allow_null=True)  # noqa: N815
    endsAt = serializers.DateTimeField(  # noqa: N815
        required=False,
        allow_null=True,
        help_text="Go's zero time (0001-01-01…) means still firing.",
    )
    fingerprint = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class AlertGroupSerializer(serializers.Serializer):
    """An Alertmanager webhook (version 4); other fields Alertmanager sends are ignored."""

    version = serializers.ChoiceField(choices=[("4", "4")])
    status = _status("firing: some alert of the group fires; resolved: all are resolved.")
    groupKey = serializers.RegexField(
        NON_BLANK, help_text="Groups notifications into one incident."
    )  # noqa: N815
    alerts = serializers.ListField(child=AlertSerializer(), min_length=1)
    commonLabels = _strings()  # noqa: N815
    commonAnnotations = _strings()  # noqa: N815
    routeLabels = _strings()  # noqa: N815
    truncatedAlerts = serializers.IntegerField(min_value=0, required=False, allow_null=True)  # noqa: N815
    notification_reason = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    message = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class GrafanaAlertGroupSerializer(AlertGroupSerializer):
    """A Grafana alerting webhook (version 1, an Alertmanager superset)."""

    version = serializers.ChoiceField(choices=[("1", "1")])
    title = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class AlertGroupAcceptedSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='"accepted".')
    incident = serializers.CharField(
        allow_null=True, help_text="Reference of the incident it opened or joined."
    )
    opened = serializers.BooleanField(help_text="True when this notification opened the incident.")


class PagerDutyPayloadSerializer(serializers.Serializer):
    summary = serializers.RegexField(NON_BLANK, max_length=1024)
    source = serializers.RegexField(NON_BLANK)  # type: ignore[assignment]  # the field shadows a Serializer attribute
    severity = serializers.ChoiceField(choices=PD_SEVERITY_CHOICES)
    timestamp = serializers.DateTimeField(required=False, allow_null=True)
    component = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    group = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    # "class" is a Python keyword: declared below.
    custom_details = serializers.DictField(
        required=False, help_text="A string `model` names the model."
    )


PagerDutyPayloadSerializer._declared_fields["class"] = serializers.CharField(
    required=False, allow_blank=True, trim_whitespace=False
)


class _PagerDutyEventSerializer(serializers.Serializer):
    routing_key = serializers.CharField(help_text="A pagerduty integration key.")


class PagerDutyTriggerSerializer(_PagerDutyEventSerializer):
    event_action = serializers.ChoiceField(choices=[("trigger", "trigger")])
    dedup_key = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=255,
        help_text="Omit to have one made up (returned).",
    )
    payload = PagerDutyPayloadSerializer()


class PagerDutyFollowUpSerializer(_PagerDutyEventSerializer):
    event_action = serializers.ChoiceField(
        choices=[("acknowledge", "acknowledge"), ("resolve", "resolve")]
    )
    dedup_key = serializers.CharField(
        max_length=255, trim_whitespace=False, help_text="The trigger's dedup_key."
    )


PAGERDUTY_EVENT = PolymorphicProxySerializer(
    component_name="PagerDutyEvent",
    serializers={
        "trigger": PagerDutyTriggerSerializer,
        "acknowledge": PagerDutyFollowUpSerializer,
        "resolve": PagerDutyFollowUpSerializer,
    },
    resource_type_field_name="event_action",
)


class PagerDutyAcceptedSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='"success".')
    message = serializers.CharField()
    dedup_key = serializers.CharField()


class PagerDutyErrorSerializer(serializers.Serializer):
    """PagerDuty's own error shape (its client libraries read it), not the API's."""

    status = serializers.CharField(help_text='"invalid event" or "throttle event".')
    message = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]  # the field shadows a Serializer attribute
