"""Grafana's optional HMAC signature (contact point `hmacConfig`): verified when the key has a secret.

The fixtures grafana_signed_*.json hold a delivery exactly as Grafana signs it
(hex HMAC-SHA256 of the body, or of "<timestamp>:<body>" with a timestamp
header), with the secret used; their signatures were computed once, not here.

Since #10 a key with a secret requires the timestamp (a body-only signature
could be replayed forever) and accepts each signature once. Deliveries other
than the timestamped fixture are signed here with `stamped`, the scheme the
first test proves matches Grafana's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident
from integrations.models import AlertEvidence, IntegrationKey

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/api/v1/integrations/grafana/"
SIGNATURE = "X-Grafana-Alerting-Signature"
TIMESTAMP = "X-Grafana-Alerting-Timestamp"


def signed(name: str) -> dict:
    return json.loads((FIXTURES / f"grafana_signed_{name}.json").read_text())


def meta(headers: dict[str, str]) -> dict[str, str]:
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def stamped(fixture: dict, stamp: int | None = None) -> dict[str, str]:
    """Sign the fixture's body with a timestamp (default: now) as Grafana does with hmacConfig.timestampHeader."""
    stamp = int(timezone.now().timestamp()) if stamp is None else stamp
    signature = hmac.new(
        fixture["secret"].encode(), f"{stamp}:{fixture['body']}".encode(), hashlib.sha256
    )
    return {SIGNATURE: signature.hexdigest(), TIMESTAMP: str(stamp)}


def deliver(raw_key: str, body: str | bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    data = body.encode() if isinstance(body, str) else body
    return client.post(URL, data, content_type="application/json", **meta(headers))


@pytest.fixture
def grafana_key(db) -> tuple[IntegrationKey, str]:
    fixture = signed("firing")
    return IntegrationKey.issue(
        name="grafana-signed", kind="grafana", signing_secret=fixture["secret"]
    )


@pytest.fixture
def at_resolved_timestamp(clock):
    clock.now = datetime.fromtimestamp(int(signed("resolved")["headers"][TIMESTAMP]), UTC)
    return clock


def test_the_fixtures_are_signed_as_grafana_signs():
    firing, resolved = signed("firing"), signed("resolved")
    assert (
        firing["headers"][SIGNATURE]
        == hmac.new(firing["secret"].encode(), firing["body"].encode(), hashlib.sha256).hexdigest()
    )
    stamp = resolved["headers"][TIMESTAMP]
    assert (
        resolved["headers"][SIGNATURE]
        == hmac.new(
            resolved["secret"].encode(), f"{stamp}:{resolved['body']}".encode(), hashlib.sha256
        ).hexdigest()
    )


def test_a_signed_firing_delivery_opens_and_a_signed_resolved_one_recovers(
    grafana_key, fraud_model, at_resolved_timestamp
):
    key, raw = grafana_key
    assert (
        key.timestamp_header == ""
    )  # blank: the default header name, X-Grafana-Alerting-Timestamp
    firing = signed("firing")
    response = deliver(raw, firing["body"], stamped(firing))
    assert response.status_code == 202, response.content
    incident = Incident.objects.get()
    assert incident.title == "[FIRING:1] Fraud FP rate Models (high fraud-scoring)"

    resolved = signed("resolved")
    at_resolved_timestamp.advance(seconds=30)  # delivered 30 s after Grafana signed it
    response = deliver(raw, resolved["body"], resolved["headers"])
    assert response.status_code == 202, response.content
    incident.refresh_from_db()
    assert incident.phase == "recovered"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda body, headers: (body, {TIMESTAMP: headers[TIMESTAMP]}),
            f"{SIGNATURE} is missing: this key only accepts signed bodies.",
        ),
        (
            lambda body, headers: (body.replace("6.2 %", "6.3 %"), headers),
            f"{SIGNATURE} does not match the body signed with this key's secret.",
        ),
        (
            lambda body, headers: (
                body,
                headers
                | {
                    SIGNATURE: hmac.new(
                        b"another-secret", f"{headers[TIMESTAMP]}:{body}".encode(), hashlib.sha256
                    ).hexdigest()
                },
            ),
            f"{SIGNATURE} does not match the body signed with this key's secret.",
        ),
        (
            lambda body, headers: (body, headers | {SIGNATURE: "sha256=" + headers[SIGNATURE]}),
            f"{SIGNATURE} does not match the body signed with this key's secret.",
        ),
        (
            lambda body, headers: (body, headers | {SIGNATURE: "é" * 64}),
            f"{SIGNATURE} does not match the body signed with this key's secret.",
        ),
        # Grafana without a timestamp header signs the body alone: replayable forever, so refused.
        (
            lambda body, headers: (body, {SIGNATURE: signed("firing")["headers"][SIGNATURE]}),
            f"{TIMESTAMP} is missing: this key signs with a timestamp.",
        ),
    ],
    ids=["missing", "body-changed", "other-secret", "prefixed", "not-hex", "body-only"],
)
def test_missing_or_wrong_signatures_are_401_and_change_nothing(grafana_key, change, reason):
    _, raw = grafana_key
    firing = signed("firing")
    body, headers = change(firing["body"], stamped(firing))
    response = deliver(raw, body, headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "error": {"status": 401, "code": "authentication_failed", "message": reason}
    }
    assert not Incident.objects.exists() and not AlertEvidence.objects.exists()


