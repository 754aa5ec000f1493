"""Read and check one line of an export: JSON, its type, and each field's type.

Every refusal names the line and the field, so a damaged file says where it
is damaged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from console.backup import FORMAT, VERSION


class ImportRefused(Exception):
    """The file cannot be imported; the message names the line and field, nothing was kept."""


TEXT, INT, BOOL, TIME, OBJECT, LIST = "text", "integer", "boolean", "time", "object", "list"
OPTIONAL = "?"  # suffix: the field may be null

# The fields each line type must carry, and their JSON types.
SHAPES: dict[str, dict[str, str]] = {
    "header": {
        "format": TEXT,
        "version": INT,
        "site_url": TEXT,
        "exported_at": TIME,
        "public_keys": OBJECT,
    },
    "incident": {
        "ref": TEXT,
        "title": TEXT,
        "severity": INT,
        "phase": TEXT,
        "detected_at": TIME,
        "declared_at": TIME,
        "resolved_at": TIME + OPTIONAL,
        "created_at": TIME,
        "updated_at": TIME,
        "created_by": OBJECT + OPTIONAL,
        "affected": LIST,
    },
    "entry": {
        "ref": TEXT,
        "id": INT,
        "content": OBJECT,
        "prev_hash": TEXT,
        "hash": TEXT,
        "actor": OBJECT + OPTIONAL,
        "corrects_hash": TEXT + OPTIONAL,
    },
    "checkpoint": {
        "ref": TEXT,
        "incident": INT,
        "sequence": INT,
        "head_hash": TEXT,
        "signed_at": TIME,
        "key_id": TEXT,
        "signature": TEXT,
    },
    "role": {
        "ref": TEXT,
        "role": TEXT,
        "user": OBJECT,
        "assigned_by": OBJECT + OPTIONAL,
        "started_at": TIME,
        "ended_at": TIME + OPTIONAL,
        "note": TEXT,
    },
    "milestone": {
        "ref": TEXT,
        "phase": TEXT,
        "reached_at": TIME,
        "indicator": TEXT,
        "recorded_by": OBJECT + OPTIONAL,
    },
    "update": {
        "ref": TEXT,
        "number": INT,
        "what_changed": TEXT,
        "uncertain": TEXT,
        "decisions_pending": TEXT,
        "actions_in_progress": TEXT,
        "current_impact": TEXT,
        "published_at": TIME,
        "next_update_at": TIME + OPTIONAL,
        "corrects": INT + OPTIONAL,
        "log_hash": TEXT + OPTIONAL,
        "author": OBJECT + OPTIONAL,
        "published_by": OBJECT + OPTIONAL,
        "jargon_acknowledged_by": OBJECT + OPTIONAL,
        "renditions": LIST,
    },
    "end": {"incidents": INT, "lines": INT},
}
# The fields of an entry's hashed content (DecisionLogEntry.canonical()).
CONTENT: dict[str, str] = {
    "incident": INT,
    "sequence": INT,
    "kind": TEXT,
    "recorded_at": TIME,
    "actor_id": INT + OPTIONAL,
    "actor_label": TEXT,
    "actor_role": TEXT,
    "summary": TEXT,
    "data": OBJECT,
    "corrects": INT + OPTIONAL,
}
AFFECTED: dict[str, str] = {"version": TEXT, "model": OBJECT}
MODEL: dict[str, str] = {
    "slug": TEXT,
    "name": TEXT,
    "team": TEXT,
    "business_function": TEXT,
    "risk_tier": INT,
}
RENDITION: dict[str, str] = {
    "audience": TEXT,
    "summary": TEXT,
    "body": TEXT,
    "signed_off_by": OBJECT + OPTIONAL,
    "signed_off_at": TIME + OPTIONAL,
}
USER: dict[str, str] = {"username": TEXT, "email": TEXT, "first_name": TEXT, "last_name": TEXT}


def _fits(value: Any, kind: str) -> bool:
    if kind.endswith(OPTIONAL):
        return value is None or _fits(value, kind[:-1])
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == TIME:
        if not isinstance(value, str):
            return False
        try:
            return datetime.fromisoformat(value).tzinfo is not None
        except ValueError:
            return False
    expected = {TEXT: str, BOOL: bool, OBJECT: dict, LIST: list}[kind]
    return isinstance(value, expected)


def check_fields(number: int, obj: dict[str, Any], shape: dict[str, str], where: str = "") -> None:
    """Refuse a missing field or one of the wrong type, naming line and field."""
    for name, kind in shape.items():
        label = f"{where}{name}"
        if name not in obj:
            raise ImportRefused(f"line {number}: field '{label}' is missing")
        if not _fits(obj[name], kind):
            article = "a timezone-aware ISO 8601 time" if kind.rstrip(OPTIONAL) == TIME else kind
            nullable = " or null" if kind.endswith(OPTIONAL) else ""
            raise ImportRefused(
                f"line {number}: field '{label}' must be {article}{nullable}, "
                f"not {json.dumps(obj[name])[:60]}"
            )
    for name in (
        "created_by",
        "actor",
        "user",
        "assigned_by",
        "recorded_by",
        "author",
        "published_by",
        "jargon_acknowledged_by",
        "signed_off_by",
    ):
        if name in shape and isinstance(obj.get(name), dict):
            check_fields(number, obj[name], USER, where=f"{where}{name}.")


def parse_line(number: int, text: str) -> dict[str, Any]:
    """Return the object on this line, checked against the shape of its type."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(obj, dict):
        raise ImportRefused(f"line {number}: must be a JSON object")
    kind = obj.get("type")
    if kind not in SHAPES:
        raise ImportRefused(
            f"line {number}: field 'type' must be one of {', '.join(SHAPES)}, not {json.dumps(kind)}"
        )
    if number == 1 and kind != "header":
        raise ImportRefused("line 1: field 'type' must be 'header' (the file's first line)")
    if kind == "header":
        if number != 1:
            raise ImportRefused(f"line {number}: field 'type': a header is only the first line")
        if obj.get("format") != FORMAT:
            raise ImportRefused(f"line 1: field 'format' must be '{FORMAT}'")
        if obj.get("version") != VERSION:
            raise ImportRefused(
                f"line 1: field 'version': unknown format version {json.dumps(obj.get('version'))} "
                f"(this console reads version {VERSION})"
            )
    check_fields(number, obj, SHAPES[kind])
    if kind == "entry":
        check_fields(number, obj["content"], CONTENT, where="content.")
    return obj


def when(value: str) -> datetime:
    """A time the line's shape says is there (checked by parse_line)."""
    return datetime.fromisoformat(value)


def time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None
