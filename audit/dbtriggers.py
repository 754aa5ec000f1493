"""Database triggers that make the audit trail append-only below the ORM.

The shared builder (`kit.triggers.TriggerSet.append_only`): UPDATE and DELETE
refused on both engines, TRUNCATE on PostgreSQL, and on SQLite an INSERT
that names an existing id (`INSERT OR REPLACE` would otherwise delete and
rewrite the row without firing a DELETE trigger).
"""

from kit.triggers import TriggerSet

TABLE = "audit_auditevent"
MESSAGE = "audit trail is append-only"

TRIGGERS = TriggerSet.append_only(table=TABLE, message=MESSAGE)
install_triggers = TRIGGERS.install
drop_triggers = TRIGGERS.drop
