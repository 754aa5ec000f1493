"""`Incident.suppress_external` keeps an incident's messages in-app; comms reads it off the incident.

No drill is involved here: comms asks the incident itself (no hook installed by
another app, no query per incident), so setting the field is all it takes.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comms import cadence_tick, fanout, subscriptions, workflows
from comms.models import Delivery
from comms.services import create_draft, publish_update
from incidents.models import Incident


@pytest.fixture
def channels(commander, executive):
    """One subscriber per external channel, and a user subscription (in-app and e-mail)."""
    make = subscriptions.create_subscription
    make(
        by=commander,
        name="Hook",
        audience="technical",
        channel="webhook",
        target="https://hooks.example.test/incidents",
    )
    make(
        by=commander,
        name="Slack",
        audience="technical",
        channel="slack",
        target="https://hooks.slack.com/services/T/B/x",
    )
    return make(by=executive, name="Eve", audience="technical")


def declare(commander, fraud_model, *, suppress_external: bool) -> Incident:
    incident = workflows.declare_incident(
        by=commander,
        title="FP surge",
        severity=2,
        models=[(fraud_model, "")],
        suppress_external=suppress_external,
    )
    assert incident.is_drill is False  # the field alone decides, drill or not
    return incident


def publish(incident: Incident, by) -> list[tuple[str, str]]:
    update = create_draft(
        incident=incident,
        by=by,
        what_changed="Rolled back",
        renditions={"technical": {"summary": "Card declines are back to normal"}},
    )
    publish_update(update=update, by=by)
    return sorted((d.subscription.name, d.channel) for d in Delivery.objects.filter(update=update))


def test_an_incident_that_suppresses_external_channels_sends_only_in_app(
    clock, commander, fraud_model, channels
):
    quiet = declare(commander, fraud_model, suppress_external=True)
    assert Incident.objects.get(pk=quiet.pk).suppress_external is True
    assert publish(quiet, commander) == [("Eve", "inapp")]


def test_an_incident_without_it_reaches_every_external_channel(
    clock, commander, fraud_model, channels
):
    loud = declare(commander, fraud_model, suppress_external=False)
    assert publish(loud, commander) == [
        ("Eve", "email"),
        ("Eve", "inapp"),
        ("Hook", "webhook"),
        ("Slack", "slack"),
    ]


@pytest.mark.parametrize(
    ("suppress", "channels_sent"), [(True, ["inapp"]), (False, ["email", "inapp"])]
)
def test_cadence_notices_follow_the_field_too(
    clock, commander, fraud_model, suppress, channels_sent
):
    commander.email = "conor@example.test"
    commander.save(update_fields=["email"])
    incident = declare(commander, fraud_model, suppress_external=suppress)
    clock.advance(minutes=31)
    assert cadence_tick.run_due(now=clock.now)["reminded"] == 3
    sent = Delivery.objects.filter(incident=incident, kind="reminder")
    assert sorted(set(sent.values_list("channel", flat=True))) == channels_sent


def test_deciding_the_channels_reads_no_row_beyond_the_incident(commander, fraud_model, executive):
    incident = declare(commander, fraud_model, suppress_external=True)
    incident = Incident.objects.get(pk=incident.pk)
    with CaptureQueriesContext(connection) as queries:
        rows = fanout.write_notices(
            kind="test", incident=incident, users=[executive], payload={}, now=incident.declared_at
        )
    assert [r.channel for r in rows] == ["inapp"]
    assert len(queries) == 1  # the bulk INSERT of the rows: no question to another table
