"""Workflows of the incident domain.

Each service owns its transaction and writes its log entry inside it, so a
change and the entry that records it commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents import permissions, rights
from incidents.choices import (
    DecisionType,
    EntryKind,
    ExposureLevel,
    Phase,
    Role,
    Severity,
    Source,
)
from incidents.decision_log.chain import actor_label_for, append_entry
from incidents.decision_log.checkpoints import checkpoint_after_phase_change
from incidents.models import (
    AffectedModel,
    Incident,
    Milestone,
    MonitoredModel,
    RoleAssignment,
)
from kit.errors import Conflict, DomainError, NotPermitted
from kit.text import required_text
from kit.users import account

Actor = AbstractBaseUser | None


def _require_severity(severity: Any) -> int:
    if isinstance(severity, bool) or severity not in Severity.values:
        raise DomainError("severity must be 1, 2, 3 or 4 (SEV1–SEV4).", field="severity")
    return int(severity)


def require_responder(user: Actor, what: str) -> None:
    if user is not None and not permissions.can_respond(user):
        raise NotPermitted(f"Only responders and commanders may {what}.")


def _sign_head_on_commit(incident_id: int) -> None:
    """A phase change is a milestone of the log too: sign its head once it commits."""
    transaction.on_commit(lambda: checkpoint_after_phase_change(incident_id))


def locked(incident: Incident) -> Incident:
    """Re-read the incident under a row lock for a read-modify-write (incidents.decisions too)."""
    return Incident.objects.select_for_update().get(pk=incident.pk)


# --- Declaring ------------------------------------------------------------------


def declare_incident(
    *,
    by: Actor,
    title: str,
    severity: int,
    scope: str = "",
    summary: str = "",
    models: Sequence[tuple[MonitoredModel, str]] = (),
    customers_affected: int = 0,
    revenue_at_risk_per_hour: Decimal | int | str = 0,
    regulatory_exposure: str = ExposureLevel.NONE,
    customer_experience: str = "",
    is_drill: bool = False,
    source: str = Source.MANUAL,
    dedup_key: str = "",
    detected_at: datetime | None = None,
    detection_indicator: str = "",
    actor_label: str = "",
    commander: AbstractBaseUser | None = None,
) -> Incident:
    """Open an incident, log its declaration and name its commander.

    `by` is None for machine-declared incidents (alerts); then `actor_label`
    names the integration. The commander defaults to a commander-eligible
    declarer.
    """
    if by is not None and not permissions.is_commander_eligible(by):
        raise NotPermitted("Only commander-eligible users may declare incidents.")
    title = required_text(title, "title", max_length=200)
    severity = _require_severity(severity)
    if regulatory_exposure not in ExposureLevel.values:
        raise DomainError(
            "regulatory_exposure must be none, low, medium or high.", field="regulatory_exposure"
        )
    if source not in Source.values:
        raise DomainError("source must be manual, api or alert.", field="source")
    now = timezone.now()
    detected_at = detected_at or now
    if detected_at > now:
        raise DomainError("detected_at cannot be in the future.", field="detected_at")
    revenue = Decimal(str(revenue_at_risk_per_hour))
    if customers_affected < 0 or revenue < 0:
        raise DomainError(
            "Impact figures cannot be negative.",
            field="customers_affected" if customers_affected < 0 else "revenue_at_risk_per_hour",
        )
    label = actor_label_for(by, actor_label or "system")
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                title=title,
                severity=severity,
                phase=Phase.DECLARED,
                scope=scope,
                summary=summary,
                customers_affected=customers_affected,
                revenue_at_risk_per_hour=revenue,
                regulatory_exposure=regulatory_exposure,
                customer_experience=customer_experience,
                is_drill=is_drill,
                source=source,
                dedup_key=dedup_key,
                detected_at=detected_at,
                declared_at=now,
                created_by=account(by),
            )
            AffectedModel.objects.bulk_create(
                AffectedModel(incident=incident, model=m, version=v or m.current_version)
                for m, v in models
            )
            Milestone.objects.bulk_create(
                [
                    Milestone(
                        incident=incident,
                        phase=Phase.DETECTED,
                        reached_at=detected_at,
                        indicator=detection_indicator or "Reported",
                        recorded_by=account(by),
                    ),
                    Milestone(
                        incident=incident,
                        phase=Phase.DECLARED,
                        reached_at=now,
                        indicator=f"Declared {Severity(severity).short} by {label}",
                        recorded_by=account(by),
                    ),
                ]
            )
            append_entry(
                incident=incident,
                kind=EntryKind.DECLARATION,
                actor=by,
                actor_label=label,
                summary=f"Declared {Severity(severity).short}: {title}",
                data={
                    "severity": severity,
                    "scope": scope,
                    "summary": summary,
                    "models": [
                        {"slug": m.slug, "version": v or m.current_version} for m, v in models
                    ],
                    "customers_affected": customers_affected,
                    "revenue_at_risk_per_hour": str(revenue),
                    "regulatory_exposure": regulatory_exposure,
                    "is_drill": is_drill,
                    "source": source,
                    "dedup_key": dedup_key,
                    "detected_at": detected_at.isoformat(),
                },
            )
            commander = commander or (
                by if by is not None and permissions.is_commander_eligible(by) else None
            )
            if commander is not None:
                _assign(
                    incident=incident,
                    role=Role.COMMANDER,
                    user=commander,
                    by=by,
                    note="Declaring commander",
                )
            _sign_head_on_commit(incident.pk)
    except IntegrityError as exc:
        if dedup_key and "dedup" in str(exc).lower():
            raise Conflict(
                f"An open incident already has dedup key {dedup_key!r}.", field="dedup_key"
            ) from exc
        raise
    return incident


# --- Roles -------------------------------------------------------------------------


def assign_role(
    *, incident: Incident, role: str, user: AbstractBaseUser, by: Actor, note: str = ""
) -> RoleAssignment:
    """Give `user` the role; if someone holds it, hand it off (history kept)."""
    if by is not None and not rights.may_lead(by, incident):
        raise NotPermitted(
            "Only the incident commander or a commander-eligible user may assign roles."
        )
    with transaction.atomic():
        return _assign(incident=locked(incident), role=role, user=user, by=by, note=note)


def _assign(
    *, incident: Incident, role: str, user: AbstractBaseUser, by: Actor, note: str
) -> RoleAssignment:
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", field="role")
    if not user.is_active or not permissions.can_respond(user):
        raise DomainError(
            f"{user.get_username()} is not a responder and cannot hold incident roles.",
            field="user",
        )
    if role == Role.COMMANDER and not permissions.is_commander_eligible(user):
        raise DomainError(f"{user.get_username()} is not commander-eligible.", field="user")
    if not incident.is_open:
        raise Conflict(
            f"{incident.reference} is {incident.get_phase_display().lower()}; roles are closed."
        )
    now = timezone.now()
    current = (
        RoleAssignment.objects.active()
        .filter(incident=incident, role=role)
        .select_related("user")
        .first()
    )
    if current and current.user_id == user.pk:
        raise Conflict(f"{user.get_username()} already holds this role.", field="user")
    if current:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    assignment = RoleAssignment.objects.create(
        incident=incident,
        role=role,
        user=account(user),
        assigned_by=account(by),
        started_at=now,
        note=note,
    )
    role_label = Role(role).label
    previous = current.user.get_username() if current else None
    summary = (
        f"{role_label} handed off from {previous} to {user.get_username()}"
        if previous
        else f"{user.get_username()} assigned as {role_label}"
    )
    append_entry(
        incident=incident,
        kind=EntryKind.ROLE_CHANGE,
        actor=by,
        summary=summary,
        data={"role": role, "from": previous, "to": user.get_username(), "note": note},
    )
    return assignment


def release_role(*, incident: Incident, role: str, by: Actor, note: str = "") -> None:
    """End the current holder's assignment without a successor."""
    if by is not None and not rights.may_lead(by, incident):
        raise NotPermitted(
            "Only the incident commander or a commander-eligible user may release roles."
        )
    with transaction.atomic():
        incident = locked(incident)
        current = (
            RoleAssignment.objects.active()
            .filter(incident=incident, role=role)
            .select_related("user")
            .first()
        )
        if current is None:
            raise Conflict("Nobody holds that role.", field="role")
        current.ended_at = timezone.now()
        current.save(update_fields=["ended_at"])
        append_entry(
            incident=incident,
            kind=EntryKind.ROLE_CHANGE,
            actor=by,
            summary=f"{current.user.get_username()} released as {Role(role).label}",
            data={"role": role, "from": current.user.get_username(), "to": None, "note": note},
        )


