"""The audit trail: who signed in, who read what the regulator reads, who changed what.

Everything is recorded through `audit.record(...)`; rows are append-only below
the ORM (database triggers built with kit.triggers).
"""

from typing import Any


def record(**kwargs: Any) -> Any:
    """Record one audit event; see `audit.services.record`."""
    from audit.services import record as _record  # lazy: this package is imported before apps load

    return _record(**kwargs)
