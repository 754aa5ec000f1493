"""Incident services: each change writes its log entry in the same transaction."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from incidents.choices import DecisionType, EntryKind, Phase, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from incidents.decisions import add_reference, record_decision, request_decision
from incidents.models import Incident, Milestone, Playbook, RoleAssignment
from incidents.services import (
    assign_role,
    change_severity,
    declare_incident,
    reach_milestone,
    release_role,
    update_impact,
)
from kit.errors import Conflict, DecisionRightDenied, DomainError, NotPermitted


def kinds(incident):
    return list(
        DecisionLogEntry.objects.filter(incident=incident)
        .order_by("sequence")
        .values_list("kind", flat=True)
    )


def count_entries():
    return DecisionLogEntry.objects.count()


class TestDeclare:
    def test_it_opens_logs_and_names_the_commander(self, commander, fraud_model):
        detected = timezone.now() - timedelta(minutes=7)
        incident = declare_incident(
            by=commander,
            title="FP surge",
            severity=1,
            models=[(fraud_model, "")],
            detected_at=detected,
            detection_indicator="FP rate 6.1 % > 2 %",
        )
        assert (incident.phase, incident.severity, incident.source) == (Phase.DECLARED, 1, "manual")
        assert kinds(incident) == [EntryKind.DECLARATION, EntryKind.ROLE_CHANGE]
        assert list(incident.affected_links.values_list("version", flat=True)) == ["v42"]
        milestones = list(Milestone.objects.filter(incident=incident).order_by("reached_at"))
        assert [(m.phase, m.reached_at, m.indicator) for m in milestones][0] == (
            "detected",
            detected,
            "FP rate 6.1 % > 2 %",
        )
        assert (
            RoleAssignment.objects.active().get(incident=incident, role=Role.COMMANDER).user
            == commander
        )
        declaration = DecisionLogEntry.objects.get(incident=incident, sequence=1)
        assert declaration.data["severity"] == 1
        assert declaration.data["models"] == [{"slug": "fraud-scoring", "version": "v42"}]

    @pytest.mark.parametrize("persona", ["responder", "executive", "regulator", "outsider"])
    def test_it_refuses_users_not_commander_eligible(self, request, persona):
        user = request.getfixturevalue(persona)
        with pytest.raises(
            NotPermitted, match=r"Only commander-eligible users may declare incidents\."
        ):
            declare_incident(by=user, title="x", severity=2)
        assert Incident.objects.count() == 0

    @pytest.mark.parametrize("severity", [0, 5, "2", None, True])
    def test_it_refuses_unknown_severity(self, commander, severity):
        with pytest.raises(
            DomainError, match=r"severity must be \d+, \d+, \d+ or \d+ \(SEV1–SEV4\)\."
        ) as excinfo:
            declare_incident(by=commander, title="x", severity=severity)
        assert excinfo.value.field == "severity"
        assert Incident.objects.count() == 0 and count_entries() == 0

    def test_it_refuses_a_blank_title_and_a_future_detection(self, commander):
        with pytest.raises(DomainError, match=r"title is required\.") as blank:
            declare_incident(by=commander, title="  ", severity=2)
        with pytest.raises(DomainError, match=r"detected_at cannot be in the future\.") as future:
            declare_incident(
                by=commander, title="x", severity=2, detected_at=timezone.now() + timedelta(hours=1)
            )
        assert (blank.value.field, future.value.field) == ("title", "detected_at")
        assert Incident.objects.count() == 0

    def test_a_machine_declaration_names_its_source_and_has_no_commander(self, db):
        incident = declare_incident(
            by=None,
            title="Alert",
            severity=3,
            source="alert",
            dedup_key="g1",
            actor_label="alertmanager",
        )
        assert kinds(incident) == [EntryKind.DECLARATION]
        assert DecisionLogEntry.objects.get(incident=incident).actor_label == "alertmanager"

    def test_one_open_incident_per_dedup_key(self, db):
        declare_incident(by=None, title="Alert", severity=3, source="alert", dedup_key="g1")
        with pytest.raises(
            Conflict, match=r"An open incident already has dedup key 'g1'\."
        ) as excinfo:
            declare_incident(
                by=None, title="Alert again", severity=3, source="alert", dedup_key="g1"
            )
        assert excinfo.value.field == "dedup_key"
        assert Incident.objects.count() == 1


class TestRoles:
    def test_a_hand_off_ends_the_old_assignment_and_logs_both_names(
        self, incident, commander, commander2
    ):
        assign_role(
            incident=incident,
            role=Role.COMMANDER,
            user=commander2,
            by=commander,
            note="Shift change",
        )

        history = list(
            RoleAssignment.objects.filter(incident=incident, role=Role.COMMANDER).order_by(
                "started_at"
            )
        )
        assert [(a.user.username, a.ended_at is None) for a in history] == [
            ("cara", False),
            ("conor", True),
        ]
        entry = DecisionLogEntry.objects.filter(incident=incident).last()
        assert entry.data == {
            "role": "commander",
            "from": "cara",
            "to": "conor",
            "note": "Shift change",
        }

    def test_only_commander_eligible_users_command(self, incident, commander, responder):
        with pytest.raises(DomainError, match=r"remy is not commander-eligible\.") as excinfo:
            assign_role(incident=incident, role=Role.COMMANDER, user=responder, by=commander)
        assert excinfo.value.field == "user"
        assert (
            RoleAssignment.objects.active().get(incident=incident, role=Role.COMMANDER).user
            == commander
        )

    def test_executives_hold_no_incident_roles(self, incident, commander, executive):
        with pytest.raises(
            DomainError, match=r"eve is not a responder and cannot hold incident roles\."
        ):
            assign_role(incident=incident, role=Role.EXECUTIVE, user=executive, by=commander)

    def test_a_responder_cannot_assign_roles(self, incident, responder, commander2):
        before = count_entries()
        with pytest.raises(
            NotPermitted, match=r"Only the incident commander or a commander-eligible user"
        ):
            assign_role(incident=incident, role=Role.SCRIBE, user=commander2, by=responder)
        assert count_entries() == before

    def test_the_same_holder_twice_is_a_conflict(self, incident, commander):
        with pytest.raises(Conflict, match=r"cara already holds this role\."):
            assign_role(incident=incident, role=Role.COMMANDER, user=commander, by=commander)

    def test_release_ends_without_successor(self, incident, commander, responder):
        assign_role(incident=incident, role=Role.SCRIBE, user=responder, by=commander)
        release_role(incident=incident, role=Role.SCRIBE, by=commander)
        assert (
            not RoleAssignment.objects.active().filter(incident=incident, role=Role.SCRIBE).exists()
        )
        assert DecisionLogEntry.objects.filter(incident=incident).last().data["to"] is None


class TestDecisionRights:
    def test_the_commander_rolls_back(self, incident, commander):
        entry = record_decision(
            incident=incident,
            by=commander,
            decision_type=DecisionType.ROLLBACK_MODEL,
            decision="Roll back fraud model to v41",
            rationale="v42 shipped with the broken feature",
            options_considered=["Raise threshold", "Roll back"],
            reversible=True,
        )
        assert entry.kind == EntryKind.DECISION
        assert entry.actor_role == Role.COMMANDER
        assert entry.data["options_considered"] == ["Raise threshold", "Roll back"]
        assert entry.data["decision_right"] == "rollback_model"

    def test_a_responder_without_the_right_is_refused_and_nothing_is_logged(
        self, incident, responder
    ):
        before = count_entries()
        with pytest.raises(
            DecisionRightDenied,
            match=r"You may not roll back a model on INC-\d+: it needs Incident",
        ) as excinfo:
            record_decision(
                incident=incident,
                by=responder,
                decision_type=DecisionType.ROLLBACK_MODEL,
                decision="Roll back",
                rationale="Because",
            )
        assert "Incident commander" in excinfo.value.message and "no role" in excinfo.value.message
        assert count_entries() == before

    def test_the_engineering_liaison_rolls_back_but_may_not_notify_customers(
        self, incident, commander, responder
    ):
        assign_role(incident=incident, role=Role.ENGINEERING, user=responder, by=commander)
        record_decision(
            incident=incident,
            by=responder,
            decision_type=DecisionType.ROLLBACK_MODEL,
            decision="Roll back",
            rationale="Canary red",
        )
        with pytest.raises(
            DecisionRightDenied, match=r"You may not publish a customer notice on INC-\d+: it needs"
        ):
            record_decision(
                incident=incident,
                by=responder,
                decision_type=DecisionType.CUSTOMER_NOTICE,
                decision="Tell customers",
                rationale="Visible",
            )

    def test_a_playbook_overrides_the_default_rights(self, incident, commander, responder):
        Playbook.objects.create(
            name="SEV2", severity=2, decision_rights={"rollback_model": ["liaison_engineering"]}
        )
        with pytest.raises(
            DecisionRightDenied, match=r"You may not roll back a model on INC-\d+: it needs"
        ):
            record_decision(
                incident=incident,
                by=commander,
                decision_type=DecisionType.ROLLBACK_MODEL,
                decision="Roll back",
                rationale="x",
            )

    def test_a_sev1_customer_notice_needs_executive_approval(
        self, incident, commander, responder, commander2
    ):
        Playbook.objects.create(
            name="SEV2", severity=2, approvals={"customer_notice": "liaison_executive"}
        )
        assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
        kwargs = dict(
            incident=incident,
            by=responder,
            decision_type=DecisionType.CUSTOMER_NOTICE,
            decision="Publish notice",
            rationale="Customers see declines",
        )
        with pytest.raises(
            DomainError, match=r"This decision needs approval by the Executive liaison\."
        ) as missing:
            record_decision(**kwargs)
        with pytest.raises(DomainError, match=r"conor does not hold Executive liaison\.") as wrong:
            record_decision(**kwargs, approved_by=commander2)
        assert (missing.value.field, wrong.value.field) == ("approved_by", "approved_by")
        assign_role(incident=incident, role=Role.EXECUTIVE, user=commander2, by=commander)
        entry = record_decision(**kwargs, approved_by=commander2)
        assert entry.data["approved_by"] == "conor"

    def test_a_decision_settles_its_request(self, incident, commander, responder):
        ask = request_decision(
            incident=incident,
            by=responder,
            decision_type=DecisionType.ROLLBACK_MODEL,
            question="Roll back to v41?",
        )
        entry = record_decision(
            incident=incident,
            by=commander,
            decision_type=DecisionType.ROLLBACK_MODEL,
            decision="Yes",
            rationale="Safe",
            settles=ask,
        )
        assert entry.data["settles"] == ask.sequence

    def test_unknown_decision_type_names_the_field(self, incident, commander):
        with pytest.raises(
            DomainError, match=r"Unknown decision type 'launch_rockets'\."
        ) as excinfo:
            record_decision(
                incident=incident,
                by=commander,
                decision_type="launch_rockets",
                decision="x",
                rationale="y",
            )
        assert excinfo.value.field == "decision_type"


class TestSeverityAndMilestones:
    def test_the_commander_changes_severity(self, incident, commander):
        change_severity(incident=incident, severity=1, by=commander, reason="EU-wide declines")
        incident.refresh_from_db()
        assert incident.severity == 1
        assert DecisionLogEntry.objects.filter(incident=incident).last().data == {
            "from": 2,
            "to": 1,
            "reason": "EU-wide declines",
        }

    def test_a_responder_may_not_change_severity(self, incident, responder):
        with pytest.raises(
            DecisionRightDenied, match=r"You may not change severity on INC-\d+: it needs Incident"
        ):
            change_severity(incident=incident, severity=1, by=responder, reason="x")
        incident.refresh_from_db()
        assert incident.severity == 2

    def test_same_severity_is_a_conflict_and_reason_is_required(self, incident, commander):
        with pytest.raises(Conflict, match=r"INC-\d+ is already SEV2\."):
            change_severity(incident=incident, severity=2, by=commander, reason="x")
        with pytest.raises(DomainError, match=r"reason is required\.") as excinfo:
            change_severity(incident=incident, severity=1, by=commander, reason="")
        assert excinfo.value.field == "reason"

    def test_phases_move_forward_with_an_indicator(self, incident, commander):
        reach_milestone(
            incident=incident,
            phase=Phase.CONTAINED,
            indicator="FP rate < 2 % for 30 min",
            by=commander,
        )
        reach_milestone(
            incident=incident, phase=Phase.RESOLVED, indicator="v41 serving 100 %", by=commander
        )
        incident.refresh_from_db()
        assert (incident.phase, incident.resolved_at is not None) == (Phase.RESOLVED, True)
        with pytest.raises(
            Conflict, match=r"INC-\d+ is already resolved; phases only move forward\."
        ):
            reach_milestone(
                incident=incident, phase=Phase.RECOVERED, indicator="late", by=commander
            )
        assert verify_chain(incident.pk).valid

    def test_a_milestone_needs_an_indicator(self, incident, commander):
        with pytest.raises(DomainError, match=r"indicator is required\.") as excinfo:
            reach_milestone(incident=incident, phase=Phase.CONTAINED, indicator=" ", by=commander)
        assert excinfo.value.field == "indicator"
        assert not Milestone.objects.filter(incident=incident, phase=Phase.CONTAINED).exists()

    def test_reviewed_only_after_resolved(self, incident, commander):
        with pytest.raises(Conflict, match=r"An incident is reviewed only after it is resolved\."):
            reach_milestone(
                incident=incident, phase=Phase.REVIEWED, indicator="Review done", by=commander
            )

    def test_a_closed_incident_takes_no_decisions(self, incident, commander):
        reach_milestone(incident=incident, phase=Phase.RESOLVED, indicator="Fixed", by=commander)
        with pytest.raises(Conflict, match=r"INC-\d+ is closed; record a note instead\."):
            record_decision(
                incident=incident, by=commander, decision_type="other", decision="x", rationale="y"
            )


class TestNotesAndImpact:
    def test_a_reference_needs_a_known_kind(self, incident, commander):
        with pytest.raises(
            DomainError, match=r"ref_kind must be one of commit, ticket, url, dashboard\."
        ) as excinfo:
            add_reference(incident=incident, by=commander, ref_kind="tweet", ref="x")
        assert excinfo.value.field == "ref_kind"
        entry = add_reference(incident=incident, by=commander, ref_kind="commit", ref="9f1c2ab")
        assert entry.data == {"ref_kind": "commit", "ref": "9f1c2ab"}

    def test_executives_cannot_write_notes(self, incident, executive):
        from incidents.decisions import add_note

        with pytest.raises(
            NotPermitted, match=r"Only responders and commanders may write to the log\."
        ):
            add_note(incident=incident, by=executive, text="hello")

    def test_impact_revisions_log_before_and_after(self, incident, responder):
        update_impact(
            incident=incident,
            by=responder,
            reason="New estimate",
            customers_affected=3000,
            revenue_at_risk_per_hour="51000.50",
        )
        incident.refresh_from_db()
        assert (incident.customers_affected, incident.revenue_at_risk_per_hour) == (
            3000,
            Decimal("51000.50"),
        )
        entry = DecisionLogEntry.objects.filter(incident=incident).last()
        assert entry.data["before"] == {
            "customers_affected": "1200",
            "revenue_at_risk_per_hour": "42000.00",
        }

    def test_impact_refuses_negative_figures(self, incident, responder):
        with pytest.raises(
            DomainError, match=r"customers_affected cannot be negative\."
        ) as excinfo:
            update_impact(incident=incident, by=responder, customers_affected=-1)
        assert excinfo.value.field == "customers_affected"