# --- Severity, impact, milestones -----------------------------------------------------


def change_severity(*, incident: Incident, severity: int, by: Actor, reason: str) -> Incident:
    """Change the severity (a decision right, by default the commander's)."""
    severity = _require_severity(severity)
    reason = required_text(reason, "reason")
    with transaction.atomic():
        incident = locked(incident)
        role = (
            rights.check_decision_right(
                incident=incident, user=by, decision_type=DecisionType.CHANGE_SEVERITY
            )
            if by
            else ""
        )
        if not incident.is_open:
            raise Conflict(f"{incident.reference} is closed; its severity is final.")
        if severity == incident.severity:
            raise Conflict(f"{incident.reference} is already SEV{severity}.", field="severity")
        previous = incident.severity
        incident.severity = severity
        incident.save(update_fields=["severity", "updated_at"])
        append_entry(
            incident=incident,
            kind=EntryKind.SEVERITY_CHANGE,
            actor=by,
            actor_role=role,
            summary=f"Severity SEV{previous} → SEV{severity}: {reason}",
            data={"from": previous, "to": severity, "reason": reason},
        )
    return incident


IMPACT_FIELDS = (
    "customers_affected",
    "revenue_at_risk_per_hour",
    "regulatory_exposure",
    "regulatory_notes",
    "customer_experience",
)


