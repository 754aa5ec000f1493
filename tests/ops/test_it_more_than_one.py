"""More than one of everything: two web processes, two Celery workers and two beats.

One PostgreSQL (the test database) and one Redis (a private one). A SEV1 is
driven over HTTP through both web processes in turn: declared on the first;
its technical deadline missed (moved into the past in the database, past the
grace: the rows are the schedule, so this is what waiting would do), so the
ticks of both beats, run by both workers, remind and escalate it; an update
published on the second fans out to twenty webhook subscribers on a real
sink. A drill runs beside it at clock factor 300. Then: one reminder per slot
and person, one escalation per step and person, one delivery per subscriber
(and each received once), each drill step applied once, both logs one chain
without forks. Nothing waits by sleeping: every wait polls with a deadline.
docs/deploy.md describes running the console this way.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.db.models import Count
from django.utils import timezone

from api.models import ApiToken
from comms.models import Channel, Deadline, Delivery, DeliveryAttempt, Subscription
from incidents.choices import Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from incidents.models import Incident, MetricPoint
from incidents.services import assign_role
from learning.drills import runs
from learning.models import Drill, DrillStep
from tests.fixtures.daemons import start_web
from tests.fixtures.delivery import start_beat, valid_secret
from tests.helpers import wait_until

pytestmark = [pytest.mark.postgres]

SUBSCRIBERS = 20


@pytest.fixture
def everything_twice(transactional_db, celery_redis, celery_worker_factory, tmp_path):
    webs = [start_web(celery_redis, tmp_path, f"web-{i}") for i in (1, 2)]
    celery_worker_factory(celery_redis)
    celery_worker_factory(celery_redis)
    beats = []
    for i in (1, 2):  # as deployed, but ticking every second
        folder = tmp_path / f"beat-{i}"
        folder.mkdir()
        beats.append(start_beat(celery_redis, folder, CADENCE_TICK_SECONDS="1"))
    yield [base for _, base in webs]
    for beat in beats:
        beat.stop()
    for process, _ in webs:
        process.terminate()
        process.wait(20)


def test_nothing_happens_twice_and_nothing_is_lost(
    postgres_only, everything_twice, commander, responder, fraud_model, webhook_sink
):
    first, second = everything_twice
    _, raw = ApiToken.issue(user=commander, name="multi")
    auth = {"Authorization": f"Token {raw}"}
    for i in range(SUBSCRIBERS):
        Subscription.objects.create(
            name=f"Receiver {i}",
            channel=Channel.WEBHOOK,
            target=webhook_sink.url(f"/hook/{i}"),
            secret=valid_secret(),
            audience="technical",
            min_severity=4,
            created_by=commander,
        )

    # Declared on the first web process.
    declared = httpx.post(
        f"{first}/api/v1/incidents/",
        json={
            "title": "Fraud model false-positive surge",
            "severity": 1,
            "models": [{"slug": fraud_model.slug}],
        },
        headers=auth,
        timeout=30,
    )
    assert declared.status_code == 201, declared.text
    incident = Incident.objects.get(pk=declared.json()["id"])
    assign_role(incident=incident, role=Role.EXECUTIVE, user=responder, by=commander)

    # The technical slot is missed past its grace; the other audiences' slots are far ahead.
    deadlines = Deadline.objects.open().filter(incident=incident)
    deadlines.exclude(audience="technical").update(due_at=timezone.now() + timedelta(hours=2))
    missed = deadlines.get(audience="technical")
    Deadline.objects.filter(pk=missed.pk).update(due_at=timezone.now() - timedelta(minutes=11))

    # A drill beside it, its steps applied by the learning ticks of both beats.
    drill = runs.start_drill(by=commander, scenario="fraud-fp-surge", clock_factor=300)

    # Reminded and escalated by the ticks.
    wait_until(
        lambda: (
            Deadline.objects.filter(pk=missed.pk, escalation_step__gte=1).exists()
            and Delivery.objects.filter(
                deadline_id=missed.pk, kind="escalation", status="delivered"
            ).exists()
        ),
        timeout=60,
        what="the missed slot reminded and escalated",
    )

    # Published on the second web process; fanned out by both workers.
    base = f"{second}/api/v1/incidents/{incident.pk}/updates/"
    draft = httpx.post(
        base,
        json={
            "what_changed": "Rolled the fraud model back to v41.",
            "renditions": {"technical": {"summary": "v41 live; FP rate 1.8 %"}},
        },
        headers=auth,
        timeout=30,
    )
    assert draft.status_code == 201, draft.text
    published = httpx.post(
        f"{base}{draft.json()['number']}/publish/", json={}, headers=auth, timeout=30
    )
    assert published.status_code == 200, published.text
    updates = Delivery.objects.filter(incident=incident, kind="update", channel="webhook")
    wait_until(
        lambda: updates.filter(status="delivered").count() == SUBSCRIBERS,
        timeout=60,
        what="every subscriber delivered",
    )
    wait_until(
        lambda: Drill.objects.filter(pk=drill.pk, debriefed_at__isnull=False).exists(),
        timeout=60,
        what="the drill's last step and debrief",
    )

    # One reminder per slot and person (and channel), one escalation per step and person.
    for kind in ("reminder", "escalation"):
        per_person = Counter(
            Delivery.objects.filter(deadline_id=missed.pk, kind=kind).values_list(
                "user_id", "channel"
            )
        )
        assert per_person and set(per_person.values()) == {1}, (kind, per_person)
    # One delivery per subscriber, each received exactly once.
    assert updates.count() == SUBSCRIBERS
    received = Counter(r.headers["webhook-id"] for r in webhook_sink.received())
    assert set(received) == {str(pk) for pk in updates.values_list("pk", flat=True)}
    attempts = list(
        DeliveryAttempt.objects.filter(delivery__in=updates).values_list(
            "delivery_id", "ok", "error"
        )
    )
    assert set(received.values()) == {1}, attempts
    # Each drill step applied once: events logged once each, points written once each.
    steps = DrillStep.objects.filter(drill=drill)
    assert not steps.filter(applied_at__isnull=True).exists()
    events = steps.filter(kind="event").count()
    logged = DecisionLogEntry.objects.filter(
        incident=drill.incident, actor_label__startswith="drill:"
    ).count()
    assert logged == events
    assert MetricPoint.objects.filter(is_drill=True).count() == steps.filter(kind="metric").count()
    # Both logs are one chain each: no two entries share a predecessor, and they verify.
    for one in (incident, drill.incident):
        forks = (
            DecisionLogEntry.objects.filter(incident=one)
            .values("prev_hash")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not forks.exists()
        assert verify_chain(one.pk).valid
