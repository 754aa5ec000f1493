from __future__ import annotations

import re
from io import StringIO

from django.core.management import call_command
from rest_framework.test import APIClient


def test_the_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn raises on any warning or error drf-spectacular reports.
    call_command(
        "spectacular",
        "--fail-on-warn",
        "--validate",
        "--file",
        str(tmp_path / "schema.yml"),
        stderr=StringIO(),
    )
    text = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/incidents/{incident_id}/log/verify/:" in text
    assert "tokenAuth" in text


def test_the_schema_is_served(db):
    r = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/incidents/" in paths
    # The log is append-only: its entries offer no write method at all.
    assert not {"put", "patch", "delete", "post"} & set(
        paths["/api/v1/incidents/{incident_id}/log/{sequence}/"]
    )
    assert not {"put", "patch", "delete"} & set(paths["/api/v1/incidents/{incident_id}/log/"])


def test_swagger_ui_needs_no_inline_script(db):
    r = APIClient().get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    nonce = re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in html
    init = APIClient().get("/api/docs/?script=")
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in init.content.decode()
