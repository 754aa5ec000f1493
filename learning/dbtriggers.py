"""Database triggers that keep published reviews and their addenda immutable.

A review row refuses UPDATE and DELETE once its status is "published"; an
addendum row refuses them always (addenda are append-only). Raw SQL hits
the same wall as the ORM.
"""

from kit.triggers import Protection, TriggerSet, UpsertGuard

MESSAGE = "published reviews are immutable"

# SQLite's INSERT OR REPLACE deletes a colliding row without firing DELETE
# triggers: each guard refuses an insert that collides with a protected row on any unique key.
_REVIEWS = Protection(
    table="learning_review",
    message=MESSAGE,
    function="icc_reject_published_review",
    trigger="icc_review_immutable",
    sqlite_prefix="icc_review",
    pg_when="OLD.status = 'published'",
    sqlite_when="OLD.status = 'published'",
    guard=UpsertGuard(
        table="learning_review",
        message=MESSAGE,
        name="icc_review_no_replace",
        unique_keys=(("id",), ("incident_id",)),
        when="old_row.status = 'published'",
    ),
)
_ADDENDA = Protection(
    table="learning_reviewaddendum",
    message=MESSAGE,
    function="icc_reject_addendum_change",
    trigger="icc_addendum_immutable",
    sqlite_prefix="icc_addendum",
    what=" of an addendum",
    guard=UpsertGuard(
        table="learning_reviewaddendum",
        message=MESSAGE,
        name="icc_addendum_no_replace",
        unique_keys=(("id",), ("review_id", "number")),
    ),
)

TRIGGERS = TriggerSet.protecting(_REVIEWS, _ADDENDA)
install_triggers = TRIGGERS.install
drop_triggers = TRIGGERS.drop
