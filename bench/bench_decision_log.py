"""Benchmark of the decision log under concurrent writers, on PostgreSQL.

Eight processes append 500 notes each to ONE incident through the real path
(`incidents.decisions.add_note`: one transaction per entry, the incident row
locked, the previous hash read, the new hash computed, the row inserted past
the log's triggers). Baseline in the same run: the same eight processes
insert 500 rows each through the ORM (`Model.objects.create`, as the
application writes rows), one transaction per row, into a scratch table of the
same shape (`CREATE TABLE … (LIKE incidents_decisionlogentry INCLUDING ALL)`:
same columns, types, defaults, checks and indexes; no triggers, no foreign
keys, no chain). Forks: entries that share a predecessor. The chain is then
verified end to end. On SQLite (one writer at a time) the section says so and
sets no goals: run with DATABASE_URL pointing at PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import time

from benchkit import QUICK, Figure, report, setup_django

setup_django("icc-bench-log-")

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, models  # noqa: E402
from django.utils import timezone  # noqa: E402

from comms import workflows  # noqa: E402
from incidents.decision_log.models import DecisionLogEntry  # noqa: E402
from incidents.decision_log.verify import verify_chain  # noqa: E402
from incidents.decisions import add_note  # noqa: E402
from incidents.models import Incident  # noqa: E402

WRITERS = 8
PER_WRITER = int(os.environ.get("BENCH_LOG_APPENDS", "100" if QUICK else "500"))
PLAIN = "bench_plain_log"


def _log_writer(incident_id: int, user_id: int, writer: int, start, done) -> None:
    incident = Incident.objects.get(pk=incident_id)
    user = User.objects.get(pk=user_id)
    start.wait()
    for i in range(PER_WRITER):
        add_note(incident=incident, by=user, text=f"Writer {writer}, note {i}")
    done.put(time.monotonic())


class PlainEntry(models.Model):
    """The log's columns on the scratch table: what a plain insert of the same row writes."""

    incident_id = models.BigIntegerField()
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    recorded_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=32, blank=True)
    summary = models.TextField()
    data = models.JSONField(default=dict)
    corrects_id = models.BigIntegerField(null=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        app_label = "incidents"
        db_table = PLAIN
        managed = False


def _plain_writer(incident_id: int, user_id: int, writer: int, start, done) -> None:
    start.wait()
    for i in range(PER_WRITER):
        PlainEntry.objects.create(
            incident_id=incident_id,
            sequence=writer * 100_000 + i + 1,
            kind="note",
            recorded_at=timezone.now(),
            actor_id=user_id,
            actor_label="bench",
            summary=f"Writer {writer}, note {i}",
            prev_hash=secrets.token_hex(32),
            hash=secrets.token_hex(32),
        )
    done.put(time.monotonic())


def run(target, incident_id: int, user_id: int) -> float:
    """Run WRITERS processes of `target` at once; return rows per second, start to last finish."""
    ctx = multiprocessing.get_context("fork")
    start, done = ctx.Barrier(WRITERS + 1), ctx.Queue()
    connections.close_all()  # each child opens its own connection
    procs = [
        ctx.Process(target=target, args=(incident_id, user_id, w, start, done))
        for w in range(WRITERS)
    ]
    for p in procs:
        p.start()
    start.wait()
    began = time.monotonic()
    finished = [done.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(30)
        if p.exitcode != 0:
            raise RuntimeError(f"a writer failed (exit {p.exitcode})")
    return WRITERS * PER_WRITER / (max(finished) - began)


def main() -> None:
    call_command("migrate", verbosity=0)
    commander, _ = User.objects.get_or_create(username="bench-commander")
    commander.groups.set(
        [Group.objects.get_or_create(name=n)[0] for n in ("commander-eligible", "responder")]
    )
    incident = workflows.declare_incident(by=commander, title="Log benchmark", severity=2)
    if connection.vendor != "postgresql":
        report(
            "Decision log",
            "PostgreSQL only (row locks under concurrent writers): this run used SQLite, so nothing "
            "was measured. Run `make bench` with DATABASE_URL pointing at PostgreSQL.",
            [Figure("measured", 0, detail="needs PostgreSQL")],
            order=30,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN}")
        cursor.execute(
            f"CREATE TABLE {PLAIN} (LIKE {DecisionLogEntry._meta.db_table} INCLUDING ALL)"
        )
    before = DecisionLogEntry.objects.filter(incident=incident).count()
    plain = run(_plain_writer, incident.pk, commander.pk)
    log = run(_log_writer, incident.pk, commander.pk)
    entries = DecisionLogEntry.objects.filter(incident=incident)
    appended = entries.count() - before
    forks = appended + before - len(set(entries.values_list("prev_hash", flat=True)))
    report_ = verify_chain(incident.pk)
    report(
        "Decision log",
        f"{WRITERS} processes × {PER_WRITER} appends to one incident through `add_note` (one transaction "
        "each: incident row locked, previous hash read, entry hashed and inserted past the log's triggers), "
        f"against the same {WRITERS} × {PER_WRITER} single-row inserts through the ORM (`objects.create`, one "
        "transaction each) into a "
        "scratch table of the same shape without triggers, foreign keys or chain, in the same run.",
        [
            Figure(
                "appends per second ÷ plain inserts per second",
                log / plain,
                "×",
                goal=">= 0.5",
                detail=f"{log:,.0f} appends/s vs {plain:,.0f} inserts/s",
            ),
            Figure("forks (entries sharing a predecessor)", forks, goal="== 0"),
            Figure(
                "chain valid after the run",
                float(report_.valid),
                goal="== 1",
                detail=f"{report_.entries:,} entries verified ({appended:,} appended here)",
            ),
            Figure("entries lost", WRITERS * PER_WRITER - appended, goal="== 0"),
        ],
        order=30,
    )


if __name__ == "__main__":
    main()
