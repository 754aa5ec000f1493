"""The demo's past incidents give the metrics page something in every column, and are seeded once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from comms.models import Delivery
from incidents.decision_log.verify import verify_chain
from incidents.models import Incident
from learning import communication_metrics, demo_metrics


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    return {u.username: u for u in User.objects.all()}


HISTORY = [
    "Fraud scoring over-blocking after a rules sync",
    "Credit-risk scores drift after a bureau feed change",
    "Checkout recommendations outage",
    "Drill: fraud false positives after a feature-store outage",
]


def test_history_fills_every_metric_and_is_seeded_once(demo, clock):
    """seed_demo wrote the history; a second seed_history writes nothing."""
    before = Incident.objects.count()
    new = Incident.objects.filter(title__in=HISTORY)
    assert new.count() == 4
    assert sorted(new.values_list("is_drill", flat=True)) == [False, False, False, True]
    assert all(verify_chain(i.pk).valid for i in new)
    # Past news: nothing left to send, nothing unread.
    assert not Delivery.objects.filter(incident__in=new).exclude(status="delivered").exists()
    assert not Delivery.objects.filter(incident__in=new, read_at__isnull=True).exists()

    by_title = {m.title: m for m in communication_metrics.for_incidents(new)}
    for m in by_title.values():
        assert m.time_to_first_update is not None and m.time_to_containment is not None, m.title
        assert m.decision_times and m.satisfaction and sum(t for _, t in m.slots.values()), m.title
    outage = by_title["Checkout recommendations outage"]
    assert (outage.time_to_first_update, outage.time_to_containment, outage.decision_times) == (
        communication_metrics.timedelta(minutes=12),
        communication_metrics.timedelta(minutes=35),
        [communication_metrics.timedelta(minutes=6)],
    )
    # SEV1 cadence 15/30/60/60 min: reminded at +45 technical and executive, at +70 technical and
    # regulator (both escalated then, 5 min grace), at +76 customer.
    assert outage.slots == {
        "customer": (1, 2),
        "executive": (1, 2),
        "regulator": (0, 1),
        "technical": (2, 4),
    }
    assert (outage.reminders, outage.escalations) == (5, 2)
    drill = by_title["Drill: fraud false positives after a feature-store outage"]
    # 30 wall seconds detection → declaration; contained 150 s after detection: 150 drill minutes.
    assert (drill.clock_factor, drill.time_to_containment, drill.decision_times) == (
        60,
        communication_metrics.timedelta(minutes=150),
        [communication_metrics.timedelta(minutes=45)],
    )
    rep = communication_metrics.report(communication_metrics.Filters())
    assert len(rep.real.aggregates.by_month) >= 3  # a trend, not a point

    assert demo_metrics.seed_history(demo) == 0
    assert Incident.objects.count() == before
