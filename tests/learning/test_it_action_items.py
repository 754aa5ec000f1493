"""Action items: create, update, and the overdue reminders and escalations of the learning tick."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comms.models import Delivery
from incidents.decision_log.models import DecisionLogEntry
from kit.errors import DomainError, NotPermitted
from learning import actions
from learning.actions import create_action_item, update_action_item
from learning.models import ActionItem
from tests.builders import make_user
from tests.helpers import race


@pytest.fixture
def item(incident, commander, responder, clock):
    return create_action_item(
        incident=incident,
        by=commander,
        title="Alert on FP rate",
        owner=responder,
        due_at=clock.now + timedelta(days=2),
        expected_outcome="Page within 5 min",
        category="monitoring",
    )


def last_entry(incident) -> DecisionLogEntry:
    return DecisionLogEntry.objects.filter(incident=incident).order_by("-sequence").first()


def notices(item, kind="action"):
    return sorted(
        (d.user.username, d.channel, d.payload["type"])
        for d in Delivery.objects.filter(kind=kind, incident=item.incident).select_related("user")
    )


def test_creating_an_item_logs_it(item, incident, commander):
    entry = last_entry(incident)
    assert (
        entry.kind,
        entry.actor,
        entry.data["event"],
        entry.data["owner"],
        entry.data["category"],
    ) == ("action_item", commander, "created", "remy", "monitoring")
    assert entry.summary.startswith("Action item: Alert on FP rate (owner remy, due ")
    assert (item.status, item.created_by, item.reminded_at) == ("open", commander, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"expected_outcome": ""}, "expected_outcome"),
        ({"category": "vibes"}, "category"),
        ({"owner": None}, "owner"),
        ({"owner": "remy"}, "owner"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"due_at": "past"}, "due_at"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    incident, commander, responder, clock, change, field
):
    args = {
        "incident": incident,
        "by": commander,
        "title": "Alert",
        "owner": responder,
        "due_at": clock.now + timedelta(days=1),
        "expected_outcome": "Paged",
        "category": "monitoring",
    }
    if change.get("due_at") == "past":
        change = {"due_at": clock.now - timedelta(minutes=1)}
    entries = DecisionLogEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        create_action_item(**(args | change))
    assert exc.value.field == field
    assert type(exc.value) is DomainError  # invalid input, not a refusal of rights or state
    assert (ActionItem.objects.count(), DecisionLogEntry.objects.count()) == (0, entries)


def test_owners_must_read_incidents_and_writers_must_respond(
    incident, commander, executive, regulator, clock
):
    args = {
        "incident": incident,
        "title": "Alert",
        "due_at": clock.now + timedelta(days=1),
        "expected_outcome": "Paged",
        "category": "governance",
    }
    with pytest.raises(
        DomainError, match=r"owner must be able to read incidents \(responder, commander"
    ) as exc:
        create_action_item(by=commander, owner=regulator, **args)
    assert exc.value.field == "owner"
    with pytest.raises(
        NotPermitted, match=r"Only responders and commanders may manage action items"
    ):
        create_action_item(by=executive, owner=commander, **args)
    # Executives may own governance changes; the system (by=None) may create items.
    owned = create_action_item(by=None, owner=executive, **args)
    assert (owned.owner, last_entry(incident).actor_label) == (executive, "action items")


def test_status_changes_are_logged_and_done_is_timed(item, responder, executive, clock):
    update_action_item(item=item, by=responder, status="in_progress")
    done = update_action_item(item=item, by=responder, status="done", note="Alert live")
    assert (done.status, done.completed_at) == ("done", clock.now)
    entry = last_entry(item.incident)
    assert (entry.summary, entry.data["changes"]) == (
        "Action item Alert on FP rate: status in_progress → done (Alert live)",
        {"status": ["in_progress", "done"]},
    )
    with pytest.raises(
        NotPermitted, match=r"Only responders and commanders may manage action items"
    ):
        update_action_item(item=item, by=executive, status="open")
    with pytest.raises(
        DomainError, match=r"status must be one of open, in_progress, done, cancelled\."
    ) as exc:
        update_action_item(item=item, by=responder, status="finished")
    assert exc.value.field == "status"


def test_reassigning_needs_a_commander_and_rearms_the_reminder(
    item, commander, commander2, responder, clock
):
    ActionItem.objects.filter(pk=item.pk).update(reminded_at=clock.now, escalated_at=clock.now)
    with pytest.raises(
        NotPermitted, match=r"Only commander-eligible users or the incident commander"
    ):
        update_action_item(item=item, by=responder, owner=commander2)
    moved = update_action_item(
        item=item, by=commander, owner=commander2, due_at=clock.now + timedelta(days=9)
    )
    assert (moved.owner, moved.reminded_at, moved.escalated_at) == (commander2, None, None)
    assert last_entry(item.incident).data["changes"]["owner"] == ["remy", "conor"]


def test_an_overdue_item_reminds_its_owner_once_then_escalates_to_the_commander(
    item, clock, settings
):
    settings.ACTION_ITEM_ESCALATION_HOURS = 24
    assert actions.run_due(now=clock.now) == 0
    clock.advance(days=2)  # exactly due
    assert actions.run_due(now=clock.now) == 1
    assert notices(item) == [
        ("remy", "email", "incident.action_item.reminder"),
        ("remy", "inapp", "incident.action_item.reminder"),
    ]
    inapp = Delivery.objects.get(kind="action", channel="inapp")
    assert inapp.payload["message"].startswith('Your action item "Alert on FP rate" from INC-')
    assert inapp.payload["action_item"]["url"].endswith("/reviews/action-items/")
    entry = last_entry(item.incident)
    assert (entry.kind, entry.actor_label, entry.data["notified"]) == (
        "reminder",
        "action items",
        ["remy"],
    )
    assert actions.run_due(now=clock.advance(hours=23)) == 0  # reminded; escalation not yet due
    assert actions.run_due(now=clock.advance(hours=1)) == 1
    assert notices(item)[:2] == [
        ("cara", "email", "incident.action_item.escalation"),
        ("cara", "inapp", "incident.action_item.escalation"),
    ]
    assert Delivery.objects.filter(kind="action").count() == 4
    assert actions.run_due(now=clock.advance(days=5)) == 0
    item.refresh_from_db()
    assert (item.reminded_at, item.escalated_at) == (
        clock.now - timedelta(days=5, hours=24),
        clock.now - timedelta(days=5),
    )


def test_closed_and_future_items_are_left_alone(item, responder, clock):
    update_action_item(item=item, by=responder, status="done")
    assert actions.run_due(now=clock.advance(days=30)) == 0
    assert not Delivery.objects.filter(kind="action").exists()


def test_a_owner_without_an_address_gets_the_in_app_notice_only(incident, commander, clock):
    quiet = make_user("quinn", "responder")
    quiet.email = ""
    quiet.save()
    quiet_item = create_action_item(
        incident=incident,
        by=commander,
        title="Runbook",
        owner=quiet,
        due_at=clock.now + timedelta(hours=1),
        expected_outcome="Written",
        category="governance",
    )
    actions.run_due(now=clock.advance(hours=2))
    assert notices(quiet_item) == [("quinn", "inapp", "incident.action_item.reminder")]


def test_two_workers_claiming_at_once_send_one_reminder(
    postgres_only, transactional_db, incident, commander, responder
):
    from django.utils import timezone

    now = timezone.now()
    items = [
        create_action_item(
            incident=incident,
            by=commander,
            title=f"Item {i}",
            owner=responder,
            due_at=now + timedelta(seconds=1),
            expected_outcome="Done",
            category="governance",
            now=now,
        )
        for i in range(5)
    ]
    results = race(lambda: actions.run_due(now=now + timedelta(minutes=1)))
    assert sum(results) == 5
    assert Delivery.objects.filter(kind="action").count() == 10  # in-app + e-mail, once per item
    assert sorted(
        ActionItem.objects.filter(reminded_at__isnull=False).values_list("title", flat=True)
    ) == [i.title for i in items]
