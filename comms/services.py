"""Status updates: draft, sign off, publish (immutable, logged, cadenced, fanned out)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from comms import cadence, fanout, signoff
from comms.models import Rendition, StatusUpdate
from glossary.jargon import find_jargon
from incidents import permissions, rights
from incidents.choices import Audience, DecisionType, EntryKind, Role
from incidents.decision_log.chain import append_entry
from incidents.models import Incident
from kit.errors import Conflict, DomainError, NotPermitted
from kit.text import required_text

TEXT_FIELDS = (
    "what_changed",
    "uncertain",
    "decisions_pending",
    "actions_in_progress",
    "current_impact",
)
# Audiences whose renditions must be free of unexplained jargon.
PLAIN_AUDIENCES = (Audience.EXECUTIVE, Audience.REGULATOR, Audience.CUSTOMER)
SUMMARY_MAX = 500

RenditionsIn = Mapping[str, Mapping[str, str]]


def _clean_renditions(renditions: RenditionsIn) -> dict[str, dict[str, str]]:
    if not isinstance(renditions, Mapping) or not renditions:
        raise DomainError(
            "At least one rendition (technical, executive, regulator or customer) is required.",
            field="renditions",
        )
    cleaned = {}
    for audience, text in renditions.items():
        if audience not in Audience.values:
            raise DomainError(f"Unknown audience {audience!r}.", field="renditions")
        summary = str((text or {}).get("summary", "")).strip()
        if not summary:
            raise DomainError(
                "Every rendition starts with a short summary.",
                field=f"renditions.{audience}.summary",
            )
        if len(summary) > SUMMARY_MAX:
            raise DomainError(
                f"The summary is at most {SUMMARY_MAX} characters; put detail in the body.",
                field=f"renditions.{audience}.summary",
            )
        cleaned[audience] = {"summary": summary, "body": str((text or {}).get("body", "")).strip()}
    return cleaned


def _clean_fields(fields: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = set(fields) - {*TEXT_FIELDS, "next_update_at"}
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(f"{name} is not a field of an update.", field=name)
    cleaned: dict[str, Any] = {
        k: str(v or "").strip() for k, v in fields.items() if k in TEXT_FIELDS
    }
    if not partial or "what_changed" in fields:
        required_text(
            cleaned.get("what_changed"),
            "what_changed",
            missing="what_changed is required: say what changed since the last update.",
        )
    if "next_update_at" in fields:
        when = fields["next_update_at"]
        if when is not None and (not isinstance(when, datetime) or when.tzinfo is None):
            raise DomainError(
                "next_update_at must be a date-time with a time zone.", field="next_update_at"
            )
        if when is not None and when <= timezone.now():
            raise DomainError("next_update_at must be in the future.", field="next_update_at")
        cleaned["next_update_at"] = when
    return cleaned


def create_draft(
    *,
    incident: Incident,
    by: AbstractBaseUser,
    renditions: RenditionsIn,
    corrects: StatusUpdate | None = None,
    **fields: Any,
) -> StatusUpdate:
    """Start an update; nothing is sent until it is published."""
    if not permissions.can_respond(by):
        raise NotPermitted("Only responders and commanders may write updates.")
    cleaned = _clean_fields(fields, partial=False)
    texts = _clean_renditions(renditions)
    if (
        corrects is not None
        and not StatusUpdate.objects.filter(
            pk=corrects.pk, incident_id=incident.pk, status=StatusUpdate.Status.PUBLISHED
        ).exists()
    ):
        raise DomainError(
            "corrects must name a published update of this incident.", field="corrects"
        )
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        number = (
            StatusUpdate.objects.filter(incident=incident).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        update = StatusUpdate.objects.create(
            incident=incident, number=number, author=cast(User, by), corrects=corrects, **cleaned
        )
        Rendition.objects.bulk_create(
            Rendition(update=update, audience=a, **t) for a, t in texts.items()
        )
    return update


def _locked_unpublished(update: StatusUpdate) -> StatusUpdate:
    update = StatusUpdate.objects.select_for_update().select_related("incident").get(pk=update.pk)
    if update.is_published:
        raise Conflict(
            f"Update {update.number} is published and cannot change; publish a correction instead."
        )
    return update


def edit_draft(
    *,
    update: StatusUpdate,
    by: AbstractBaseUser,
    renditions: RenditionsIn | None = None,
    **fields: Any,
) -> StatusUpdate:
    """Change a draft. Changing the regulator rendition voids its sign-off."""
    if not permissions.can_respond(by):
        raise NotPermitted("Only responders and commanders may write updates.")
    cleaned = _clean_fields(fields, partial=True)
    texts = _clean_renditions(renditions) if renditions is not None else None
    with transaction.atomic():
        update = _locked_unpublished(update)
        for name, value in cleaned.items():
            setattr(update, name, value)
        if texts is not None:
            existing = {r.audience: r for r in update.renditions.all()}
            for audience in set(existing) - set(texts):
                existing[audience].delete()
            for audience, text in texts.items():
                rendition = existing.get(audience) or Rendition(update=update, audience=audience)
                if rendition.pk and (rendition.summary, rendition.body) == (
                    text["summary"],
                    text["body"],
                ):
                    continue
                rendition.summary, rendition.body = text["summary"], text["body"]
                rendition.signed_off_by, rendition.signed_off_at = None, None
                rendition.save()
            if (
                update.status == StatusUpdate.Status.AWAITING_SIGNOFF
                and not update.renditions.filter(audience=Audience.REGULATOR).exists()
            ):
                update.status = StatusUpdate.Status.DRAFT
        update.save()
    return update


def submit_for_signoff(*, update: StatusUpdate, by: AbstractBaseUser) -> StatusUpdate:
    """Ask the regulator liaison to sign off the regulator rendition."""
    if not permissions.can_respond(by):
        raise NotPermitted("Only responders and commanders may submit updates.")
    with transaction.atomic():
        update = _locked_unpublished(update)
        if not update.renditions.filter(audience=Audience.REGULATOR).exists():
            raise DomainError(
                "Only updates with a regulator rendition need sign-off.", field="renditions"
            )
        update.status = StatusUpdate.Status.AWAITING_SIGNOFF
        update.save(update_fields=["status", "updated_at"])
    return update


def sign_off(*, update: StatusUpdate, by: AbstractBaseUser) -> StatusUpdate:
    """Sign off the regulator rendition; only the incident's regulator liaison may."""
    with transaction.atomic():
        update = _locked_unpublished(update)
        if not rights.holds(by, update.incident, Role.REGULATOR):
            raise NotPermitted(
                "Only the incident's regulator / partner liaison may sign off a regulator rendition."
            )
        rendition = update.renditions.filter(audience=Audience.REGULATOR).first()
        if rendition is None:
            raise DomainError(
                "This update has no regulator rendition to sign off.", field="renditions"
            )
        if rendition.signed_off_at is not None:
            raise Conflict("The regulator rendition is already signed off.")
        rendition.signed_off_by, rendition.signed_off_at = cast(User, by), timezone.now()
        rendition.save(update_fields=["signed_off_by", "signed_off_at"])
        update.status = StatusUpdate.Status.AWAITING_SIGNOFF
        update.save(update_fields=["status", "updated_at"])
        append_entry(
            incident=update.incident,
            kind=EntryKind.SIGN_OFF,
            actor=by,
            actor_role=Role.REGULATOR,
            summary=f"Regulator rendition of update {update.number} signed off",
            data={"update": update.number, "summary": rendition.summary},
        )
    return update


