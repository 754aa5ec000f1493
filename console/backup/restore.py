"""Import an export file in one transaction, and keep it only if every chain verifies.

1. Read line by line (the file is never held in memory): the header first,
   then each incident's lines; every line is checked before it is written.
2. Give every row a new id here and remap the foreign keys; entries and
   checkpoints keep the ids their hashes and signatures cover in `origin`
   / `origin_incident` (DecisionLogEntry.canonical() reads them).
3. Refuse an incident whose log is already here, a checkpoint signed by a
   key this installation does not trust, and a file without its `end` line.
4. Run verify_log (what `manage.py verify_decision_log` runs) on every
   imported incident; any failure rolls the whole import back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

import audit
from audit.models import Action
from comms.models import Rendition, StatusUpdate
from console.backup.export import INCIDENT_FIELDS, UPDATE_FIELDS
from console.backup.lines import (
    AFFECTED,
    MODEL,
    RENDITION,
    ImportRefused,
    check_fields,
    parse_line,
    time,
    when,
)
from incidents.choices import Audience, EntryKind, Phase, Role
from incidents.decision_log.checkpoints import verify_log
from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint, LogImmutable
from incidents.decision_log.signing import trusted_public_keys
from incidents.decision_log.verify import ChainReport
from incidents.models import (
    Incident,
    Milestone,
    MonitoredModel,
    RoleAssignment,
    incident_reference,
)


@dataclass
class Imported:
    """One imported incident: its reference on the source and here, and its verification."""

    source_ref: str
    incident: Incident
    report: ChainReport | None = None


@dataclass
class _State:
    site: str = ""
    public_keys: dict[str, Any] = field(default_factory=dict)
    with_checkpoints: bool = True
    trusted: dict[str, Any] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    placeholders: list[str] = field(default_factory=list)
    imported: dict[str, Imported] = field(default_factory=dict)
    # Of the incident being read only (its lines come together): memory stays flat.
    current: str = ""
    entries: dict[str, int] = field(default_factory=dict)  # entry id here, by hash
    updates: dict[int, int] = field(default_factory=dict)  # update id here, by number
    lines: int = 0
    ended: bool = False


@dataclass
class Result:
    incidents: list[Imported]
    placeholders: list[str]


def import_lines(lines: Iterable[str], *, with_checkpoints: bool = True) -> Result:
    """Import every incident of an export; raise ImportRefused (and keep nothing) on any problem."""
    state = _State(with_checkpoints=with_checkpoints, trusted=trusted_public_keys())
    with transaction.atomic():
        for number, text in enumerate(lines, 1):
            if state.ended:
                raise ImportRefused(f"line {number}: nothing may follow the 'end' line")
            obj = parse_line(number, text)
            try:
                _take(state, number, obj)
            except DatabaseError as exc:
                raise ImportRefused(f"line {number}: refused by the database: {exc}") from None
        if state.lines == 0:
            raise ImportRefused("the file is empty: line 1 must be the header")
        if not state.ended:
            raise ImportRefused(
                f"the file ends at line {state.lines} without its 'end' line: it is truncated"
            )
        for imported in state.imported.values():
            imported.report = report = verify_log(imported.incident.pk, keys=state.trusted)
            report.hashes = {}  # every entry's hash: not needed once verified
            if not report.valid:
                raise ImportRefused(
                    f"{imported.source_ref} does not verify after import: {report.detail}"
                )
        audit.record(
            action=Action.INCIDENTS_IMPORTED,
            details={
                "source": state.site,
                "incidents": {i.source_ref: i.incident.reference for i in state.imported.values()},
                "placeholder_users": state.placeholders,
            },
        )
    return Result(incidents=list(state.imported.values()), placeholders=state.placeholders)


def _take(state: _State, number: int, obj: dict[str, Any]) -> None:
    state.lines = number
    kind = obj["type"]
    if kind == "header":
        state.site, state.public_keys = obj["site_url"], obj["public_keys"]
        return
    if kind == "end":
        if obj["lines"] != number - 1 or obj["incidents"] != len(state.imported):
            raise ImportRefused(
                f"line {number}: field 'lines': the file has {number - 1} lines and "
                f"{len(state.imported)} incidents before its end, it says {obj['lines']} and "
                f"{obj['incidents']}"
            )
        state.ended = True
        return
    if kind == "incident":
        _incident(state, number, obj)
        return
    imported = state.imported.get(obj["ref"])
    if imported is None or obj["ref"] != state.current:
        raise ImportRefused(
            f"line {number}: field 'ref': {obj['ref']} is not the incident of the lines before "
            f"({state.current or 'none yet'}); an incident's lines follow its incident line"
        )
    {
        "entry": _entry,
        "checkpoint": _checkpoint,
        "role": _role,
        "milestone": _milestone,
        "update": _update,
    }[kind](state, number, obj, imported.incident)


def _user(state: _State, data: dict[str, str] | None) -> User | None:
    """The user of this username here; an inactive placeholder when there is none."""
    if data is None:
        return None
    username = data["username"]
    if username not in state.users:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                is_active=False,
            )
            user.set_unusable_password()
            user.save()
            state.placeholders.append(username)
        state.users[username] = user
    return state.users[username]


def _someone(state: _State, data: dict[str, str]) -> User:
    """The user of a field that names one always (its line's shape says so)."""
    user = _user(state, data)
    assert user is not None  # noqa: S101  parse_line refused a null
    return user


def _incident(state: _State, number: int, obj: dict[str, Any]) -> None:
    if obj["ref"] in state.imported:
        raise ImportRefused(f"line {number}: field 'ref': {obj['ref']} appears twice in the file")
    values = {name: obj.get(name) for name in INCIDENT_FIELDS}
    for name in ("detected_at", "declared_at", "resolved_at", "created_at", "updated_at"):
        values[name] = time(values[name])
    values["revenue_at_risk_per_hour"] = str(values["revenue_at_risk_per_hour"] or 0)
    stamps = {"created_at": values.pop("created_at"), "updated_at": values.pop("updated_at")}
    incident = Incident(**values, created_by=_user(state, obj["created_by"]))
    try:
        incident.full_clean(exclude=["created_by"], validate_constraints=False)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ImportRefused(f"line {number}: field '{name}': {' '.join(messages)}") from None
    incident.save()
    Incident.objects.filter(pk=incident.pk).update(**stamps)  # auto_now(_add) set them to now
    for index, link in enumerate(obj["affected"]):
        if not isinstance(link, dict):
            raise ImportRefused(f"line {number}: field 'affected[{index}]' must be an object")
        check_fields(number, link, AFFECTED, where=f"affected[{index}].")
        check_fields(number, link["model"], MODEL, where=f"affected[{index}].model.")
        model = link["model"]
        monitored, _ = MonitoredModel.objects.get_or_create(
            slug=model["slug"], defaults={k: v for k, v in model.items() if k != "slug"}
        )
        incident.affected_links.create(model=monitored, version=link["version"])
    state.imported[obj["ref"]] = Imported(source_ref=obj["ref"], incident=incident)
    state.current, state.entries, state.updates = obj["ref"], {}, {}


def _entry(state: _State, number: int, obj: dict[str, Any], incident: Incident) -> None:
    content = obj["content"]
    if content["kind"] not in EntryKind.values:
        raise ImportRefused(
            f"line {number}: field 'content.kind': unknown kind {content['kind']!r}"
        )
    if content["sequence"] == 1 and (
        here := DecisionLogEntry.objects.filter(hash=obj["hash"])
        .values_list("incident", flat=True)
        .first()
    ):
        raise ImportRefused(
            f"line {number}: {obj['ref']} is already on this installation as "
            f"{incident_reference(here)} (its log's first entry is here); nothing was imported"
        )
    corrects = None
    if obj["corrects_hash"] is not None:
        corrects = state.entries.get(obj["corrects_hash"])
        if corrects is None:
            raise ImportRefused(
                f"line {number}: field 'corrects_hash': no earlier entry of {obj['ref']} has that hash"
            )
    entry = DecisionLogEntry(
        incident=incident,
        sequence=content["sequence"],
        kind=content["kind"],
        recorded_at=when(content["recorded_at"]),
        actor=_user(state, obj["actor"]),
        actor_label=content["actor_label"],
        actor_role=content["actor_role"],
        summary=content["summary"],
        data=content["data"],
        corrects_id=corrects,
        prev_hash=obj["prev_hash"],
        hash=obj["hash"],
        origin={
            "site": state.site,
            "incident": content["incident"],
            "id": obj["id"],
            "actor_id": content["actor_id"],
            "corrects": content["corrects"],
        },
    )
    try:
        entry.save(force_insert=True)
    except LogImmutable:
        raise ImportRefused(
            f"line {number}: entry #{content['sequence']} of {obj['ref']}: its content does not "
            "match its hash (the entry was altered); nothing was imported"
        ) from None
    state.entries[entry.hash] = entry.pk


def _checkpoint(state: _State, number: int, obj: dict[str, Any], incident: Incident) -> None:
    if not state.with_checkpoints:
        return
    key_id = obj["key_id"]
    if key_id not in state.trusted:
        key = state.public_keys.get(key_id, "not in the file's header")
        raise ImportRefused(
            f"line {number}: field 'key_id': a checkpoint of {obj['ref']} is signed by key "
            f"{key_id}, which this installation does not trust. Add its public key ({key}) to "
            "LOG_TRUSTED_PUBLIC_KEYS, or import with --without-checkpoints."
        )
    LogCheckpoint(
        incident=incident,
        sequence=obj["sequence"],
        head_hash=obj["head_hash"],
        signed_at=when(obj["signed_at"]),
        key_id=key_id,
        signature=obj["signature"],
        origin_incident=obj["incident"],
    ).save(force_insert=True)


def _one_of(number: int, name: str, value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise ImportRefused(f"line {number}: field '{name}': unknown value {value!r}")
    return value


def _role(state: _State, number: int, obj: dict[str, Any], incident: Incident) -> None:
    _one_of(number, "role", obj["role"], Role.values)
    RoleAssignment.objects.create(
        incident=incident,
        role=obj["role"],
        user=_someone(state, obj["user"]),
        assigned_by=_user(state, obj["assigned_by"]),
        started_at=when(obj["started_at"]),
        ended_at=time(obj["ended_at"]),
        note=obj["note"],
    )


def _milestone(state: _State, number: int, obj: dict[str, Any], incident: Incident) -> None:
    _one_of(number, "phase", obj["phase"], Phase.values)
    Milestone.objects.create(
        incident=incident,
        phase=obj["phase"],
        reached_at=when(obj["reached_at"]),
        indicator=obj["indicator"],
        recorded_by=_user(state, obj["recorded_by"]),
    )


def _update(state: _State, number: int, obj: dict[str, Any], incident: Incident) -> None:
    values = {name: obj.get(name, "") for name in UPDATE_FIELDS}
    for name in ("next_update_at", "published_at"):
        values[name] = time(obj[name])
    log_entry = state.entries.get(obj["log_hash"]) if obj["log_hash"] else None
    if obj["log_hash"] and log_entry is None:
        raise ImportRefused(
            f"line {number}: field 'log_hash': no entry of {obj['ref']} has that hash"
        )
    if obj["corrects"] is not None and obj["corrects"] not in state.updates:
        raise ImportRefused(
            f"line {number}: field 'corrects': {obj['ref']} has no earlier update {obj['corrects']}"
        )
    update = StatusUpdate.objects.create(
        incident=incident,
        status=StatusUpdate.Status.PUBLISHED,
        corrects_id=state.updates.get(obj["corrects"] or 0),
        log_entry_id=log_entry,
        author=_user(state, obj["author"]),
        published_by=_user(state, obj["published_by"]),
        jargon_acknowledged_by=_user(state, obj["jargon_acknowledged_by"]),
        **values,
    )
    state.updates[update.number] = update.pk
    for index, rendition in enumerate(obj["renditions"]):
        if not isinstance(rendition, dict):
            raise ImportRefused(f"line {number}: field 'renditions[{index}]' must be an object")
        check_fields(number, rendition, RENDITION, where=f"renditions[{index}].")
        _one_of(number, f"renditions[{index}].audience", rendition["audience"], Audience.values)
        Rendition(
            update=update,
            audience=rendition["audience"],
            summary=rendition["summary"],
            body=rendition["body"],
            signed_off_by=_user(state, rendition["signed_off_by"]),
            signed_off_at=time(rendition["signed_off_at"]),
        ).save()
