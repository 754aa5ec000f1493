"""Staged escalation: each step of the playbook's path at its own minute, to its roles, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from comms import workflows
from comms.cadence import snooze
from comms.cadence_tick import escalation_steps, run_due
from comms.models import Deadline, Delivery
from incidents.choices import EntryKind, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident, Playbook
from incidents.services import assign_role
from kit.errors import Conflict
from tests.builders import make_user, publish
from tests.helpers import race, token_client

# The seeded SEV1 shape: grace 5; then IC and comms lead, +5 the executive liaison, +30 the regulator liaison.
PATH = [
    {"after_minutes": 0, "notify": ["commander", "comms_lead"]},
    {"after_minutes": 5, "notify": ["liaison_executive"]},
    {"after_minutes": 30, "notify": ["liaison_regulator"]},
]


@pytest.fixture
def staged(db):
    # SEV4: one audience (technical), so one deadline; due 30 min after declaring.
    return Playbook.objects.create(
        name="SEV4 staged",
        severity=4,
        escalation_grace_minutes=5,
        cadence_minutes={"technical": 30},
        escalation_path=PATH,
    )


@pytest.fixture
def people(commander, responder, commander2):
    return {
        "commander": commander,
        "comms_lead": responder,
        "executive": commander2,
        "regulator": make_user("rita", "responder"),
    }


def declare(commander, people, severity=4):
    incident = workflows.declare_incident(by=commander, title="Score drift", severity=severity)
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=people["comms_lead"], by=commander)
    assign_role(incident=incident, role=Role.EXECUTIVE, user=people["executive"], by=commander)
    assign_role(incident=incident, role=Role.REGULATOR, user=people["regulator"], by=commander)
    return incident


def escalated_to(incident) -> list[str]:
    """Who got an in-app escalation notice, in order (one in-app row per person per claim)."""
    return list(
        Delivery.objects.filter(incident=incident, kind="escalation", channel="inapp")
        .order_by("created_at", "user__username")
        .values_list("user__username", flat=True)
    )


def escalation_log(incident) -> list[tuple[str, list[int], list[str]]]:
    return [
        (e.summary, e.data["steps"], e.data["notified"])
        for e in DecisionLogEntry.objects.filter(
            incident=incident, kind=EntryKind.ESCALATION
        ).order_by("id")
    ]


def at(clock, incident, minutes: float) -> dict[str, int]:
    """Run the tick at `minutes` after declaring."""
    clock.now = incident.declared_at + timedelta(minutes=minutes)
    return run_due(now=clock.now)


def test_each_step_fires_at_its_minute_to_its_roles_once(staged, people, clock, commander):
    incident = declare(commander, people)
    assert at(clock, incident, 30) == {"reminded": 1, "escalated": 0}
    assert at(clock, incident, 34 + 59 / 60) == {
        "reminded": 0,
        "escalated": 0,
    }  # grace: 5 min after due

    assert at(clock, incident, 35) == {"reminded": 0, "escalated": 1}
    assert escalated_to(incident) == ["cara", "remy"]
    assert at(clock, incident, 39 + 59 / 60)["escalated"] == 0
    assert at(clock, incident, 40)["escalated"] == 1  # step 2: 5 min after step 1
    assert at(clock, incident, 40)["escalated"] == 0
    assert at(clock, incident, 64 + 59 / 60)["escalated"] == 0
    assert at(clock, incident, 65)["escalated"] == 1  # step 3: 30 min after step 1
    assert at(clock, incident, 600)["escalated"] == 0

    assert escalated_to(incident) == ["cara", "remy", "conor", "rita"]
    assert escalation_log(incident) == [
        ("Escalation (step 1 of 3): technical update still missing", [1], ["cara", "remy"]),
        ("Escalation (step 2 of 3): technical update still missing", [2], ["conor"]),
        ("Escalation (step 3 of 3): technical update still missing", [3], ["rita"]),
    ]
    deadline = Deadline.objects.get(incident=incident)
    first = incident.declared_at + timedelta(minutes=35)
    assert (deadline.escalation_step, deadline.escalated_at) == (
        3,
        first,
    )  # escalated_at: the first step
    message = Delivery.objects.filter(
        incident=incident, kind="escalation", user__username="rita"
    ).first()
    assert message.payload["message"].endswith("escalation (step 3 of 3), 35 min after it was due.")


def test_a_step_whose_roles_nobody_holds_reaches_the_commander(staged, people, clock, commander):
    """No regulator liaison assigned: step 3 still reaches someone, and says whom to assign."""
    incident = workflows.declare_incident(by=commander, title="Score drift", severity=4)
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=people["comms_lead"], by=commander)
    assign_role(incident=incident, role=Role.EXECUTIVE, user=people["executive"], by=commander)
    for minutes in (30, 35, 40, 65):
        at(clock, incident, minutes)

    # The commander heard step 1 already (one escalation notice per person and deadline): step 3
    # tells nobody new, and the log records that nobody holds the regulator liaison role.
    assert escalated_to(incident) == ["cara", "remy", "conor"]
    last = (
        DecisionLogEntry.objects.filter(incident=incident, kind=EntryKind.ESCALATION)
        .order_by("id")
        .last()
    )
    assert (last.data["steps"], last.data["notified"], last.data["unheld_roles"]) == ([3], [], True)


def test_without_the_commander_on_the_path_an_unheld_step_reaches_the_commander(
    db, people, clock, commander
):
    Playbook.objects.create(
        name="SEV4 regulator first",
        severity=4,
        escalation_grace_minutes=5,
        cadence_minutes={"technical": 30},
        escalation_path=[{"after_minutes": 0, "notify": ["liaison_regulator"]}],
    )
    incident = workflows.declare_incident(by=commander, title="Score drift", severity=4)
    for minutes in (30, 35):
        at(clock, incident, minutes)

    assert escalated_to(incident) == ["cara"]
    notice = Delivery.objects.get(incident=incident, kind="escalation", channel="inapp")
    assert notice.payload["message"].endswith("Nobody holds liaison_regulator: assign the role.")
    entry = DecisionLogEntry.objects.get(incident=incident, kind=EntryKind.ESCALATION)
    assert (entry.data["notified"], entry.data["unheld_roles"]) == (["cara"], True)


def test_one_person_on_two_steps_is_told_once_and_later_steps_still_fire(
    staged, people, clock, commander
):
    incident = workflows.declare_incident(by=commander, title="Score drift", severity=4)
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=people["comms_lead"], by=commander)
    assign_role(incident=incident, role=Role.EXECUTIVE, user=people["executive"], by=commander)
    assign_role(
        incident=incident, role=Role.REGULATOR, user=commander, by=commander
    )  # the IC holds it too
    for minutes in (30, 35, 40, 65):
        at(clock, incident, minutes)

    assert escalated_to(incident) == ["cara", "remy", "conor"]
    assert [steps for _, steps, _ in escalation_log(incident)] == [[1], [2], [3]]
    assert Deadline.objects.get(incident=incident).escalation_step == 3


def test_publishing_the_update_stops_the_remaining_steps(staged, people, clock, commander):
    incident = declare(commander, people)
    at(clock, incident, 30)
    at(clock, incident, 35)
    publish(incident, commander, "technical")

    assert at(clock, incident, 65) == {
        "reminded": 1,
        "escalated": 0,
    }  # the next slot (due 65) is reminded
    assert escalated_to(incident) == ["cara", "remy"]
    missed = Deadline.objects.get(incident=incident, opened_by=None)
    assert (missed.outcome, missed.escalation_step) == ("missed", 1)


def test_a_late_tick_sends_every_due_step_in_one_claim_and_each_person_once(
    staged, people, clock, commander
):
    incident = declare(commander, people)
    assert at(clock, incident, 30)["reminded"] == 1
    assert at(clock, incident, 41) == {
        "reminded": 0,
        "escalated": 1,
    }  # the worker was away: steps 1 and 2

    assert escalated_to(incident) == ["cara", "conor", "remy"]
    assert escalation_log(incident) == [
        (
            "Escalation (steps 1–2 of 3): technical update still missing",
            [1, 2],
            ["cara", "conor", "remy"],
        ),
    ]
    assert at(clock, incident, 65)["escalated"] == 1
    assert escalated_to(incident)[3:] == ["rita"]


def test_a_path_without_after_minutes_escalates_all_at_once_as_before(people, clock, commander):
    Playbook.objects.create(
        name="SEV4",
        severity=4,
        escalation_grace_minutes=2,
        cadence_minutes={"technical": 30},
        escalation_path=[{"notify": ["comms_lead"]}, {"notify": ["liaison_executive"]}],
    )
    incident = declare(commander, people)
    at(clock, incident, 30)
    assert at(clock, incident, 31 + 59 / 60)["escalated"] == 0
    assert at(clock, incident, 32)["escalated"] == 1
    assert at(clock, incident, 600)["escalated"] == 0

    assert escalated_to(incident) == ["conor", "remy"]
    assert escalation_log(incident) == [
        ("Escalation: technical update still missing", [1, 2], ["conor", "remy"])
    ]
    message = (
        Delivery.objects.filter(incident=incident, kind="escalation").first().payload["message"]
    )
    assert message.endswith("escalated after 2 min grace.")


def test_a_one_step_path_fires_at_the_end_of_the_grace_whatever_its_after_minutes(
    people, clock, commander
):
    Playbook.objects.create(
        name="SEV4",
        severity=4,
        escalation_grace_minutes=3,
        cadence_minutes={"technical": 30},
        escalation_path=[{"after_minutes": 10, "notify": ["liaison_regulator"]}],
    )
    incident = declare(commander, people)
    at(clock, incident, 30)
    assert at(clock, incident, 32 + 59 / 60)["escalated"] == 0
    assert at(clock, incident, 33)["escalated"] == 1
    assert escalated_to(incident) == ["rita"]
    assert Deadline.objects.get(incident=incident).escalation_step == 1


def test_without_a_playbook_the_executive_liaison_hears_once_after_ten_minutes(
    people, clock, commander
):
    incident = declare(commander, people)  # SEV4, no playbook: technical every 240 min, grace 10
    at(clock, incident, 240)
    assert at(clock, incident, 249 + 59 / 60)["escalated"] == 0
    assert at(clock, incident, 250)["escalated"] == 1
    assert at(clock, incident, 6000)["escalated"] == 0
    assert escalated_to(incident) == ["conor"]
    assert escalation_steps(None) == [(0, [Role.EXECUTIVE])]


def test_a_drill_at_60x_runs_the_path_60_times_sooner(staged, people, clock, commander):
    incident = declare(commander, people)
    Incident.objects.filter(pk=incident.pk).update(is_drill=True, clock_factor=60)
    # What a 60x drill opens: due 30 drill minutes = 30 s after declaring.
    Deadline.objects.filter(incident=incident).update(
        due_at=incident.declared_at + timedelta(seconds=30)
    )
    seconds = [(s, at(clock, incident, s / 60)) for s in (30, 34, 35, 39, 40, 64, 65, 120)]

    assert [(s, r["reminded"], r["escalated"]) for s, r in seconds] == [
        (30, 1, 0),
        (34, 0, 0),
        (35, 0, 1),
        (39, 0, 0),
        (40, 0, 1),
        (64, 0, 0),
        (65, 0, 1),
        (120, 0, 0),
    ]
    assert escalated_to(incident) == ["cara", "remy", "conor", "rita"]


def test_a_snooze_before_the_first_step_moves_the_whole_path(staged, people, clock, commander):
    incident = declare(commander, people)
    at(clock, incident, 30)  # reminded: the slot is missed
    snooze(
        deadline=Deadline.objects.get(incident=incident),
        by=commander,
        minutes=20,
        reason="Vendor fix landing",
    )

    assert at(clock, incident, 54 + 59 / 60)["escalated"] == 0  # due 50 now, step 1 at 55
    assert at(clock, incident, 55)["escalated"] == 1
    assert at(clock, incident, 59 + 59 / 60)["escalated"] == 0
    assert at(clock, incident, 60)["escalated"] == 1
    assert escalated_to(incident) == ["cara", "remy", "conor"]


def test_once_escalation_has_started_a_snooze_is_refused_and_the_steps_go_on(
    staged, people, clock, commander
):
    incident = declare(commander, people)
    at(clock, incident, 30)
    at(clock, incident, 35)

    with pytest.raises(Conflict, match=r"This deadline has already been escalated\."):
        snooze(
            deadline=Deadline.objects.get(incident=incident),
            by=commander,
            minutes=30,
            reason="Busy",
        )
    assert at(clock, incident, 40)["escalated"] == 1
    assert DecisionLogEntry.objects.filter(incident=incident, kind=EntryKind.SNOOZE).count() == 0


def test_finding_due_steps_costs_the_same_queries_for_one_or_many_deadlines(
    staged, people, clock, commander, django_assert_num_queries
):
    incidents = [declare(commander, people)]
    at(clock, incidents[0], 30)
    at(clock, incidents[0], 35)  # step 1 sent; step 2 not due at minute 36
    with django_assert_num_queries(
        5
    ):  # reminders, playbooks, fastest drill, candidates, their models
        assert at(clock, incidents[0], 36) == {"reminded": 0, "escalated": 0}

    clock.now = incidents[0].declared_at
    more = [declare(commander, people) for _ in range(3)]
    for incident in more:
        Incident.objects.filter(pk=incident.pk).update(declared_at=incidents[0].declared_at)
    Deadline.objects.update(due_at=incidents[0].declared_at + timedelta(minutes=30))
    at(clock, incidents[0], 30)
    at(clock, incidents[0], 35)
    with django_assert_num_queries(5):
        assert at(clock, incidents[0], 36) == {"reminded": 0, "escalated": 0}
    assert Deadline.objects.filter(escalation_step=1).count() == 4


@pytest.mark.parametrize(
    "path",
    [
        [{"after_minutes": 10, "notify": []}],
        [{"after_minutes": -1, "notify": ["commander"]}],
        [{"after_minutes": "5", "notify": ["commander"]}],
        [{"after_minutes": True, "notify": ["commander"]}],
        [
            {"after_minutes": 10, "notify": ["commander"]},
            {"after_minutes": 5, "notify": ["liaison_executive"]},
        ],
        [{"after_minutes": 0, "notify": "commander"}],
        [{"after_minutes": 0, "notify": ["commander"], "after": 3}],
        [["commander"]],
        {"after_minutes": 0, "notify": ["commander"]},
    ],
)
def test_a_playbook_refuses_a_malformed_escalation_path(db, path):
    with pytest.raises(ValidationError) as excinfo:
        Playbook(name="Bad", escalation_path=path).full_clean()
    assert list(excinfo.value.message_dict) == ["escalation_path"]


def test_a_playbook_accepts_the_seeded_path_and_steps_without_minutes(db):
    Playbook(name="Seeded", severity=1, escalation_path=PATH).full_clean()
    Playbook(
        name="Plain",
        severity=2,
        escalation_path=[{"notify": ["commander"]}, {"notify": ["scribe"]}],
    ).full_clean()
    Playbook(name="None", severity=3, escalation_path=[]).full_clean()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ticks_send_each_step_once(postgres_only, staged, people, commander):
    """Two threads (two PostgreSQL connections) run the tick at the same instant, at every step."""
    incident = declare(commander, people)
    start = incident.declared_at
    run_due(now=start + timedelta(minutes=30))
    totals = []
    for minute in (35, 40, 65):
        now = start + timedelta(minutes=minute)
        totals.append(sorted(race(lambda now=now: run_due(now=now)["escalated"])))

    assert totals == [[0, 1], [0, 1], [0, 1]]
    assert escalated_to(incident) == ["cara", "remy", "conor", "rita"]
    assert [steps for _, steps, _ in escalation_log(incident)] == [[1], [2], [3]]
    assert Deadline.objects.get(incident=incident).escalation_step == 3


def test_the_deadline_api_shows_the_first_escalation_and_the_steps_sent(
    staged, people, clock, commander, executive
):

    incident = declare(commander, people)
    at(clock, incident, 30)
    at(clock, incident, 35)
    at(clock, incident, 40)

    (listed,) = (
        token_client(executive).get(f"/api/v1/incidents/{incident.pk}/deadlines/").json()["results"]
    )
    first = incident.declared_at + timedelta(minutes=35)
    assert (listed["escalated_at"], listed["escalation_step"]) == (
        first.isoformat().replace("+00:00", "Z"),
        2,
    )
