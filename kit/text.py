"""The one required-text check: strip, refuse blank, refuse too long.

Services take text from forms, the API and scenario files alike; each used to
strip and check it by hand, with drifting messages. The messages are
parameters here because API clients and tests read them: a caller that has
always said "reason is required." keeps saying it.
"""

from __future__ import annotations

from kit.errors import DomainError

REQUIRED = "{field} is required."
TOO_LONG = "{field} must be at most {max_length} characters."
# The learning loop's wording of TOO_LONG, which its API clients already read.
IS_AT_MOST = "{field} is at most {max_length} characters."


def required_text(
    value: object,
    field: str,
    *,
    max_length: int | None = None,
    missing: str = REQUIRED,
    too_long: str = TOO_LONG,
) -> str:
    """Return `value` stripped, or raise DomainError naming `field`.

    `missing` and `too_long` are format strings ({field}, {max_length}).
    None counts as blank; anything else is read as its string form.
    """
    text = bounded_text(value, field, max_length=max_length, too_long=too_long)
    if not text:
        raise DomainError(missing.format(field=field, max_length=max_length), field=field)
    return text


def bounded_text(
    value: object, field: str, *, max_length: int | None = None, too_long: str = TOO_LONG
) -> str:
    """Return `value` stripped (blank allowed), or raise DomainError if it is too long."""
    text = str(value or "").strip()
    if max_length and len(text) > max_length:
        raise DomainError(too_long.format(field=field, max_length=max_length), field=field)
    return text
