"""The log's append as one PostgreSQL function: lock, read the head, hash, insert (#12).

Appending from Python took four round trips while the incident row was
locked (lock, read the head, insert, commit), so concurrent writers queued
for milliseconds each. The function does the locked part inside the server,
in one call: `chain.append_entry` passes the entry's canonical JSON split
around the two values the lock fixes (the sequence, and the time: the
caller's, but never earlier than the head's, so times follow the sequence),
and the function joins them exactly as `DecisionLogEntry.canonical_json`
would, hashes `prev_hash + canonical JSON` (SHA-256 of its UTF-8 bytes) and
inserts the row past the log's triggers. Python then recomputes the hash of
what came back and refuses a mismatch, so the two can never disagree
silently (tests/incidents pin that an entry written either way verifies).

Each statement of a PL/pgSQL function takes a fresh snapshot under READ
COMMITTED, so the head is read after the lock is granted: a writer that
waited sees the entry of the writer it waited for.

Migrations call `CREATE_SQL` (incidents 0010): it must not change once shipped.
"""

CREATE_SQL = r"""
CREATE OR REPLACE FUNCTION icc_append_log_entry(
    p_incident bigint, p_kind text, p_actor bigint, p_actor_label text, p_actor_role text,
    p_summary text, p_data jsonb, p_corrects bigint,
    p_before_time text, p_before_sequence text, p_after_sequence text, p_at timestamptz
) RETURNS TABLE (entry_id bigint, entry_sequence integer, entry_recorded_at timestamptz,
                 entry_prev_hash varchar, entry_hash varchar)
LANGUAGE plpgsql AS $$
DECLARE
    head_sequence integer;
    head_hash varchar;
    head_at timestamptz;
    at timestamptz;
    next_sequence integer;
    canonical text;
    new_hash varchar;
BEGIN
    PERFORM 1 FROM incidents_incident WHERE id = p_incident FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'incident % does not exist', p_incident;
    END IF;
    SELECT e.sequence, e.hash, e.recorded_at INTO head_sequence, head_hash, head_at
        FROM incidents_decisionlogentry e WHERE e.incident_id = p_incident
        ORDER BY e.sequence DESC LIMIT 1;
    next_sequence := COALESCE(head_sequence, 0) + 1;
    head_hash := COALESCE(head_hash, repeat('0', 64));
    -- The caller's clock (tests freeze it), never before the head: times follow the sequence.
    at := GREATEST(date_trunc('microseconds', p_at), head_at);
    canonical := p_before_time
        || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00'
        || p_before_sequence || next_sequence::text || p_after_sequence;
    new_hash := encode(sha256(convert_to(head_hash || canonical, 'UTF8')), 'hex');
    RETURN QUERY INSERT INTO incidents_decisionlogentry AS e
        (incident_id, sequence, kind, recorded_at, actor_id, actor_label, actor_role,
         summary, data, corrects_id, prev_hash, hash)
        VALUES (p_incident, next_sequence, p_kind, at, p_actor, p_actor_label, p_actor_role,
                p_summary, p_data, p_corrects, head_hash, new_hash)
        RETURNING e.id, e.sequence, e.recorded_at, e.prev_hash, e.hash;
END $$
"""

DROP_SQL = "DROP FUNCTION IF EXISTS icc_append_log_entry(bigint, text, bigint, text, text, text, jsonb, bigint, text, text, text, timestamptz)"
