"""The audit trail (#10 item 11): each event recorded by its real path; append-only; admin-only exports."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

import audit
from api.models import ApiToken
from audit.models import Action, AuditEvent, AuditImmutable
from audit.receivers import safe_target
from comms.models import Subscription
from integrations.models import IntegrationKey
from tests.helpers import token_client

LIMIT = 10


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


# --- sign-ins ----------------------------------------------------------------


def test_a_sign_in_is_recorded_with_the_address(commander):
    assert _login(Client(REMOTE_ADDR="198.51.100.4"), "cara", "pw").status_code == 302
    [event] = _events(Action.SIGN_IN)
    assert event.actor == commander and event.actor_label == "cara"
    assert event.client_address == "198.51.100.4"


def test_a_failed_sign_in_is_recorded_with_the_name_tried_but_no_password(commander):
    _login(Client(REMOTE_ADDR="198.51.100.5"), "cara", "hunter2-guess")
    [event] = _events(Action.SIGN_IN_FAILED)
    assert event.actor is None and event.actor_label == "cara"
    assert event.client_address == "198.51.100.5"
    assert "hunter2" not in json.dumps(event.details)


def test_a_lockout_is_recorded(commander):
    client = Client(REMOTE_ADDR="198.51.100.6")
    for _ in range(LIMIT):
        _login(client, "cara", "wrong")
    assert _login(client, "cara", "pw").status_code == 429
    events = _events(Action.LOCKED_OUT)
    assert events, "no lockout recorded"
    assert events[0].client_address == "198.51.100.6"
    assert events[0].details["username"] == "cara"


# --- regulator reads -----------------------------------------------------------


def test_reading_the_regulator_page_is_recorded(regulator):
    client = Client(REMOTE_ADDR="198.51.100.8")
    client.force_login(regulator)
    assert client.get("/status/regulator/").status_code == 200
    [event] = _events(Action.REGULATOR_READ)
    assert event.actor == regulator and event.client_address == "198.51.100.8"
    assert event.details["path"] == "/status/regulator/"


def test_reading_regulator_updates_through_the_api_is_recorded(regulator):
    response = token_client(regulator).get("/api/v1/regulator/updates/")
    assert response.status_code == 200
    [event] = _events(Action.REGULATOR_READ)
    assert event.actor == regulator and event.actor_label == "reggie"
    assert event.details["path"] == "/api/v1/regulator/updates/"


def test_a_refused_regulator_read_is_not_a_read(outsider):
    client = Client()
    client.force_login(outsider)
    assert client.get("/status/regulator/").status_code in (302, 403)
    assert not _events(Action.REGULATOR_READ)


# --- admin changes -------------------------------------------------------------


def test_admin_add_change_and_delete_are_recorded_with_fields(admin_user):
    from django.contrib.auth.models import Group

    client = Client()
    client.force_login(admin_user)
    r = client.post("/admin/auth/group/add/", {"name": "auditors"})
    assert r.status_code == 302, r.content
    group = Group.objects.get(name="auditors")
    r = client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "auditors-2"})
    assert r.status_code == 302, r.content
    r = client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302, r.content
    [added] = _events(Action.ADMIN_ADD)
    [changed] = _events(Action.ADMIN_CHANGE)
    [deleted] = _events(Action.ADMIN_DELETE)
    for event in (added, changed, deleted):
        assert event.actor == admin_user
        assert event.details["model"] == "auth.Group" and event.details["object_id"] == str(
            group.pk
        )
    assert "Name" in changed.details["changes"] or "name" in changed.details["change_message"]


# --- tokens and integration keys ----------------------------------------------


def test_issuing_a_token_by_command_is_recorded(commander):
    call_command("issue_token", "cara", "--name", "ci", stdout=StringIO(), stderr=StringIO())
    [event] = _events(Action.TOKEN_ISSUED)
    token = ApiToken.objects.get()
    assert event.object_type == "api.ApiToken" and event.object_id == str(token.pk)
    assert event.actor_label == "command line"


def test_revoking_a_token_in_the_admin_is_recorded(commander, admin_user):
    token, _ = ApiToken.issue(user=commander, name="ci")
    client = Client()
    client.force_login(admin_user)
    r = client.post(
        f"/admin/api/apitoken/{token.pk}/change/",
        {"name": "ci", "revoked_at_0": "2026-01-01", "revoked_at_1": "00:00:00"},
    )
    assert r.status_code == 302, r.content
    [event] = _events(Action.TOKEN_REVOKED)
    assert event.actor == admin_user and event.object_id == str(token.pk)


def test_issuing_and_revoking_an_integration_key_is_recorded(admin_user):
    call_command(
        "create_integration_key",
        "prom",
        "--kind",
        "alertmanager",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    key = IntegrationKey.objects.get()
    [issued] = _events(Action.KEY_ISSUED)
    assert issued.object_id == str(key.pk)
    client = Client()
    client.force_login(admin_user)
    r = client.post(
        "/admin/integrations/integrationkey/", {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert r.status_code == 302
    [revoked] = _events(Action.KEY_REVOKED)
    assert revoked.actor == admin_user and revoked.object_id == str(key.pk)


# --- subscription targets -------------------------------------------------------


def test_creating_and_changing_a_subscription_target_is_recorded(commander):
    client = token_client(commander)
    r = client.post(
        "/api/v1/subscriptions/",
        {
            "name": "Ops webhook",
            "audience": "technical",
            "channel": "webhook",
            "target": "https://hooks.example.test/a",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    sub = Subscription.objects.get()
    [created] = _events(Action.SUBSCRIPTION_CREATED)
    assert created.actor == commander and created.details["target"] == safe_target(
        "webhook", "https://hooks.example.test/a"
    )
    r = client.patch(
        f"/api/v1/subscriptions/{sub.pk}/",
        {"target": "https://hooks.example.test/b"},
        format="json",
    )
    assert r.status_code == 200, r.content
    [changed] = _events(Action.SUBSCRIPTION_CHANGED)
    assert changed.actor == commander
    before, after = changed.details["changed"]["target"]
    assert before.startswith("https://hooks.example.test/… (sha256 ") and after.startswith(
        "https://hooks.example.test/…"
    )
    assert before != after  # the change shows, through the fingerprint


def test_the_trail_never_keeps_the_token_in_a_target(commander):
    slack = "https://hooks.slack.com/services/T000/B000/s3cr3tT0k3n"
    response = token_client(commander).post(
        "/api/v1/subscriptions/",
        {"name": "Slack", "audience": "technical", "channel": "slack", "target": slack},
        format="json",
    )
    assert response.status_code == 201, response.content
    [created] = _events(Action.SUBSCRIPTION_CREATED)
    assert "s3cr3tT0k3n" not in str(created.details) and created.details["target"].startswith(
        "https://hooks.slack.com/…"
    )


# --- append-only ---------------------------------------------------------------


@pytest.fixture
def event(db) -> AuditEvent:
    from audit import record

    return record(action=Action.SIGN_IN_FAILED, actor_label="x", details={"username": "x"})


def test_the_orm_refuses_changes_and_deletes(event):
    event.actor_label = "someone else"
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET actor_label = 'forged' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(event, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "x"


_UPSERT = {
    # SQLite: INSERT OR REPLACE deletes and re-inserts without firing a DELETE trigger.
    "sqlite": "INSERT OR REPLACE INTO audit_auditevent (id, at, actor_label, action, object_type, object_id, "
    "object_repr, details) VALUES (%s, '2026-01-01 00:00:00', 'forged', 'sign_in', '', '', '', '{}')",
    "postgresql": "INSERT INTO audit_auditevent (id, at, actor_label, action, object_type, object_id, object_repr, details)"
    " VALUES (%s, now(), 'forged', 'sign_in', '', '', '', '{}') ON CONFLICT (id) DO UPDATE SET actor_label = 'forged'",
}


def test_the_database_refuses_an_upsert_over_an_existing_event(event):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_UPSERT[connection.vendor], [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "x"


@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_truncate(postgres_only, event):
    """Committed rows, so the refusal comes from our trigger and nothing else."""
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_is_read_only(event, admin_user):
    client = Client()
    client.force_login(admin_user)
    page = client.get("/admin/audit/auditevent/?action=sign_in_failed&q=x")
    assert page.status_code == 200 and b"sign" in page.content.lower()
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert (
        client.post(
            f"/admin/audit/auditevent/{event.pk}/change/", {"actor_label": "forged"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "x"


# --- exports -------------------------------------------------------------------


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_exports_contain_the_events_with_filters(commander, admin_user):
    _login(Client(REMOTE_ADDR="198.51.100.4"), "cara", "pw")
    _login(Client(REMOTE_ADDR="198.51.100.5"), "cara", "wrong")
    client = Client()
    client.force_login(
        admin_user
    )  # force_login sends no user_logged_in... it does: filter it out below
    r = client.get("/audit/export.csv?action=sign_in_failed")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_body(r))))
    assert [(row["action"], row["actor_label"], row["client_address"]) for row in rows] == [
        ("sign_in_failed", "cara", "198.51.100.5")
    ]
    r = client.get("/audit/export.jsonl")
    assert r.status_code == 200
    lines = [json.loads(line) for line in _body(r).splitlines()]
    actions = [line["action"] for line in lines]
    assert "sign_in" in actions and "sign_in_failed" in actions
    assert any(line["client_address"] == "198.51.100.4" for line in lines)


def test_a_bad_export_filter_is_a_400_naming_the_field(admin_user):
    client = Client()
    client.force_login(admin_user)
    r = client.get("/audit/export.jsonl?since=yesterday")
    assert r.status_code == 400 and "since" in r.json()["error"]["fields"]
    r = client.get("/audit/export.csv?action=nope")
    assert r.status_code == 400 and "action" in r.json()["error"]["fields"]


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://evil")', "@SUM(1)", "\t=1+1", "\r=1+1"])
def test_csv_export_defuses_spreadsheet_formulas(admin_user, typed):
    # The user name typed at a failed sign-in is the attacker's text (the login form strips
    # surrounding whitespace, so the tab and CR forms are recorded directly).
    if typed[0] in "\t\r":
        audit.record(action=Action.SIGN_IN_FAILED, actor_label=typed)
    else:
        _login(Client(), typed, "x")
    client = Client()
    client.force_login(admin_user)
    rows = list(
        csv.DictReader(io.StringIO(_body(client.get("/audit/export.csv?action=sign_in_failed"))))
    )
    assert rows[0]["actor_label"] == "'" + typed


@pytest.mark.parametrize("url", ["/audit/export.csv", "/audit/export.jsonl"])
def test_non_admins_cannot_export(url, commander, regulator, responder):
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    for user in (commander, regulator, responder):
        client = Client()
        client.force_login(user)
        r = client.get(url)
        assert r.status_code in (302, 403)
        assert not hasattr(r, "streaming_content")
