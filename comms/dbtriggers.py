"""Database triggers that keep published updates and their renditions immutable."""

from incidents.logdb import TriggerSet, UpsertGuard

MESSAGE = "published updates are immutable"

_POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION icc_reject_published_update() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE OR REPLACE FUNCTION icc_reject_published_rendition() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM comms_statusupdate WHERE id = OLD.update_id AND status = 'published') THEN
            RAISE EXCEPTION '{MESSAGE}: % of a rendition refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,  # noqa: S608  DDL from module constants; no request data
    """CREATE TRIGGER icc_update_immutable BEFORE UPDATE OR DELETE ON comms_statusupdate
        FOR EACH ROW EXECUTE FUNCTION icc_reject_published_update()""",
    """CREATE TRIGGER icc_rendition_immutable BEFORE UPDATE OR DELETE ON comms_rendition
        FOR EACH ROW EXECUTE FUNCTION icc_reject_published_rendition()""",
]
_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS icc_update_immutable ON comms_statusupdate",
    "DROP TRIGGER IF EXISTS icc_rendition_immutable ON comms_rendition",
]
_SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS icc_update_no_{op.lower()} BEFORE {op} ON comms_statusupdate
        WHEN OLD.status = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} refused'); END"""
    for op in ("UPDATE", "DELETE")
] + [
    f"""CREATE TRIGGER IF NOT EXISTS icc_rendition_no_{op.lower()} BEFORE {op} ON comms_rendition
        WHEN (SELECT status FROM comms_statusupdate WHERE id = OLD.update_id) = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} of a rendition refused'); END"""  # noqa: S608  DDL from module constants; no request data
    for op in ("UPDATE", "DELETE")
]
_SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS icc_{table}_no_{op}"
    for table in ("update", "rendition")
    for op in ("update", "delete")
]


# SQLite's INSERT OR REPLACE deletes a colliding row without firing DELETE
# triggers: refuse an insert that collides with a published row on any unique key.
_SQLITE_GUARDS = (
    UpsertGuard(
        table="comms_statusupdate",
        message=MESSAGE,
        name="icc_update_no_replace",
        unique_keys=(("id",), ("incident_id", "number"), ("log_entry_id",)),
        when="old_row.status = 'published'",
    ),
    UpsertGuard(
        table="comms_rendition",
        message=MESSAGE,
        name="icc_rendition_no_replace",
        unique_keys=(("id",), ("update_id", "audience")),
        when="(SELECT status FROM comms_statusupdate WHERE id = old_row.update_id) = 'published'",
    ),
)

TRIGGERS = TriggerSet(
    _POSTGRES_CREATE, _POSTGRES_DROP, _SQLITE_CREATE, _SQLITE_DROP, _SQLITE_GUARDS
)
install_triggers = TRIGGERS.install
drop_triggers = TRIGGERS.drop