def test_an_uppercase_hex_signature_is_the_same_signature(grafana_key):
    _, raw = grafana_key
    firing = signed("firing")
    headers = stamped(firing)
    assert (
        deliver(raw, firing["body"], headers | {SIGNATURE: headers[SIGNATURE].upper()}).status_code
        == 202
    )


@pytest.fixture
def timestamped_key(db) -> tuple[IntegrationKey, str]:
    fixture = signed("resolved")
    return IntegrationKey.issue(
        name="grafana-ts",
        kind="grafana",
        signing_secret=fixture["secret"],
        timestamp_header=TIMESTAMP,
    )


def open_incident_for_resolved_fixture(raw: str) -> None:
    # The resolved fixture resolves the group the firing one opened (same groupKey).
    firing = signed("firing")
    assert deliver(raw, firing["body"], stamped(firing)).status_code == 202


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-300, True), (300, True), (301, False), (-301, False), (86400, False)]
)
def test_the_timestamp_may_be_at_most_the_configured_skew_away(
    timestamped_key, at_resolved_timestamp, offset, accepted
):
    _, raw = timestamped_key
    open_incident_for_resolved_fixture(raw)
    at_resolved_timestamp.advance(seconds=offset)
    resolved = signed("resolved")
    response = deliver(raw, resolved["body"], resolved["headers"])
    if accepted:
        assert response.status_code == 202, response.content
        assert Incident.objects.get().phase == "recovered"
    else:
        assert response.status_code == 401
        assert response.json()["error"]["message"] == (
            f"{TIMESTAMP} is {abs(offset)} s away from our clock (at most 300 s): replayed or clock skew."
        )
        assert Incident.objects.get().phase == "declared"


def test_the_skew_is_a_setting(timestamped_key, at_resolved_timestamp, settings):
    _, raw = timestamped_key
    settings.INTEGRATION_SIGNATURE_MAX_SKEW_SECONDS = 10
    at_resolved_timestamp.advance(seconds=11)
    resolved = signed("resolved")
    response = deliver(raw, resolved["body"], resolved["headers"])
    assert response.status_code == 401
    assert "(at most 10 s)" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (
            lambda h: {SIGNATURE: h[SIGNATURE]},
            f"{TIMESTAMP} is missing: this key signs with a timestamp.",
        ),
        (
            lambda h: h | {TIMESTAMP: "2026-03-01T12:12:05Z"},
            f"{TIMESTAMP} must be a Unix time in seconds.",
        ),
        (lambda h: h | {TIMESTAMP: "-1772367125"}, f"{TIMESTAMP} must be a Unix time in seconds."),
        (
            lambda h: h | {TIMESTAMP: str(int(h[TIMESTAMP]) + 1)},
            f"{SIGNATURE} does not match the body signed with this key's secret.",
        ),
    ],
    ids=["missing", "iso-date", "negative", "other-second"],
)
def test_bad_timestamps_are_401(timestamped_key, at_resolved_timestamp, headers, reason):
    _, raw = timestamped_key
    resolved = signed("resolved")
    response = deliver(raw, resolved["body"], headers(resolved["headers"]))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == reason


