"""Action items: services, and the overdue reminders run by the learning tick.

Owned by the reviews work. Interface used by drills (debrief improvements):
create_action_item(*, incident, by, title, owner, due_at, expected_outcome, category,
review=None, drill=None, now=None) -> ActionItem
"""

from __future__ import annotations

from datetime import datetime


def run_due(*, now: datetime) -> int:
    """Remind owners of overdue action items; escalate when still overdue. Returns rows handled."""
    return 0
