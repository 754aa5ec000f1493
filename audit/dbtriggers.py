"""Database triggers that make the audit trail append-only below the ORM.

Built with the decision log's TriggerSet. Besides UPDATE and DELETE (and
TRUNCATE on PostgreSQL), SQLite also refuses an INSERT that names an existing
id: `INSERT OR REPLACE` would otherwise delete and rewrite the row without
firing a DELETE trigger.
"""

from incidents.logdb import TriggerSet

TABLE = "audit_auditevent"
MESSAGE = "audit trail is append-only"

_POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION icc_reject_audit_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""CREATE TRIGGER icc_audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION icc_reject_audit_change()""",
    f"""CREATE TRIGGER icc_audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION icc_reject_audit_change()""",
]
_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS icc_audit_no_update_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS icc_audit_no_truncate ON {TABLE}",
]
_SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS icc_audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS icc_audit_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS icc_audit_no_replace BEFORE INSERT ON {TABLE}
        WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: INSERT over an existing row refused'); END""",
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS icc_audit_no_{op}" for op in ("update", "delete", "replace")]

TRIGGERS = TriggerSet(_POSTGRES_CREATE, _POSTGRES_DROP, _SQLITE_CREATE, _SQLITE_DROP)
install_triggers = TRIGGERS.install
drop_triggers = TRIGGERS.drop
