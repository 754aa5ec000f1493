"""Regulatory workflows: triage, moments, report drafts, four-eyes sign-off, submission.

Each service checks the incident-level right (incidents.rights: the regulator
liaison or the commander), locks the incident row, changes state, writes the
decision log in the same transaction and re-plans the clocks (regulatory.clocks).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from incidents import rights
from incidents.choices import EntryKind
from incidents.decision_log.chain import actor_label_for, append_entry
from incidents.decision_log.models import canonical_json
from incidents.models import Incident
from incidents.services import locked
from kit.errors import Conflict, DomainError
from kit.users import account
from regulatory import clocks, regimes
from regulatory.drafts import prefill
from regulatory.models import Moment, Obligation, RegulatoryReport, Triage

MAX_FIELD = 20_000
MAX_SHORT = 200


def triage(
    *,
    incident: Incident,
    by: AbstractBaseUser,
    regime: str,
    answers: dict[str, Any],
    now: datetime | None = None,
) -> Triage:
    """Record the answers to one regime's questions; the clocks follow. Every question needs yes or no."""
    now = now or timezone.now()
    found = regimes.get(regime) if isinstance(regime, str) else None
    if found is None:
        raise DomainError(
            f"Unknown regime {regime!r}; one of {', '.join(regimes.all_regimes())}.", field="regime"
        )
    if not isinstance(answers, dict):
        raise DomainError("Answers must map each question to true or false.", field="answers")
    unknown = sorted(set(answers) - {q.key for q in found.questions})
    if unknown:
        raise DomainError(
            f"{found.short_name} has no question {unknown[0]!r}.", field=f"answers.{unknown[0]}"
        )
    for question in found.questions:
        if not isinstance(answers.get(question.key), bool):
            raise DomainError(f"Answer yes or no: {question.text}", field=f"answers.{question.key}")
    with transaction.atomic():
        incident = locked(incident)
        rights.check_regulatory_role(by, incident)
        Triage.objects.filter(
            incident=incident, regime=found.slug, superseded_at__isnull=True
        ).update(superseded_at=now)
        applies = found.applies(answers)
        row = Triage.objects.create(
            incident=incident,
            regime=found.slug,
            regime_digest=found.digest,
            answers={q.key: answers[q.key] for q in found.questions},
            applies=applies,
            answered_by=account(by),
            answered_at=now,
        )
        changed = clocks.plan(incident, now=now)
        append_entry(
            incident=incident,
            kind=EntryKind.REGULATORY,
            actor=by,
            actor_label=actor_label_for(by),
            summary=f"{found.short_name} {'applies' if applies else 'does not apply'}: "
            + "; ".join(f"{q.key} {'yes' if answers[q.key] else 'no'}" for q in found.questions),
            data={
                "regime": found.slug,
                "regime_digest": found.digest,
                "answers": row.answers,
                "applies": applies,
                "obligations": _plan_summary(changed),
            },
        )
    return row


def _plan_summary(obligations: list[Obligation]) -> list[dict[str, Any]]:
    return [
        {
            "report": f"{o.regime}/{o.report}",
            "due_at": o.due_at.isoformat() if o.due_at else None,
            "cancelled": o.cancelled_at is not None,
        }
        for o in obligations
    ]


