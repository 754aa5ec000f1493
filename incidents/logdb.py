"""Database triggers that make the decision log append-only below the ORM.

Both engines reject UPDATE and DELETE on the log table, so even raw SQL
cannot rewrite history; PostgreSQL also rejects TRUNCATE.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "incidents_decisionlogentry"
MESSAGE = "decision log is append-only"

_POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION icc_reject_log_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""CREATE TRIGGER icc_log_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION icc_reject_log_change()""",
    f"""CREATE TRIGGER icc_log_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION icc_reject_log_change()""",
]
_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS icc_log_no_update_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS icc_log_no_truncate ON {TABLE}",
]
_SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS icc_log_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS icc_log_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END""",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS icc_log_no_update",
    "DROP TRIGGER IF EXISTS icc_log_no_delete",
]


def _statements(vendor: str, create: bool) -> list[str]:
    if vendor == "postgresql":
        return _POSTGRES_CREATE if create else _POSTGRES_DROP
    if vendor == "sqlite":
        return _SQLITE_CREATE if create else _SQLITE_DROP
    raise NotImplementedError(f"No append-only triggers for {vendor}; use PostgreSQL or SQLite.")


def install_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, create=False) + _statements(connection.vendor, create=True):
            cursor.execute(sql)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers. Only the test suite's database flush uses this."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, create=False):
            cursor.execute(sql)
