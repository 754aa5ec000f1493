"""End to end: the real Alertmanager binary (Debian `prometheus-alertmanager`) delivers to our live server.

The test writes an alertmanager.yml whose webhook receiver points at
`live_server` with an alertmanager integration key as bearer credentials,
starts Alertmanager alone on loopback (clustering off), pushes alerts through
its v2 API and polls until the incident opens, then pushes the same alert
with `endsAt` in the past and polls until Alertmanager's resolved
notification reaches the "recovered" milestone. The configuration written
here is the one docs/integrations.md shows. The Alertmanager fixture is in
tests/fixtures/alertmanager.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident
from integrations.models import AlertEvidence, IntegrationKey
from tests.fixtures.alertmanager import ICC_RECEIVER
from tests.helpers import wait_until

DELIVERY_TIMEOUT = 30.0


def test_alertmanager_opens_and_resolves_an_incident(
    alertmanager_factory, live_server, fraud_model
):
    key, raw = IntegrationKey.issue(name="alertmanager-e2e", kind="alertmanager")
    am = alertmanager_factory(
        ICC_RECEIVER.format(url=f"{live_server.url}/api/v1/integrations/alertmanager/", key=raw)
    )
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    alert = {
        "labels": {
            "alertname": "FraudFalsePositiveRateHigh",
            "severity": "critical",
            "model": "fraud-scoring",
            "instance": "scorer-1:9100",
        },
        "annotations": {"summary": "Fraud model false-positive rate above 4 %"},
        "startsAt": started.isoformat().replace("+00:00", "Z"),
        "generatorURL": "http://prometheus.example.test/graph",
    }
    am.push([alert])

    def opened() -> Incident | None:
        return Incident.objects.filter(
            source="alert", dedup_key__startswith="alertmanager:"
        ).first()

    incident = wait_until(
        opened, timeout=DELIVERY_TIMEOUT, what=f"the incident (alertmanager log: {am.log})"
    )
    assert (
        incident.dedup_key
        == 'alertmanager:{}:{alertname="FraudFalsePositiveRateHigh", model="fraud-scoring"}'
    )
    assert incident.severity == 1
    assert incident.title == "FraudFalsePositiveRateHigh: Fraud model false-positive rate above 4 %"
    assert incident.summary == "Fraud model false-positive rate above 4 %"
    assert incident.detected_at == started
    assert list(incident.affected_models.values_list("slug", flat=True)) == ["fraud-scoring"]
    evidence = AlertEvidence.objects.get(incident=incident)
    assert evidence.source == "alertmanager" and evidence.status == "firing" and evidence.key == key
    assert evidence.labels == alert["labels"]
    assert evidence.annotations == alert["annotations"]
    assert evidence.starts_at == started and evidence.ends_at is None
    assert len(evidence.fingerprint) == 16  # Alertmanager's own fingerprint of the label set
    assert evidence.raw["generatorURL"] == "http://prometheus.example.test/graph"

    # The same alert, ended a second ago: Alertmanager sends the resolved notification.
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    am.push([alert | {"endsAt": ended.isoformat().replace("+00:00", "Z")}])

    def recovered() -> bool:
        incident.refresh_from_db()
        return incident.phase == "recovered"

    wait_until(
        recovered,
        timeout=DELIVERY_TIMEOUT,
        what=f"the recovered milestone (alertmanager log: {am.log})",
    )
    milestone = incident.milestones.get(phase="recovered")
    assert milestone.indicator == (
        'Alertmanager: all alerts of group {}:{alertname="FraudFalsePositiveRateHigh", model="fraud-scoring"} resolved'
    )
    resolved = AlertEvidence.objects.get(incident=incident, status="resolved")
    assert resolved.fingerprint == evidence.fingerprint and resolved.ends_at == ended
    assert Incident.objects.count() == 1
    alert_entries = list(
        DecisionLogEntry.objects.filter(incident=incident, kind="alert").order_by("sequence")
    )
    assert [e.summary for e in alert_entries] == [
        "1 alert(s) firing (1 firing): Fraud model false-positive rate above 4 %",
        "1 alert(s) resolved (0 firing): Fraud model false-positive rate above 4 %",
    ]
    assert alert_entries[-1].data["alerts"][0]["labels"] == alert["labels"]


# Alertmanager's own PagerDuty receiver pointed at our Events API v2 endpoint (docs/integrations.md).
PAGERDUTY_CONFIG = """\
route:
  receiver: icc-pagerduty
  group_by: [alertname, model]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: icc-pagerduty
    pagerduty_configs:
      - routing_key: {key}
        url: {url}
        severity: '{{{{ or .CommonLabels.severity "error" }}}}'
        details:
          model: '{{{{ .CommonLabels.model }}}}'
"""


def test_alertmanagers_pagerduty_receiver_opens_and_resolves_an_incident(
    alertmanager_factory, live_server, fraud_model
):
    key, raw = IntegrationKey.issue(name="alertmanager-pd", kind="pagerduty")
    am = alertmanager_factory(
        PAGERDUTY_CONFIG.format(
            url=f"{live_server.url}/api/v1/integrations/pagerduty/v2/enqueue", key=raw
        )
    )
    alert = {
        "labels": {
            "alertname": "FraudLatencyHigh",
            "severity": "warning",
            "model": "fraud-scoring",
        },
        "annotations": {"summary": "p99 latency over 2 s"},
    }
    am.push([alert])

    def opened() -> Incident | None:
        return Incident.objects.filter(source="alert", dedup_key__startswith="pagerduty:").first()

    incident = wait_until(
        opened, timeout=DELIVERY_TIMEOUT, what=f"the incident (alertmanager log: {am.log})"
    )
    assert incident.severity == 3  # severity "warning" from the template
    assert list(incident.affected_models.values_list("slug", flat=True)) == ["fraud-scoring"]
    evidence = AlertEvidence.objects.get(incident=incident)
    assert evidence.source == "pagerduty" and evidence.status == "trigger" and evidence.key == key
    assert evidence.labels["model"] == "fraud-scoring" and evidence.labels["severity"] == "warning"
    assert (
        evidence.raw["custom_details"]["num_firing"] == "1"
    )  # Alertmanager's own details, kept as received
    assert (
        incident.dedup_key == f"pagerduty:{evidence.fingerprint}"
    )  # the dedup_key Alertmanager chose

    am.push(
        [
            alert
            | {
                "endsAt": (datetime.now(UTC) - timedelta(seconds=1))
                .isoformat()
                .replace("+00:00", "Z")
            }
        ]
    )

    def recovered() -> bool:
        incident.refresh_from_db()
        return incident.phase == "recovered"

    wait_until(
        recovered,
        timeout=DELIVERY_TIMEOUT,
        what=f"the recovered milestone (alertmanager log: {am.log})",
    )
    assert list(
        AlertEvidence.objects.filter(incident=incident).values_list("status", flat=True)
    ) == ["trigger", "resolve"]
    assert Incident.objects.count() == 1
