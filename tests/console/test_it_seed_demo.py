"""`seed_demo`: idempotent demo data whose incidents have valid hash chains."""

from __future__ import annotations

import statistics

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from glossary.models import Term, TermVersion
from glossary.starter import STARTER_TERMS
from incidents.choices import (
    GROUP_ADMIN,
    GROUP_COMMANDER,
    GROUP_EXECUTIVE,
    GROUP_REGULATOR,
    GROUP_RESPONDER,
)
from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from incidents.models import (
    AffectedModel,
    ImpactRule,
    Incident,
    MetricPoint,
    Milestone,
    MonitoredModel,
    Playbook,
    RoleAssignment,
)
from publicstatus.models import Component, Maintenance, MaintenanceUpdate

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", verbosity=0)


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "memberships": User.groups.through.objects.count(),
        "models": MonitoredModel.objects.count(),
        "rules": ImpactRule.objects.count(),
        "points": MetricPoint.objects.count(),
        "playbooks": Playbook.objects.count(),
        "incidents": Incident.objects.count(),
        "affected": AffectedModel.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "milestones": Milestone.objects.count(),
        "entries": DecisionLogEntry.objects.count(),
        "terms": Term.objects.count(),
        "term_versions": TermVersion.objects.count(),
        "related": Term.related.through.objects.count(),
        "components": Component.objects.count(),
        "maintenances": Maintenance.objects.count(),
        "maintenance_updates": MaintenanceUpdate.objects.count(),
    }


def test_it_is_idempotent():
    seed()
    first = counts()
    heads = {i.pk: verify_chain(i.pk).head for i in Incident.objects.all()}
    seed()
    assert counts() == first
    assert {i.pk: verify_chain(i.pk).head for i in Incident.objects.all()} == heads
    assert all(first[k] > 0 for k in first), first


def test_it_seeds_personas_with_the_demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "s3cret-demo")
    seed()
    expected = {
        "commander": {GROUP_COMMANDER, GROUP_RESPONDER},
        "responder": {GROUP_RESPONDER},
        "executive": {GROUP_EXECUTIVE},
        "regulator": {GROUP_REGULATOR},
        "admin": {GROUP_ADMIN, GROUP_COMMANDER},
    }
    for username, groups in expected.items():
        user = authenticate(username=username, password="s3cret-demo")
        assert user is not None, username
        assert set(user.groups.values_list("name", flat=True)) == groups
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert authenticate(username="commander", password="demo") is None
    assert User.objects.filter(groups__name=GROUP_RESPONDER).count() >= 5


def test_it_seeds_incidents_in_several_phases_with_valid_chains():
    seed()
    incidents = list(Incident.objects.all())
    # Four live incidents (one a drill), four past ones for the metrics page (one a drill),
    # and the replayed drill with its debrief.
    assert len(incidents) == 9
    assert len({i.phase for i in incidents}) >= 3
    assert [i.is_drill for i in incidents].count(True) == 3
    for incident in incidents:
        report = verify_chain(incident.pk)
        assert report.valid, (incident.title, report.first_broken)
        assert report.entries >= 5
    kinds = set(DecisionLogEntry.objects.values_list("kind", flat=True))
    assert {
        "declaration",
        "role_change",
        "decision",
        "decision_request",
        "milestone",
        "note",
        "reference",
        "correction",
    } <= kinds
    sev1 = Playbook.objects.get(severity=1)
    assert sev1.approvals == {"customer_notice": "liaison_executive"}
    notice = DecisionLogEntry.objects.get(
        kind="decision",
        data__decision_type="customer_notice",
        incident__title__startswith="Fraud model",
    )
    assert notice.data["approved_by"] == "priya"


def test_it_seeds_models_with_impact_rules_and_an_excursion():
    seed()
    fraud = MonitoredModel.objects.get(slug="fraud-scoring")
    rule = fraud.impact_rules.get(metric="false_positive_rate")
    assert (rule.baseline, rule.customers_per_step, str(rule.revenue_per_step)) == (
        2.0,
        120,
        "8500.00",
    )
    assert MonitoredModel.objects.get(slug="recommendations").risk_tier == 3
    values = list(
        MetricPoint.objects.filter(model=fraud, metric="false_positive_rate").values_list(
            "value", flat=True
        )
    )
    assert len(values) >= 7 * 24 * 6
    assert statistics.median(values) < 2.0 < 5.0 < max(values)


def test_it_seeds_the_starter_glossary():
    seed()
    assert Term.objects.count() == len(STARTER_TERMS) >= 25
    names = set(Term.objects.values_list("name", flat=True))
    for spec in STARTER_TERMS:
        assert set(spec.get("related", [])) <= names, spec["name"]
    fp = Term.objects.get(slug="false-positive")
    assert "FP" in fp.variants and "false positives" in fp.variants
    assert fp.plain_definition and fp.technical_definition and fp.examples
    assert {"Precision", "Recall", "Threshold"} <= set(fp.related.values_list("name", flat=True))
    assert all(t.versions.count() == 1 for t in Term.objects.all())


def test_the_demo_has_a_published_update_in_the_inboxes_and_cadence_deadlines():
    from comms.models import Deadline, Delivery, StatusUpdate

    seed()
    seed()

    # The live fraud incident's update; past incidents' and the drill's news is already read.
    update = StatusUpdate.objects.get(status="published", incident__title__startswith="Fraud model")
    assert sorted(update.renditions.values_list("audience", flat=True)) == [
        "customer",
        "executive",
        "technical",
    ]
    inbox = {
        (d.user.username, d.audience)
        for d in Delivery.objects.filter(update=update, channel="inapp")
    }
    assert inbox == {
        ("commander", "technical"),
        ("responder", "technical"),
        ("executive", "executive"),
    }
    open_incidents = Incident.objects.open()  # drills too: cadence is enforced in drills
    assert set(Deadline.objects.open().values_list("incident", flat=True)) == set(
        open_incidents.values_list("pk", flat=True)
    )


def test_the_demo_shows_the_learning_loop():
    from learning.models import ActionItem, Drill, Review

    seed()
    seed()
    review = Review.objects.get()
    assert (
        review.is_published
        and review.incident.title == "Recommendations p95 latency spike at checkout"
    )
    assert review.action_items.count() == 3
    drill = Drill.objects.get()
    assert drill.status == Drill.Status.COMPLETED and drill.debrief and drill.incident.is_drill
    assert ActionItem.objects.filter(drill=drill).count() == 2


def test_the_public_page_shows_grouped_components_and_an_upcoming_maintenance(client):
    seed()
    html = client.get("/status/public/").content.decode()
    for text in ("Card payments", "Payments", "Credit decisions", "Payments platform upgrade"):
        assert text in html, text
    assert Maintenance.objects.get().announced_at is not None
