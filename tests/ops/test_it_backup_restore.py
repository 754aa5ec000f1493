"""Backups leave this installation and come back: into another database, and from pg_dump.

1. export_incidents here, import_incidents (a subprocess) into a freshly migrated second
   database: verify_decision_log passes there, the incident page and the log's verify
   endpoint show the incident, and exporting it again gives the same file.
2. pg_dump -Fc of the test database, pg_restore into an empty one: verify_decision_log
   passes, /readyz answers ready (database and migrations), and the append-only triggers
   came along (an UPDATE of a log entry is refused).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from console.backup.export import export_lines
from incidents.decision_log.checkpoints import checkpoint_incident
from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint
from incidents.decision_log.signing import public_key_text
from incidents.decisions import add_note
from tests.fixtures.delivery import database_url
from tests.helpers import race
from tests.ops.backup_support import build_incident, burn_ids, dump, export

pytestmark = [pytest.mark.django_db(transaction=True)]

MANAGE = str(Path(__file__).resolve().parents[2] / "manage.py")


def pg_args() -> list[str]:
    s = connection.settings_dict
    return ["-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"]]


@pytest.fixture
def second_database(tmp_path) -> Iterator[str]:
    """The DATABASE_URL of an empty database beside the test database; dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'target.sqlite3'}"
        return
    name = connection.settings_dict["NAME"].removeprefix("test_") + "_target"
    subprocess.run(["dropdb", *pg_args(), "--if-exists", name], check=True)  # noqa: S603, S607
    subprocess.run(["createdb", *pg_args(), name], check=True)  # noqa: S603, S607
    try:
        yield database_url().rsplit("/", 1)[0] + "/" + name
    finally:
        subprocess.run(["dropdb", *pg_args(), "--force", name], check=True)  # noqa: S603, S607


def manage(url: str, *args: str, stdin: str | None = None, **env: str):
    """Run manage.py against the database at `url`, as an operator would."""
    return subprocess.run(  # noqa: S603  our own manage.py
        [sys.executable, MANAGE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ
        | {"DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY") or "test-only"}
        | env,
    )


def ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def printed_json(result) -> dict:
    """The JSON a `shell -c` script printed last (shell itself may say more before it)."""
    return json.loads(ok(result).splitlines()[-1])


PAGE_CHECK = """
import json
from django.contrib.auth.models import User
from django.test import Client
from incidents.models import Incident
incident = Incident.objects.get()
client = Client()
client.force_login(User.objects.create_superuser("auditor", "a@example.test", None))
page = client.get(incident.get_absolute_url())
verify = client.get(f"/api/v1/incidents/{incident.pk}/log/verify/")
print(json.dumps({"page": page.status_code, "html": page.content.decode(),
                  "verify": verify.json()}))
"""


def test_an_export_imports_into_another_installation_and_verifies_there(
    signer, commander, responder, fraud_model, second_database
):
    burn_ids()  # the target starts at id 1: these ids must differ there
    incident = build_incident(commander, responder, fraud_model, title="Fraud FP surge")
    objects = export("--incident", str(incident.pk))
    trust = {"LOG_TRUSTED_PUBLIC_KEYS": public_key_text(signer.public_key)}
    target = second_database
    ok(manage(target, "migrate", "--no-input", "-v", "0"))

    out = ok(manage(target, "import_incidents", "-", stdin=dump(objects), **trust))
    assert "Imported 1 incidents; every log verifies." in out and ", intact (" in out
    verified = ok(manage(target, "verify_decision_log", **trust))
    assert "1 decision logs" in verified and "(1 match a signed checkpoint, 0 unsigned)" in verified

    shown = printed_json(
        manage(target, "shell", "-c", PAGE_CHECK, ALLOWED_HOSTS="testserver", **trust)
    )
    assert shown["page"] == 200 and "Fraud FP surge" in shown["html"]
    assert "Rolled back to v40, not v41" in shown["html"]
    assert shown["verify"]["status"] == "intact"
    assert shown["verify"]["entries"] == DecisionLogEntry.objects.filter(incident=incident).count()
    assert shown["verify"]["head"] == DecisionLogEntry.objects.filter(incident=incident).last().hash

    again = [json.loads(t) for t in ok(manage(target, "export_incidents", **trust)).splitlines()]
    ref = again[1]["ref"]
    assert ref != incident.reference
    assert [{**o, "ref": ref} if "ref" in o else o for o in objects[1:]] == again[1:]
    # A second import of the same file is refused, and leaves the target as it was.
    twice = manage(target, "import_incidents", "-", stdin=dump(objects), **trust)
    assert twice.returncode == 1 and "is already on this installation as " + ref in twice.stderr