def update_impact(*, incident: Incident, by: Actor, reason: str = "", **changes: Any) -> Incident:
    """Revise the impact figures; the log keeps every previous value."""
    require_responder(by, "revise impact")
    unknown = set(changes) - set(IMPACT_FIELDS)
    if unknown:
        raise DomainError(f"Unknown impact field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    if (
        "regulatory_exposure" in changes
        and changes["regulatory_exposure"] not in ExposureLevel.values
    ):
        raise DomainError(
            "regulatory_exposure must be none, low, medium or high.", field="regulatory_exposure"
        )
    for name in ("customers_affected", "revenue_at_risk_per_hour"):
        if name in changes and Decimal(str(changes[name])) < 0:
            raise DomainError(f"{name} cannot be negative.", field=name)
    with transaction.atomic():
        incident = locked(incident)
        before = {f: str(getattr(incident, f)) for f in changes}
        for name, value in changes.items():
            setattr(
                incident, name, Decimal(str(value)) if name == "revenue_at_risk_per_hour" else value
            )
        incident.save(update_fields=[*changes, "updated_at"])
        append_entry(
            incident=incident,
            kind=EntryKind.IMPACT_CHANGE,
            actor=by,
            summary="Impact revised" + (f": {reason}" if reason else ""),
            data={
                "before": before,
                "after": {f: str(getattr(incident, f)) for f in changes},
                "reason": reason,
            },
        )
    return incident


def reach_milestone(
    *, incident: Incident, phase: str, indicator: str, by: Actor, reached_at: datetime | None = None
) -> Milestone:
    """Move the incident forward to `phase`, proved by an observable indicator."""
    if phase not in Phase.values or phase in (Phase.DETECTED, Phase.DECLARED):
        raise DomainError(
            "phase must be one of contained, root_cause_identified, recovered, resolved, reviewed.",
            field="phase",
        )
    indicator = required_text(indicator, "indicator", max_length=300)
    now = timezone.now()
    reached_at = reached_at or now
    if reached_at > now:
        raise DomainError("reached_at cannot be in the future.", field="reached_at")
    with transaction.atomic():
        incident = locked(incident)
        role = (
            rights.check_decision_right(
                incident=incident, user=by, decision_type=DecisionType.REACH_MILESTONE
            )
            if by
            else ""
        )
        if Phase.order(phase) <= Phase.order(incident.phase):
            raise Conflict(
                f"{incident.reference} is already {incident.get_phase_display().lower()}; phases only move forward.",
                field="phase",
            )
        if phase == Phase.REVIEWED and incident.phase != Phase.RESOLVED:
            raise Conflict("An incident is reviewed only after it is resolved.", field="phase")
        if reached_at < incident.detected_at:
            raise DomainError("reached_at is before the incident was detected.", field="reached_at")
        milestone = Milestone.objects.create(
            incident=incident,
            phase=phase,
            reached_at=reached_at,
            indicator=indicator,
            recorded_by=account(by),
        )
        incident.phase = phase
        fields = ["phase", "updated_at"]
        if phase == Phase.RESOLVED:
            incident.resolved_at = reached_at
            fields.append("resolved_at")
        incident.save(update_fields=fields)
        append_entry(
            incident=incident,
            kind=EntryKind.MILESTONE,
            actor=by,
            actor_role=role,
            summary=f"{Phase(phase).label}: {indicator}",
            data={"phase": phase, "indicator": indicator, "reached_at": reached_at.isoformat()},
        )
        _sign_head_on_commit(incident.pk)
    return milestone
