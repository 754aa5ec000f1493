"""The vocabulary of a review: its sections, audiences and text limit."""

from __future__ import annotations

from incidents.choices import Audience, Phase

TECHNICAL, EXECUTIVE, REGULATOR = (
    Audience.TECHNICAL.value,
    Audience.EXECUTIVE.value,
    Audience.REGULATOR.value,
)
AUDIENCES = (TECHNICAL, EXECUTIVE, REGULATOR)
REVIEWABLE_PHASES = (Phase.RESOLVED, Phase.REVIEWED)

# What the team writes, in the order the review shows it: field -> heading.
TEXT_FIELDS = {
    "executive_summary": "Executive summary",
    "root_cause_detail": "Root causes",
    "failed_gates": "Quality gates that failed, and why",
    "containment_effectiveness": "Containment effectiveness",
    "counterfactuals": "Counterfactuals",
    "went_well": "What went well",
    "went_badly": "What went badly",
    "lessons": "Lessons",
    "regulator_disclosure": "Regulator disclosure",
}
EDITABLE = {*TEXT_FIELDS, "root_causes", "taxonomy", "classification"}
TEXT_MAX = 20_000
# Sections each rendition shows (besides the generated record and action items).
SECTIONS = {
    TECHNICAL: [f for f in TEXT_FIELDS if f != "regulator_disclosure"],
    EXECUTIVE: ["executive_summary", "lessons"],
    REGULATOR: ["regulator_disclosure"],
}