def test_a_custom_signature_header(db):
    firing = signed("firing")
    _, raw = IntegrationKey.issue(
        name="g",
        kind="grafana",
        signing_secret=firing["secret"],
        signature_header="X-Icc-Signature",
    )
    headers = stamped(firing)
    assert deliver(raw, firing["body"], headers).status_code == 401  # signed in the default header
    response = deliver(
        raw, firing["body"], {"X-Icc-Signature": headers[SIGNATURE], TIMESTAMP: headers[TIMESTAMP]}
    )
    assert response.status_code == 202


def test_without_a_secret_signatures_are_not_required(db):
    _, raw = IntegrationKey.issue(name="g", kind="grafana")
    firing = signed("firing")
    assert deliver(raw, firing["body"], {}).status_code == 202


def test_the_bearer_key_is_checked_before_the_signature(grafana_key):
    firing = signed("firing")
    response = deliver("icc_gr_wrong", firing["body"], firing["headers"])
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid or revoked grafana key."


# --- replays (#10, item 8) ------------------------------------------------------------------


def test_a_signed_delivery_is_accepted_once(timestamped_key, at_resolved_timestamp):
    """A captured delivery replayed inside the skew window used to be accepted again."""
    _, raw = timestamped_key
    open_incident_for_resolved_fixture(raw)
    resolved = signed("resolved")
    assert deliver(raw, resolved["body"], resolved["headers"]).status_code == 202
    evidence = AlertEvidence.objects.count()
    at_resolved_timestamp.advance(seconds=5)
    response = deliver(raw, resolved["body"], resolved["headers"])
    assert response.status_code == 401
    assert response.json()["error"]["message"] == (
        f"{SIGNATURE} was already used: a signed delivery is accepted once (replay)."
    )
    assert AlertEvidence.objects.count() == evidence


def test_a_replay_with_an_uppercase_signature_is_the_same_replay(grafana_key):
    _, raw = grafana_key
    firing = signed("firing")
    headers = stamped(firing)
    assert deliver(raw, firing["body"], headers).status_code == 202
    response = deliver(raw, firing["body"], headers | {SIGNATURE: headers[SIGNATURE].upper()})
    assert response.status_code == 401


def test_the_same_body_signed_again_later_is_a_new_delivery(grafana_key, clock):
    _, raw = grafana_key
    firing = signed("firing")
    assert deliver(raw, firing["body"], stamped(firing)).status_code == 202
    clock.advance(
        seconds=1
    )  # Grafana re-sends (a repeat interval): a new timestamp, a new signature
    assert deliver(raw, firing["body"], stamped(firing)).status_code == 202


def test_a_refused_delivery_may_be_retried_with_the_same_signature(grafana_key, settings):
    """A 429 (or 400, 5xx) is no acceptance: Grafana's retry of that request is not a replay."""
    _, raw = grafana_key
    firing = signed("firing")
    settings.INTEGRATION_RATE_LIMIT_PER_MINUTE = 1
    assert (
        deliver(raw, firing["body"], stamped(firing)).status_code == 202
    )  # this minute's one event
    evidence = AlertEvidence.objects.count()
    later = {
        **firing,
        "body": firing["body"] + " ",
    }  # the next notification: another body, another signature
    headers = stamped(later)
    assert deliver(raw, later["body"], headers).status_code == 429
    assert AlertEvidence.objects.count() == evidence
    settings.INTEGRATION_RATE_LIMIT_PER_MINUTE = 100  # the limit lifts (a new minute)

    assert (
        deliver(raw, later["body"], headers).status_code == 202
    )  # before the release: 401 "replay"
    assert AlertEvidence.objects.count() > evidence
    # Accepted once it went through: the same request again is a replay.
    assert deliver(raw, later["body"], headers).status_code == 401


