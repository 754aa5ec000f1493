"""Drills: scenario library, replay on an accelerated clock, debrief. Owned by the drills work."""

from __future__ import annotations

from datetime import datetime


def run_due(*, now: datetime) -> int:
    """Apply the drill replay steps that are due. Returns steps applied."""
    return 0
