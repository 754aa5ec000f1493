"""Database triggers that keep published updates and their renditions immutable."""

from kit.triggers import Protection, TriggerSet, UpsertGuard

MESSAGE = "published updates are immutable"

# SQLite's INSERT OR REPLACE deletes a colliding row without firing DELETE
# triggers: each guard refuses an insert that collides with a published row on any unique key.
_UPDATES = Protection(
    table="comms_statusupdate",
    message=MESSAGE,
    function="icc_reject_published_update",
    trigger="icc_update_immutable",
    sqlite_prefix="icc_update",
    pg_when="OLD.status = 'published'",
    sqlite_when="OLD.status = 'published'",
    guard=UpsertGuard(
        table="comms_statusupdate",
        message=MESSAGE,
        name="icc_update_no_replace",
        unique_keys=(("id",), ("incident_id", "number"), ("log_entry_id",)),
        when="old_row.status = 'published'",
    ),
)
_RENDITIONS = Protection(
    table="comms_rendition",
    message=MESSAGE,
    function="icc_reject_published_rendition",
    trigger="icc_rendition_immutable",
    sqlite_prefix="icc_rendition",
    pg_when="EXISTS (SELECT 1 FROM comms_statusupdate WHERE id = OLD.update_id AND status = 'published')",
    sqlite_when="(SELECT status FROM comms_statusupdate WHERE id = OLD.update_id) = 'published'",
    what=" of a rendition",
    guard=UpsertGuard(
        table="comms_rendition",
        message=MESSAGE,
        name="icc_rendition_no_replace",
        unique_keys=(("id",), ("update_id", "audience")),
        when="(SELECT status FROM comms_statusupdate WHERE id = old_row.update_id) = 'published'",
    ),
)

TRIGGERS = TriggerSet.protecting(_UPDATES, _RENDITIONS)
install_triggers = TRIGGERS.install
drop_triggers = TRIGGERS.drop