def jargon_in(update: StatusUpdate) -> list[dict[str, Any]]:
    """Return the technical terms found in the update's plain-language renditions."""
    found = []
    for rendition in update.renditions.all():
        if rendition.audience not in PLAIN_AUDIENCES:
            continue
        for field in ("summary", "body"):
            for match in find_jargon(getattr(rendition, field)):
                found.append({"audience": rendition.audience, "field": field, **match.as_dict()})
    return found


def publish_update(
    *,
    update: StatusUpdate,
    by: AbstractBaseUser,
    acknowledge_jargon: bool = False,
    approved_by: AbstractBaseUser | None = None,
) -> StatusUpdate:
    """Publish: in one transaction the update becomes immutable, is logged,
    fulfils and reopens its cadence deadlines and writes its deliveries;
    delivery starts after commit.

    1. Only the incident commander or the comms lead publishes.
    2. A regulator rendition must be signed off by the regulator liaison,
       and (four eyes, a playbook setting on by default) published by
       someone else.
    3. A customer rendition is a customer notice: the publisher needs that
       decision right, and the playbook's approval when it asks for one.
    4. Technical terms in executive, regulator or customer renditions need an
       explicit acknowledgement, which the log records.
    """
    with transaction.atomic():
        update = _locked_unpublished(update)
        incident = Incident.objects.select_for_update().get(pk=update.incident_id)
        role = rights.check_publishing_role(by, incident)
        renditions = {r.audience: r for r in update.renditions.all()}
        regulator = renditions.get(Audience.REGULATOR)
        if regulator is not None and regulator.signed_off_at is None:
            raise Conflict(
                "The regulator rendition needs sign-off by the regulator liaison first.",
                field="renditions.regulator",
            )
        if regulator is not None:
            signoff.check_four_eyes(incident=incident, rendition=regulator, publisher=by)
        if Audience.CUSTOMER in renditions:
            rights.check_decision_right(
                incident=incident, user=by, decision_type=DecisionType.CUSTOMER_NOTICE
            )
            rights.check_approval(
                incident=incident,
                decision_type=DecisionType.CUSTOMER_NOTICE,
                approved_by=approved_by,
                missing="A customer notice needs approval by the {role}.",
                not_held="A customer notice needs approval by the {role}.",
            )
        jargon = jargon_in(update)
        if jargon and not acknowledge_jargon:
            terms = ", ".join(sorted({f"{j['matched']} ({j['audience']})" for j in jargon}))
            raise DomainError(
                f"Plain-language renditions use technical terms: {terms}. Rephrase, or acknowledge.",
                field="acknowledge_jargon",
            )
        now = timezone.now()
        update.incident = incident
        due = cadence.plan_after_publish(update, list(renditions), now=now)
        if update.next_update_at is None and due:
            update.next_update_at = min(due.values())
        entry = append_entry(
            incident=incident,
            kind=EntryKind.UPDATE_PUBLISHED,
            actor=by,
            actor_role=role,
            summary=f"Update {update.number} published to {', '.join(sorted(renditions))}: {update.what_changed}",
            data={
                "update": update.number,
                "audiences": sorted(renditions),
                "summaries": {a: r.summary for a, r in sorted(renditions.items())},
                "next_update_at": update.next_update_at.isoformat()
                if update.next_update_at
                else None,
                "corrects": update.corrects.number if update.corrects is not None else None,
                "jargon_acknowledged": [
                    {"audience": j["audience"], "term": j["term"], "matched": j["matched"]}
                    for j in jargon
                ],
                "approved_by": approved_by.get_username() if approved_by else None,
            },
        )
        update.status = StatusUpdate.Status.PUBLISHED
        update.published_at, update.published_by, update.log_entry = now, cast(User, by), entry
        if jargon:
            update.jargon_acknowledged_by = cast(User, by)
        update.save()
        deliveries = fanout.write_update_deliveries(update, now=now)
        fanout.enqueue_after_commit(deliveries)
        if Audience.CUSTOMER in renditions and not incident.is_drill:
            fanout.hand_customer_update_after_commit(update.pk)
    return update