def test_without_the_shared_cache_signed_deliveries_fail_closed(grafana_key, settings):
    _, raw = grafana_key
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}
    }  # nothing listens
    firing = signed("firing")
    response = deliver(raw, firing["body"], stamped(firing))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "replay_check_unavailable"
    assert not Incident.objects.exists() and not AlertEvidence.objects.exists()


# --- setting the secret ---------------------------------------------------------------------


def test_command_generates_a_signing_secret_for_grafana_keys(db):
    out, err = StringIO(), StringIO()
    call_command(
        "create_integration_key",
        "grafana-prod",
        "--kind",
        "grafana",
        "--signing-secret",
        "--timestamp-header",
        TIMESTAMP,
        stdout=out,
        stderr=err,
    )
    raw, secret = out.getvalue().split()
    key = IntegrationKey.objects.get()
    assert IntegrationKey.authenticate(raw, "grafana") == key
    assert key.signing_secret == secret and len(secret) >= 40 and key.timestamp_header == TIMESTAMP
    assert "signing secret (second line)" in err.getvalue()


@pytest.mark.parametrize(
    "args",
    [
        ["--kind", "alertmanager", "--signing-secret"],
        ["--kind", "grafana", "--timestamp-header", TIMESTAMP],
        ["--kind", "grafana", "--signing-secret", "--timestamp-header", "X Bad: header"],
    ],
)
def test_command_refuses_signing_options_that_cannot_work(db, args):
    with pytest.raises(CommandError):
        call_command("create_integration_key", "k", *args, stdout=StringIO(), stderr=StringIO())
    assert not IntegrationKey.objects.exists()


def admin_change(client, key: IntegrationKey, **fields):  # type: ignore[no-untyped-def]
    data = {
        "name": key.name,
        "model_map": "{}",
        "severity_map": "{}",
        "resolve_reaches_recovered": "on",
        "signature_header": key.signature_header,
        "timestamp_header": key.timestamp_header,
    } | fields
    return client.post(f"/admin/integrations/integrationkey/{key.pk}/change/", data)


def test_admin_sets_replaces_and_clears_the_secret_without_showing_it(client, admin_user):
    key, _ = IntegrationKey.issue(name="grafana-prod", kind="grafana")
    client.force_login(admin_user)
    assert admin_change(client, key, new_signing_secret="s" * 24).status_code == 302
    key.refresh_from_db()
    assert key.signing_secret == "s" * 24
    page = client.get(f"/admin/integrations/integrationkey/{key.pk}/change/").content.decode()
    assert "s" * 24 not in page  # write-only
    assert admin_change(client, key).status_code == 302  # blank keeps it
    key.refresh_from_db()
    assert key.signing_secret == "s" * 24
    assert admin_change(client, key, clear_signing_secret="on").status_code == 302
    key.refresh_from_db()
    assert key.signing_secret == ""


@pytest.mark.parametrize(
    ("kind", "fields", "error"),
    [
        ("grafana", {"new_signing_secret": "short"}, "at least 16 characters"),
        ("grafana", {"new_signing_secret": "s" * 24, "clear_signing_secret": "on"}, "not both"),
        ("grafana", {"timestamp_header": "X Bad: header"}, "Must be an HTTP header name"),
        ("alertmanager", {"new_signing_secret": "s" * 24}, "Only Grafana keys verify a signature"),
    ],
)
def test_admin_refuses_a_secret_that_cannot_work(client, admin_user, kind, fields, error):
    key, _ = IntegrationKey.issue(name="k", kind=kind)
    client.force_login(admin_user)
    response = admin_change(client, key, **fields)
    assert response.status_code == 200
    assert error in response.content.decode()
    key.refresh_from_db()
    assert key.signing_secret == "" and key.timestamp_header == ""
