"""Database triggers that keep published reviews and their addenda immutable.

A review row refuses UPDATE and DELETE once its status is "published"; an
addendum row refuses them always (addenda are append-only). Raw SQL hits
the same wall as the ORM.
"""

from incidents.logdb import TriggerSet, UpsertGuard

MESSAGE = "published reviews are immutable"

_POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION icc_reject_published_review() RETURNS trigger AS $$
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
    CREATE OR REPLACE FUNCTION icc_reject_addendum_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % of an addendum refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """CREATE TRIGGER icc_review_immutable BEFORE UPDATE OR DELETE ON learning_review
        FOR EACH ROW EXECUTE FUNCTION icc_reject_published_review()""",
    """CREATE TRIGGER icc_addendum_immutable BEFORE UPDATE OR DELETE ON learning_reviewaddendum
        FOR EACH ROW EXECUTE FUNCTION icc_reject_addendum_change()""",
]
_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS icc_review_immutable ON learning_review",
    "DROP TRIGGER IF EXISTS icc_addendum_immutable ON learning_reviewaddendum",
]
_SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS icc_review_no_{op.lower()} BEFORE {op} ON learning_review
        WHEN OLD.status = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} refused'); END"""
    for op in ("UPDATE", "DELETE")
] + [
    f"""CREATE TRIGGER IF NOT EXISTS icc_addendum_no_{op.lower()} BEFORE {op} ON learning_reviewaddendum
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} of an addendum refused'); END"""
    for op in ("UPDATE", "DELETE")
]
_SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS icc_{table}_no_{op}"
    for table in ("review", "addendum")
    for op in ("update", "delete")
]


# SQLite's INSERT OR REPLACE deletes a colliding row without firing DELETE
# triggers: refuse an insert that collides with a protected row on any unique key.
_SQLITE_GUARDS = (
    UpsertGuard(
        table="learning_review",
        message=MESSAGE,
        name="icc_review_no_replace",
        unique_keys=(("id",), ("incident_id",)),
        when="old_row.status = 'published'",
    ),
    UpsertGuard(
        table="learning_reviewaddendum",
        message=MESSAGE,
        name="icc_addendum_no_replace",
        unique_keys=(("id",), ("review_id", "number")),
    ),
)

TRIGGERS = TriggerSet(
    _POSTGRES_CREATE, _POSTGRES_DROP, _SQLITE_CREATE, _SQLITE_DROP, _SQLITE_GUARDS
)
install_triggers = TRIGGERS.install
drop_triggers = TRIGGERS.drop
