"""Shared set-up of the regulatory tests: an incident with a regulator liaison, and answers."""

from __future__ import annotations

from incidents.choices import Role
from incidents.services import assign_role

AI_ACT = "eu-ai-act-art73"
DORA = "dora-major-ict"
GDPR = "gdpr-art33"
NIS2 = "nis2-art23"

AI_ACT_SERIOUS = {
    "high_risk": True,
    "serious_incident": True,
    "widespread_or_critical_infrastructure": False,
    "death": False,
}
DORA_MAJOR = {"financial_entity": True, "major": True}
GDPR_BREACH = {"personal_data_breach": True, "risk_to_individuals": True}
NIS2_SIGNIFICANT = {"essential_or_important": True, "significant": True}


def with_liaison(incident, commander, liaison):
    assign_role(incident=incident, role=Role.REGULATOR, user=liaison, by=commander)
    return incident
