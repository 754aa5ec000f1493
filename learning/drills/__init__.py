"""Drills: rehearse an incident on an accelerated clock.

`library` loads and validates the scenario files (learning/scenarios/*.json);
`runs` starts a drill, replays it and ends it with its debrief. Format and
behaviour: docs/drills.md.
"""
