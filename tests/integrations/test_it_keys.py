"""Integration keys: issued once, stored hashed, scoped to a kind, revocable; command and admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.models import IntegrationKey, key_digest


def test_issue_stores_only_a_digest(db):
    key, raw = IntegrationKey.issue(name="am", kind="alertmanager")
    assert raw.startswith("icc_al_")
    assert key.digest == key_digest(raw) and raw not in (key.digest, key.prefix)
    assert IntegrationKey.authenticate(raw, "alertmanager") == key
    assert IntegrationKey.authenticate(raw, "grafana") is None
    key.revoke()
    assert IntegrationKey.authenticate(raw, "alertmanager") is None


def test_command_prints_the_raw_key_once(fraud_model):
    out, err = StringIO(), StringIO()
    call_command(
        "create_integration_key",
        "prod-am",
        "--kind",
        "alertmanager",
        "--model",
        "fraud-scoring",
        stdout=out,
        stderr=err,
    )
    raw = out.getvalue().strip()
    key = IntegrationKey.objects.get()
    assert key.name == "prod-am" and key.kind == "alertmanager" and key.default_model == fraud_model
    assert IntegrationKey.authenticate(raw, "alertmanager") == key
    assert "not shown again" in err.getvalue()


def test_command_refuses_an_unknown_model(db):
    with pytest.raises(CommandError):
        call_command(
            "create_integration_key", "x", "--kind", "metrics", "--model", "nope", stdout=StringIO()
        )
    assert not IntegrationKey.objects.exists()


def test_command_refuses_an_unknown_kind(db):
    with pytest.raises(CommandError):
        call_command("create_integration_key", "x", "--kind", "nagios", stdout=StringIO())


def test_admin_creates_a_key_and_shows_it_once(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/integrations/integrationkey/add/",
        {
            "name": "grafana-prod",
            "kind": "grafana",
            "model_map": "{}",
            "severity_map": "{}",
            "resolve_reaches_recovered": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    key = IntegrationKey.objects.get()
    shown = [str(m) for m in response.context["messages"] if "not shown again" in str(m)]
    assert len(shown) == 1
    raw = shown[0].split(": ", 1)[1].split(" ")[0]
    assert IntegrationKey.authenticate(raw, "grafana") == key
    assert key.created_by == admin_user


def test_admin_revokes_keys(client, admin_user):
    key, raw = IntegrationKey.issue(name="pd", kind="pagerduty")
    client.force_login(admin_user)
    client.post(
        "/admin/integrations/integrationkey/", {"action": "revoke", "_selected_action": [key.pk]}
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert IntegrationKey.authenticate(raw, "pagerduty") is None
