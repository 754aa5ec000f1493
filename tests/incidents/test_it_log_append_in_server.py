"""The log's append on PostgreSQL runs in one server function (incidents/decision_log/append_sql.py).

The function builds the canonical JSON around the time and sequence it fixes
under the lock and hashes it; Python recomputes the hash of what came back.
These entries carry what is hardest to get byte-identical: non-ASCII text,
quotes, control characters, nested data, a correction and no actor.
"""

from __future__ import annotations

import pytest

from incidents.decision_log.chain import append_entry
from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from incidents.decisions import add_entry, correct_entry
from tests.builders import declare

pytestmark = [pytest.mark.postgres]


def test_entries_appended_in_the_server_hash_as_python_would(postgres_only, commander):
    incident = declare(commander, None)
    first = add_entry(
        incident=incident,
        by=commander,
        kind="reference",
        text='Rollback "v41" → v40; Zürich team paged\ttwice\n…',
        data={"ref_kind": "ticket", "ref": "RB-7 ✓", "nested": {"b": [1, 2.5, None], "a": "é"}},
    )
    correction = correct_entry(incident=incident, entry=first, by=commander, text="Was v39 → v40")
    system = append_entry(incident=incident, kind="note", summary="Beat checked in \u0001")
    for entry in (first, correction, system):
        stored = DecisionLogEntry.objects.get(pk=entry.pk)
        assert stored.hash == stored.compute_hash() == entry.hash
        assert (stored.sequence, stored.prev_hash) == (entry.sequence, entry.prev_hash)
    assert correction.corrects_id == first.pk and system.actor_id is None
    assert [first.sequence + 1, first.sequence + 2] == [correction.sequence, system.sequence]
    assert correction.prev_hash == first.hash and system.prev_hash == correction.hash
    assert verify_chain(incident.pk).valid
