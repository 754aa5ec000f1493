from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken, digest
from incidents.models import Incident
from tests.helpers import error_fields

LIST = "/api/v1/incidents/"


def with_key(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_a_valid_token_authenticates(commander):
    token, raw = ApiToken.issue(user=commander, name="ci")
    assert with_key(raw).get(LIST).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(commander):
    token, raw = ApiToken.issue(user=commander)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    r = with_key(raw).get(LIST)
    assert r.status_code == 401
    assert r["WWW-Authenticate"] == "Token"
    error_fields(r)


def test_a_token_of_an_inactive_user_is_refused(commander):
    _, raw = ApiToken.issue(user=commander)
    commander.is_active = False
    commander.save()
    assert with_key(raw).get(LIST).status_code == 401


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token icc_not-a-real-key", "Token ÿ"])
def test_bad_authorization_headers_are_refused(commander, header):
    ApiToken.issue(user=commander)
    r = APIClient().get(LIST, HTTP_AUTHORIZATION=header)
    assert r.status_code == 401


def test_no_credentials_is_401(db):
    r = APIClient().get(LIST)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"


def test_the_raw_key_is_not_stored(commander):
    token, raw = ApiToken.issue(user=commander)
    assert token.digest == digest(raw) != raw
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        rows = cursor.fetchall()
    assert rows and not any(raw in str(value) for row in rows for value in row)


def test_issue_token_prints_a_working_key(commander):
    out, err = StringIO(), StringIO()
    call_command("issue_token", "cara", "--name", "alertmanager", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("icc_") and "\n" not in raw
    token = ApiToken.objects.get(user=commander)
    assert token.name == "alertmanager" and token.digest == digest(raw)
    assert "will not be shown again" in err.getvalue()
    assert with_key(raw).get(LIST).status_code == 200


def test_issue_token_refuses_unknown_users(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("issue_token", "ghost", stdout=StringIO())
    assert ApiToken.objects.count() == 0


def test_session_auth_enforces_csrf_on_writes(commander):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(commander)
    assert client.get(LIST).status_code == 200
    body = {"title": "From the console", "severity": 4}
    refused = client.post(LIST, body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    assert Incident.objects.count() == 0
    client.get("/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert client.post(LIST, body, format="json", HTTP_X_CSRFTOKEN=token).status_code == 201