def record_moment(
    *,
    incident: Incident,
    by: AbstractBaseUser,
    name: str,
    at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Moment:
    """Record when the organisation became aware, or classified the incident as major (default:
    now); the clocks re-plan."""
    now = now or timezone.now()
    at = at or now
    if name not in regimes.MOMENTS:
        raise DomainError(
            f"Unknown moment {name!r}; one of {', '.join(regimes.MOMENTS)}.", field="name"
        )
    if not isinstance(at, datetime) or timezone.is_naive(at):
        raise DomainError("Give the moment as a date and time with its time zone.", field="at")
    if at > now:
        raise Conflict("A moment cannot be in the future.", field="at")
    if len(note) > 300:
        raise DomainError("At most 300 characters.", field="note")
    with transaction.atomic():
        incident = locked(incident)
        rights.check_regulatory_role(by, incident)
        if at < incident.detected_at:
            raise Conflict("A moment cannot be before the incident was detected.", field="at")
        Moment.objects.filter(incident=incident, name=name, superseded_at__isnull=True).update(
            superseded_at=now
        )
        moment = Moment.objects.create(
            incident=incident, name=name, at=at, recorded_by=account(by), recorded_at=now, note=note
        )
        changed = clocks.plan(incident, now=now)
        append_entry(
            incident=incident,
            kind=EntryKind.REGULATORY,
            actor=by,
            actor_label=actor_label_for(by),
            summary=f"{regimes.MOMENTS[name]}: {at:%Y-%m-%d %H:%M} UTC"
            + (f" ({note})" if note else ""),
            data={
                "moment": name,
                "at": at.isoformat(),
                "note": note,
                "obligations": _plan_summary(changed),
            },
        )
    return moment


# --- Reports ---------------------------------------------------------------------------------


def _locked_obligation(obligation: Obligation) -> tuple[Incident, Obligation]:
    incident = locked(obligation.incident)
    fresh = Obligation.objects.select_for_update().get(pk=obligation.pk)
    if fresh.cancelled_at is not None:
        raise Conflict("This obligation was cancelled by a later triage.")
    return incident, fresh


def report_of(obligation: Obligation) -> RegulatoryReport:
    """The obligation's report draft, pre-filled from the incident the first time it is asked for."""
    existing = RegulatoryReport.objects.filter(obligation=obligation).first()
    if existing is not None:
        return existing
    return RegulatoryReport(
        obligation=obligation, fields=prefill(obligation), edited_at=timezone.now()
    )


def edit_report(
    *,
    obligation: Obligation,
    by: AbstractBaseUser,
    fields: dict[str, Any],
    now: datetime | None = None,
) -> RegulatoryReport:
    """Save the draft's fields; a change after sign-off voids the sign-off."""
    now = now or timezone.now()
    regime = regimes.get(obligation.regime)
    spec = regime.report(obligation.report) if regime else None
    if spec is None:
        raise Conflict("This report's regime is no longer known.")
    if not isinstance(fields, dict):
        raise DomainError("Content must map each field to its text.", field="content")
    known = {f.key for f in spec.fields}
    for key, value in fields.items():
        if key not in known:
            raise DomainError(f"{spec.title} has no field {key!r}.", field=f"content.{key}")
        if not isinstance(value, str) or len(value) > MAX_FIELD:
            raise DomainError(f"Text of at most {MAX_FIELD} characters.", field=f"content.{key}")
    with transaction.atomic():
        incident, obligation = _locked_obligation(obligation)
        rights.check_regulatory_role(by, incident)
        report = report_of(obligation)
        if report.status == RegulatoryReport.Status.SUBMITTED:
            raise Conflict("This report was submitted and cannot change.")
        merged = {**report.fields, **fields}
        voided = report.status == RegulatoryReport.Status.SIGNED_OFF and merged != report.fields
        report.fields = merged
        report.edited_by, report.edited_at = account(by), now
        if voided:
            report.status = RegulatoryReport.Status.DRAFT
            report.signed_off_by, report.signed_off_at = None, None
        report.save()
        if voided:
            append_entry(
                incident=incident,
                kind=EntryKind.SIGN_OFF,
                actor=by,
                actor_label=actor_label_for(by),
                summary=f"Sign-off of the {obligation.title} voided: its wording changed",
                data={"obligation": obligation.pk, "voided": True},
            )
    return report


def sign_off_report(
    *, obligation: Obligation, by: AbstractBaseUser, now: datetime | None = None
) -> RegulatoryReport:
    """Four eyes: the signer is not the last person who edited the draft."""
    now = now or timezone.now()
    with transaction.atomic():
        incident, obligation = _locked_obligation(obligation)
        rights.check_regulatory_role(by, incident)
        report = RegulatoryReport.objects.select_for_update().filter(obligation=obligation).first()
        if report is None:
            raise Conflict("Save the draft before signing it off.")
        if report.status != RegulatoryReport.Status.DRAFT:
            raise Conflict(f"This report is {report.get_status_display().lower()} already.")
        if report.edited_by_id == by.pk:
            raise Conflict(
                "Four eyes: you edited this report last, so someone else (the regulator liaison or "
                "the commander) must sign it off.",
                field="signed_off_by",
            )
        report.status = RegulatoryReport.Status.SIGNED_OFF
        report.signed_off_by, report.signed_off_at = account(by), now
        report.save()
        append_entry(
            incident=incident,
            kind=EntryKind.SIGN_OFF,
            actor=by,
            actor_label=actor_label_for(by),
            summary=f"{obligation.title} signed off",
            data={"obligation": obligation.pk, "report": report.pk, "fields": report.fields},
        )
    return report


def submit_report(
    *,
    obligation: Obligation,
    by: AbstractBaseUser,
    channel: str,
    authority_reference: str = "",
    submitted_at: datetime | None = None,
    now: datetime | None = None,
) -> RegulatoryReport:
    """Record that the signed-off report went to the authority: who, when, how, their reference."""
    now = now or timezone.now()
    submitted_at = submitted_at or now
    channel = (channel or "").strip() if isinstance(channel, str) else ""
    if not channel or len(channel) > MAX_SHORT:
        raise DomainError(
            "Say how it was submitted (the authority's portal, e-mail address …), at most 200 characters.",
            field="channel",
        )
    if not isinstance(authority_reference, str) or len(authority_reference) > MAX_SHORT:
        raise DomainError("At most 200 characters.", field="authority_reference")
    if timezone.is_naive(submitted_at):
        raise DomainError("Give the submission time with its time zone.", field="submitted_at")
    if submitted_at > now:
        raise Conflict("The submission time cannot be in the future.", field="submitted_at")
    with transaction.atomic():
        incident, obligation = _locked_obligation(obligation)
        rights.check_regulatory_role(by, incident)
        report = RegulatoryReport.objects.select_for_update().filter(obligation=obligation).first()
        if report is None or report.status == RegulatoryReport.Status.DRAFT:
            raise Conflict("The report needs a second person's sign-off before it is submitted.")
        if report.status == RegulatoryReport.Status.SUBMITTED:
            raise Conflict("This report was submitted already.")
        if obligation.due_at is None:
            raise Conflict(
                "This report's clock has not started: submit the report it follows first."
            )
        if submitted_at < obligation.created_at:
            raise DomainError("The submission cannot predate the obligation.", field="submitted_at")
        report.status = RegulatoryReport.Status.SUBMITTED
        report.submitted_by, report.submitted_at = account(by), submitted_at
        report.channel, report.authority_reference = channel, authority_reference.strip()
        report.save()
        obligation.submitted_at = submitted_at
        on_time = submitted_at <= obligation.due_at
        if not obligation.outcome or on_time:
            obligation.outcome = Obligation.Outcome.MET if on_time else Obligation.Outcome.MISSED
        obligation.next_action_at = None
        obligation.save(update_fields=["submitted_at", "outcome", "next_action_at"])
        changed = clocks.plan(incident, now=now)
        append_entry(
            incident=incident,
            kind=EntryKind.REGULATORY,
            actor=by,
            actor_label=actor_label_for(by),
            summary=f"{obligation.title} submitted via {channel}"
            + (f", reference {report.authority_reference}" if report.authority_reference else "")
            + ("" if on_time else " (late)"),
            data={
                "obligation": obligation.pk,
                "regime": obligation.regime,
                "report": obligation.report,
                "submitted_at": submitted_at.isoformat(),
                "channel": channel,
                "authority_reference": report.authority_reference,
                "signed_off_by": report.signed_off_by.get_username()
                if report.signed_off_by
                else None,
                "due_at": obligation.due_at.isoformat(),
                "on_time": on_time,
                "fields_sha256": fields_digest(report.fields),
                "obligations": _plan_summary(changed),
            },
        )
    return report


def fields_digest(fields: dict[str, Any]) -> str:
    """SHA-256 of a report's fields: what the log records as submitted, and packs are checked with."""
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


# --- Reading ---------------------------------------------------------------------------------


def countdown(obligation: Obligation, now: datetime) -> dict[str, Any]:
    """State and time left, as pages and the API show them."""
    if obligation.cancelled_at:
        state = "cancelled"
    elif obligation.submitted_at:
        state = "submitted"
    elif obligation.due_at is None:
        state = "not_started"
    elif now > obligation.due_at:
        state = "overdue"
    else:
        state = "running"
    seconds = (
        int((obligation.due_at - now).total_seconds())
        if obligation.due_at and state in ("running", "overdue")
        else None
    )
    return {"state": state, "seconds_left": seconds}


def obligations_for(incident: Incident, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every obligation of the incident (cancelled ones too) as plain data: pages, API, evidence pack."""
    now = now or timezone.now()
    rows = (
        Obligation.objects.filter(incident=incident)
        .select_related(
            "triage__answered_by",
            "draft__signed_off_by",
            "draft__submitted_by",
            "draft__edited_by",
        )
        .order_by("cancelled_at", "due_at", "pk")
    )
    out = []
    for o in rows:
        report = getattr(o, "draft", None)
        regime = regimes.get(o.regime)
        spec = regime.report(o.report) if regime else None
        out.append(
            {
                "id": o.pk,
                "regime": o.regime,
                "regime_name": regime.short_name if regime else o.regime,
                "report": o.report,
                "title": o.title,
                "authority": regime.authority if regime else "",
                "immediately": spec.immediately if spec else "",
                "clock_from": o.clock_from,
                "window": o.window,
                "cite": o.cite,
                "starts_at": o.starts_at,
                "due_at": o.due_at,
                "is_drill": o.is_drill,
                "reminded_at": o.reminded_at,
                "escalated_at": o.escalated_at,
                "outcome": o.outcome or None,
                "cancelled_at": o.cancelled_at,
                **countdown(o, now),
                "triaged_by": actor_label_for(o.triage.answered_by),
                "triaged_at": o.triage.answered_at,
                "report_status": report.status if report else None,
                "signed_off_by": actor_label_for(report.signed_off_by)
                if report and report.signed_off_by
                else None,
                "signed_off_at": report.signed_off_at if report else None,
                "submission": {
                    "submitted_by": actor_label_for(report.submitted_by)
                    if report.submitted_by
                    else None,
                    "submitted_at": report.submitted_at,
                    "channel": report.channel,
                    "authority_reference": report.authority_reference,
                }
                if report and report.status == RegulatoryReport.Status.SUBMITTED
                else None,
            }
        )
    return out


def triage_state(incident: Incident) -> dict[str, Any]:
    """Each regime with its current answers (if any), and the moments: for the triage form and API."""
    current = {
        t.regime: t
        for t in Triage.objects.filter(
            incident=incident, superseded_at__isnull=True
        ).select_related("answered_by")
    }
    moments = {
        m.name: m
        for m in Moment.objects.filter(
            incident=incident, superseded_at__isnull=True
        ).select_related("recorded_by")
    }
    return {
        "regimes": [
            {
                "slug": r.slug,
                "name": r.short_name,
                "questions": [{"key": q.key, "text": q.text, "cite": q.cite} for q in r.questions],
                "answers": current[r.slug].answers if r.slug in current else None,
                "applies": current[r.slug].applies if r.slug in current else None,
                "answered_by": actor_label_for(current[r.slug].answered_by)
                if r.slug in current
                else None,
                "answered_at": current[r.slug].answered_at if r.slug in current else None,
            }
            for r in regimes.all_regimes().values()
        ],
        "moments": [
            {
                "name": name,
                "title": label,
                "at": moments[name].at if name in moments else incident.declared_at,
                "recorded": name in moments,
                "recorded_by": actor_label_for(moments[name].recorded_by)
                if name in moments
                else None,
            }
            for name, label in regimes.MOMENTS.items()
        ],
    }