@pytest.mark.postgres
def test_a_pg_dump_restores_into_an_empty_database_that_verifies_and_is_ready(
    postgres_only,
    signer,
    commander,
    responder,
    fraud_model,
    second_database,
    tmp_path,
    celery_redis,
):
    for title in ("Fraud FP surge", "Credit drift"):
        build_incident(commander, responder, fraud_model, title=title)
    entries = DecisionLogEntry.objects.count()
    dump_file = tmp_path / "console.dump"
    source = connection.settings_dict["NAME"]
    subprocess.run(  # noqa: S603, S607
        ["pg_dump", *pg_args(), "-Fc", "-f", str(dump_file), source], check=True
    )
    target = second_database
    target_name = target.rsplit("/", 1)[1]
    subprocess.run(  # noqa: S603, S607
        [
            "pg_restore",
            *pg_args(),
            "--no-owner",
            "--exit-on-error",
            "-d",
            target_name,
            str(dump_file),
        ],
        check=True,
    )

    trust = {"LOG_TRUSTED_PUBLIC_KEYS": public_key_text(signer.public_key)}
    verified = ok(manage(target, "verify_decision_log", **trust))
    assert f"2 decision logs, {entries} entries: all chains intact" in verified
    assert "(2 match a signed checkpoint, 0 unsigned)" in verified

    ready = printed_json(
        manage(
            target,
            "shell",
            "-c",
            READY_CHECK,
            REDIS_URL=celery_redis.url,
            ALLOWED_HOSTS="testserver",
        )
    )
    assert ready["status"] == 200, ready
    assert ready["body"]["checks"]["database"]["ok"] and ready["body"]["checks"]["migrations"]["ok"]

    with psycopg.connect(dbname=target_name, **_pg_kwargs()) as conn:
        with pytest.raises(
            psycopg.errors.InsufficientPrivilege, match="decision log is append-only"
        ):
            conn.execute("UPDATE incidents_decisionlogentry SET summary = 'x' WHERE sequence = 1")


READY_CHECK = """
import json, time
from django.test import Client
from console import heartbeats
heartbeats.record(heartbeats.WORKER_KEY, time.time())
heartbeats.record(heartbeats.BEAT_KEY, time.time())
response = Client().get("/readyz")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def _pg_kwargs() -> dict[str, str]:
    s = connection.settings_dict
    return {
        "host": s["HOST"] or "127.0.0.1",
        "port": str(s["PORT"] or 5432),
        "user": s["USER"],
        **({"password": s["PASSWORD"]} if s.get("PASSWORD") else {}),
    }


@pytest.mark.postgres
def test_an_export_reads_one_snapshot_while_the_log_grows(
    postgres_only, signer, commander, responder, fraud_model
):
    """A note and a checkpoint committed mid-export are not in it: the file still verifies."""
    incident = build_incident(commander, responder, fraud_model)
    lines = export_lines([incident.pk])
    taken = [json.loads(next(lines)) for _ in range(3)]  # header, incident, entry #1
    assert taken[2]["type"] == "entry"

    def append_and_sign() -> int:
        add_note(incident=incident, by=commander, text="Written while the export ran")
        checkpoint = checkpoint_incident(incident_id=incident.pk, signer=signer)
        assert checkpoint is not None
        return checkpoint.sequence

    [head] = race(append_and_sign, threads=1)
    rest = [json.loads(text) for text in lines]
    objects = taken + rest
    assert max(o["content"]["sequence"] for o in objects if o["type"] == "entry") == head - 1
    assert all(o["sequence"] < head for o in objects if o["type"] == "checkpoint")
    assert LogCheckpoint.objects.filter(incident=incident, sequence=head).exists()
