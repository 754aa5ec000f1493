"""Who and what the demo has: personas, watched models and their impact rules, playbooks."""

from __future__ import annotations

from typing import Any

from incidents.choices import (
    GROUP_ADMIN,
    GROUP_COMMANDER,
    GROUP_EXECUTIVE,
    GROUP_REGULATOR,
    GROUP_RESPONDER,
)

# username -> (first name, last name, groups, extra flags)
USERS: dict[str, tuple[str, str, list[str], dict[str, bool]]] = {
    "commander": ("Cara", "Okafor", [GROUP_COMMANDER, GROUP_RESPONDER], {}),
    "responder": ("Remy", "Laurent", [GROUP_RESPONDER], {}),
    "executive": ("Eve", "Marsh", [GROUP_EXECUTIVE], {}),
    "regulator": ("Reggie", "Stone", [GROUP_REGULATOR], {}),
    "admin": (
        "Ada",
        "Admin",
        [GROUP_ADMIN, GROUP_COMMANDER],
        {"is_staff": True, "is_superuser": True},
    ),
    "dana": ("Dana", "Ibrahim", [GROUP_RESPONDER], {}),  # data scientist
    "sam": ("Sam", "Novak", [GROUP_RESPONDER], {}),  # SRE
    "colin": ("Colin", "Reyes", [GROUP_RESPONDER], {}),  # comms lead
    "priya": ("Priya", "Shah", [GROUP_RESPONDER, GROUP_EXECUTIVE], {}),  # VP, executive liaison
    "ruth": ("Ruth", "Adeyemi", [GROUP_RESPONDER], {}),  # compliance, regulator liaison
    "conor": ("Conor", "Walsh", [GROUP_COMMANDER, GROUP_RESPONDER], {}),  # second commander
}

MODELS: list[dict[str, Any]] = [
    {
        "slug": "fraud-scoring",
        "name": "Fraud scoring",
        "team": "Payments risk",
        "business_function": "Approve or decline card payments in real time",
        "risk_tier": 1,
        "current_version": "v43",
        "description": "Gradient-boosted model scoring every card payment for fraud.",
        "rules": [
            {
                "metric": "false_positive_rate",
                "baseline": 2.0,
                "step": 1.0,
                "customers_per_step": 120,
                "revenue_per_step": "8500.00",
                "unit_label": "customers wrongly declined per hour",
                "description": "Each point of false-positive rate above 2 % wrongly declines ≈120 customers and "
                "puts ≈$8,500 of revenue at risk per hour.",
            },
            {
                "metric": "p95_latency_ms",
                "baseline": 150,
                "step": 50,
                "customers_per_step": 30,
                "revenue_per_step": "1200.00",
                "unit_label": "payments timing out per hour",
                "description": "Each 50 ms of p95 latency above 150 ms times out ≈30 payments per hour.",
            },
        ],
    },
    {
        "slug": "credit-risk",
        "name": "Credit risk",
        "team": "Lending analytics",
        "business_function": "Score credit applications and set limits",
        "risk_tier": 1,
        "current_version": "2026.11.2",
        "description": "Scorecard-style model behind personal loan and card-limit decisions.",
        "rules": [
            {
                "metric": "psi_income",
                "baseline": 0.1,
                "step": 0.1,
                "customers_per_step": 40,
                "revenue_per_step": "3000.00",
                "unit_label": "applications mis-scored per hour",
                "description": "Each 0.1 of PSI on income above 0.1 mis-scores ≈40 applications per hour.",
            },
        ],
    },
    {
        "slug": "recommendations",
        "name": "Product recommendations",
        "team": "Personalisation",
        "business_function": "Recommend products at checkout and on the home page",
        "risk_tier": 3,
        "current_version": "r-318",
        "description": "Two-tower retrieval model with a ranking stage, called on every checkout page.",
        "rules": [
            {
                "metric": "p95_latency_ms",
                "baseline": 300,
                "step": 50,
                "customers_per_step": 90,
                "revenue_per_step": "2400.00",
                "unit_label": "checkouts abandoned per hour",
                "description": "Each 50 ms of p95 latency above 300 ms abandons ≈1.5 % of checkouts "
                "(≈90 per hour, ≈$2,400 per hour).",
            },
        ],
    },
]

PLAYBOOKS: list[dict[str, Any]] = [
    {
        "name": "SEV1 — critical",
        "severity": 1,
        "cadence_minutes": {"technical": 15, "executive": 30, "regulator": 60, "customer": 60},
        "escalation_grace_minutes": 5,
        "escalation_path": [
            {"after_minutes": 0, "notify": ["commander", "comms_lead"]},
            {"after_minutes": 5, "notify": ["liaison_executive"]},
            {"after_minutes": 30, "notify": ["liaison_regulator"]},
        ],
        "notification_thresholds": {"technical": 4, "executive": 2, "regulator": 1, "customer": 1},
        "decision_rights": {},
        "approvals": {"customer_notice": "liaison_executive"},
    },
    {
        "name": "SEV2 — high",
        "severity": 2,
        "cadence_minutes": {"technical": 30, "executive": 30, "regulator": 120, "customer": 60},
        "escalation_grace_minutes": 10,
        "escalation_path": [
            {"after_minutes": 0, "notify": ["commander"]},
            {"after_minutes": 10, "notify": ["liaison_executive"]},
        ],
        "notification_thresholds": {"technical": 4, "executive": 2, "regulator": 1, "customer": 2},
        "decision_rights": {},
        "approvals": {},
    },
    {
        "name": "SEV3 — moderate",
        "severity": 3,
        "cadence_minutes": {"technical": 60, "executive": 120},
        "escalation_grace_minutes": 15,
        "escalation_path": [{"after_minutes": 0, "notify": ["commander"]}],
        "notification_thresholds": {"technical": 4, "executive": 2},
        "decision_rights": {
            "adjust_threshold": ["commander", "liaison_data_science", "liaison_engineering"]
        },
        "approvals": {},
    },
    {
        "name": "SEV4 — low",
        "severity": 4,
        "cadence_minutes": {"technical": 240},
        "escalation_grace_minutes": 30,
        "escalation_path": [{"after_minutes": 0, "notify": ["commander"]}],
        "notification_thresholds": {"technical": 4},
        "decision_rights": {},
        "approvals": {},
    },
]
