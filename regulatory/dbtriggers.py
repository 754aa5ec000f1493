"""Database triggers that keep what went to an authority immutable.

A report refuses UPDATE and DELETE once submitted (`status = 'submitted'`), and so does
its obligation once `submitted_at` is set: what reached the authority, who signed it
off, when, through which channel and under which reference cannot be rewritten, even
with raw SQL. Built with the shared kit.triggers, like the log's and the reviews'.
"""

from kit.triggers import Protection, TriggerSet, UpsertGuard

MESSAGE = "submitted regulatory reports are immutable"

_REPORTS = Protection(
    table="regulatory_regulatoryreport",
    message=MESSAGE,
    function="icc_reject_submitted_report",
    trigger="icc_regulatory_report_immutable",
    sqlite_prefix="icc_regulatory_report",
    pg_when="OLD.status = 'submitted'",
    sqlite_when="OLD.status = 'submitted'",
    guard=UpsertGuard(
        table="regulatory_regulatoryreport",
        message=MESSAGE,
        name="icc_regulatory_report_no_replace",
        unique_keys=(("id",), ("obligation_id",)),
        when="old_row.status = 'submitted'",
    ),
)

_OBLIGATIONS = Protection(
    table="regulatory_obligation",
    message=MESSAGE,
    function="icc_reject_submitted_obligation",
    trigger="icc_obligation_immutable",
    sqlite_prefix="icc_obligation",
    pg_when="OLD.submitted_at IS NOT NULL",
    sqlite_when="OLD.submitted_at IS NOT NULL",
    guard=UpsertGuard(
        table="regulatory_obligation",
        message=MESSAGE,
        name="icc_obligation_no_replace",
        when="old_row.submitted_at IS NOT NULL",
    ),
)

TRIGGERS = TriggerSet.protecting(_REPORTS, _OBLIGATIONS)
install_triggers = TRIGGERS.install
drop_triggers = TRIGGERS.drop
