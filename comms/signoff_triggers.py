"""Database triggers that void a sign-off when its wording changes.

`Rendition.save` voids and logs (comms.signoff); these catch what skips
`save()`: `QuerySet.update()` and raw SQL. Any UPDATE that changes a
rendition's audience, summary or body clears its sign-off, even one that
tries to set a new `signed_off_at` in the same statement.
"""

from kit.triggers import TriggerSet

_CHANGED = (
    "(NEW.summary IS DISTINCT FROM OLD.summary OR NEW.body IS DISTINCT FROM OLD.body"
    " OR NEW.audience IS DISTINCT FROM OLD.audience)"
)

_POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION icc_void_changed_signoff() RETURNS trigger AS $$
    BEGIN
        IF {_CHANGED} THEN
            NEW.signed_off_at := NULL;
            NEW.signed_off_by_id := NULL;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """CREATE TRIGGER icc_rendition_void_signoff BEFORE UPDATE ON comms_rendition
        FOR EACH ROW EXECUTE FUNCTION icc_void_changed_signoff()""",
]
_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS icc_rendition_void_signoff ON comms_rendition",
    "DROP FUNCTION IF EXISTS icc_void_changed_signoff()",
]
# SQLite cannot assign NEW in a BEFORE trigger: clear the row right after.
_SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS icc_rendition_void_signoff AFTER UPDATE OF summary, body, audience
        ON comms_rendition
        WHEN {_CHANGED.replace("IS DISTINCT FROM", "IS NOT")} AND NEW.signed_off_at IS NOT NULL
        BEGIN UPDATE comms_rendition SET signed_off_at = NULL, signed_off_by_id = NULL WHERE id = NEW.id; END""",  # noqa: S608  DDL from module constants; no request data
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS icc_rendition_void_signoff"]

TRIGGERS = TriggerSet(_POSTGRES_CREATE, _POSTGRES_DROP, _SQLITE_CREATE, _SQLITE_DROP)
install_triggers = TRIGGERS.install
drop_triggers = TRIGGERS.drop
