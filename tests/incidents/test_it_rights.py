"""incidents.rights: the one home of who may take which decision on an incident."""

import pytest

from incidents import rights
from incidents.choices import DecisionType, Role
from incidents.models import Playbook
from incidents.services import assign_role
from kit.errors import DecisionRightDenied, DomainError, NotPermitted


class TestDecisionRights:
    def test_it_grants_the_default_rights_without_a_playbook(self):
        assert rights.roles_for(None, DecisionType.CUSTOMER_NOTICE) == [Role.COMMS_LEAD]
        assert rights.roles_for(None, "no_such_decision") == []

    def test_a_playbook_grant_replaces_the_default(self, db):
        playbook = Playbook(name="P", decision_rights={"rollback_model": ["liaison_engineering"]})
        assert rights.roles_for(playbook, DecisionType.ROLLBACK_MODEL) == [Role.ENGINEERING]
        assert rights.roles_for(playbook, DecisionType.ESCALATE) == [Role.COMMANDER]
        assert not rights.may_take({Role.COMMANDER}, playbook, DecisionType.ROLLBACK_MODEL)
        assert rights.may_take({Role.ENGINEERING}, playbook, DecisionType.ROLLBACK_MODEL)

    def test_it_names_the_role_a_decision_is_taken_under(self, incident, commander):
        role = rights.check_decision_right(
            incident=incident, user=commander, decision_type=DecisionType.ROLLBACK_MODEL
        )
        assert role == Role.COMMANDER

    def test_it_refuses_naming_the_roles_needed_and_held(self, incident, responder, commander):
        assign_role(incident=incident, role=Role.SCRIBE, user=responder, by=commander)
        with pytest.raises(DecisionRightDenied) as refused:
            rights.check_decision_right(
                incident=incident, user=responder, decision_type=DecisionType.ROLLBACK_MODEL
            )
        assert "needs Incident commander, Engineering / SRE liaison" in str(refused.value)
        assert "you hold Scribe" in str(refused.value)
        assert refused.value.field == "decision_type"

    def test_it_refuses_an_unknown_decision_type(self, incident, commander):
        with pytest.raises(DomainError, match="Unknown decision type 'bribe'"):
            rights.check_decision_right(incident=incident, user=commander, decision_type="bribe")

    def test_a_playbook_granting_nobody_says_so(self, incident, commander):
        Playbook.objects.create(name="SEV2", severity=2, decision_rights={"escalate": []})
        with pytest.raises(DecisionRightDenied, match="nobody"):
            rights.check_decision_right(
                incident=incident, user=commander, decision_type=DecisionType.ESCALATE
            )


class TestApprovals:
    @pytest.fixture
    def needs_executive(self, db):
        return Playbook.objects.create(
            name="SEV2", severity=2, approvals={"customer_notice": "liaison_executive"}
        )

    def test_no_approval_needed_passes(self, incident):
        rights.check_approval(
            incident=incident, decision_type=DecisionType.CUSTOMER_NOTICE, approved_by=None
        )

    def test_a_missing_approver_is_refused_in_the_callers_words(self, incident, needs_executive):
        with pytest.raises(DomainError, match="^A notice needs the Executive liaison.$") as refused:
            rights.check_approval(
                incident=incident,
                decision_type=DecisionType.CUSTOMER_NOTICE,
                approved_by=None,
                missing="A notice needs the {role}.",
            )
        assert refused.value.field == "approved_by"

    def test_an_approver_without_the_role_is_refused(self, incident, needs_executive, responder):
        with pytest.raises(DomainError, match="^remy does not hold Executive liaison.$"):
            rights.check_approval(
                incident=incident,
                decision_type=DecisionType.CUSTOMER_NOTICE,
                approved_by=responder,
            )

    def test_the_approving_role_holder_passes(
        self, incident, needs_executive, responder, commander
    ):
        assign_role(incident=incident, role=Role.EXECUTIVE, user=responder, by=commander)
        rights.check_approval(
            incident=incident, decision_type=DecisionType.CUSTOMER_NOTICE, approved_by=responder
        )


class TestLeadingAndPublishing:
    def test_commander_eligible_users_lead_any_incident(self, incident, commander2):
        assert rights.may_lead(commander2, incident)

    def test_a_responder_leads_only_as_the_incidents_commander(
        self, incident, responder, commander
    ):
        assert not rights.may_lead(responder, incident)
        assert rights.may_lead(responder, incident, held={Role.COMMANDER})

    def test_only_commander_and_comms_lead_publish(self, incident, responder, commander):
        with pytest.raises(NotPermitted, match="commander or the comms lead"):
            rights.check_publishing_role(responder, incident)
        assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
        assert rights.check_publishing_role(responder, incident) == Role.COMMS_LEAD
        assert rights.check_publishing_role(commander, incident) == Role.COMMANDER

    def test_the_system_holds_no_role(self, incident):
        assert rights.roles_held(None, incident) == []
        assert not rights.holds(None, incident, Role.COMMANDER)
