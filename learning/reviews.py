"""Post-incident reviews: start (generated draft), edit, sign off, publish, addenda, renditions.

Who may do what (pages and API apply the same rules; the services check):

- start and publish: commander-eligible users, or whoever holds the
  incident's commander role;
- edit the draft, regenerate it, add addenda: responders and commanders;
- sign off the regulator disclosure: the incident's regulator liaison;
- read: responders and commanders every rendition of drafts and published
  reviews; executives the technical and executive renditions of published
  reviews; regulator viewers only the regulator rendition, and only once it
  is signed off and the review published.

Only a resolved incident can be reviewed. Publishing freezes the review
(ORM and database triggers), writes a log entry and moves the incident to
"reviewed"; later findings are numbered addenda, also logged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Avg, Max
from django.db.models.functions import Trunc
from django.utils import timezone

from comms import workflows
from comms.models import Deadline, StatusUpdate
from glossary.jargon import find_jargon
from incidents import permissions, rights
from incidents.choices import GROUP_REGULATOR, Audience, DecisionType, EntryKind, Phase, Role
from incidents.decision_log.chain import actor_label_for, append_entry
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import ImpactRule, Incident, MetricPoint, Playbook
from incidents.visibility import real_or_joined
from kit.errors import Conflict, DomainError, NotPermitted
from kit.text import IS_AT_MOST, bounded_text, required_text
from learning import taxonomies
from learning.models import ActionItem, Review, ReviewAddendum, RootCause

TECHNICAL, EXECUTIVE, REGULATOR = (
    Audience.TECHNICAL.value,
    Audience.EXECUTIVE.value,
    Audience.REGULATOR.value,
)
AUDIENCES = (TECHNICAL, EXECUTIVE, REGULATOR)
REVIEWABLE_PHASES = (Phase.RESOLVED, Phase.REVIEWED)

# What the team writes, in the order the review shows it: field -> heading.
TEXT_FIELDS = {
    "executive_summary": "Executive summary",
    "root_cause_detail": "Root causes",
    "failed_gates": "Quality gates that failed, and why",
    "containment_effectiveness": "Containment effectiveness",
    "counterfactuals": "Counterfactuals",
    "went_well": "What went well",
    "went_badly": "What went badly",
    "lessons": "Lessons",
    "regulator_disclosure": "Regulator disclosure",
}
EDITABLE = {*TEXT_FIELDS, "root_causes", "taxonomy", "classification"}
TEXT_MAX = 20_000
# Sections each rendition shows (besides the generated record and action items).
SECTIONS = {
    TECHNICAL: [f for f in TEXT_FIELDS if f != "regulator_disclosure"],
    EXECUTIVE: ["executive_summary", "lessons"],
    REGULATOR: ["regulator_disclosure"],
}


# --- Who may do what --------------------------------------------------------------------------


def may_lead(user: AbstractBaseUser, incident: Incident) -> bool:
    """Start and publish: commander-eligible users or the incident's commander."""
    return rights.may_lead(user, incident)


def may_edit(user: AbstractBaseUser) -> bool:
    return permissions.can_respond(user)


def is_regulator_visible(review: Review) -> bool:
    return (
        review.is_published
        and review.regulator_signed_off_at is not None
        and bool(review.regulator_disclosure)
    )


def audiences_for(user: AbstractBaseUser, review: Review) -> list[str]:
    """Return the renditions of `review` that `user` may read (empty: the review is hidden from them)."""
    if permissions.can_respond(user):
        return list(AUDIENCES)
    if permissions.can_read_incidents(user):  # executives
        return [TECHNICAL, EXECUTIVE] if review.is_published else []
    if GROUP_REGULATOR in permissions.group_names(user) and is_regulator_visible(review):
        return [REGULATOR]
    return []


def visible_reviews(user: AbstractBaseUser):  # -> QuerySet[Review]
    """Return the reviews `user` may see in lists, by the rules of `audiences_for`.

    A drill's review is listed only for those in that drill (incidents.visibility).
    """
    reviews = Review.objects.filter(real_or_joined(user))
    if permissions.can_respond(user):
        return reviews
    if permissions.can_read_incidents(user):
        return reviews.filter(status=Review.Status.PUBLISHED)
    if GROUP_REGULATOR in permissions.group_names(user):
        return reviews.filter(
            status=Review.Status.PUBLISHED, regulator_signed_off_at__isnull=False
        ).exclude(regulator_disclosure="")
    return reviews.none()


# --- The generated draft ----------------------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _timeline(entries: list[DecisionLogEntry]) -> list[dict[str, Any]]:
    return [
        {
            "sequence": e.sequence,
            "at": _iso(e.recorded_at),
            "kind": e.kind,
            "kind_label": EntryKind(e.kind).label,
            "actor": e.actor_label,
            "role": e.actor_role,
            "summary": e.summary,
        }
        for e in entries
    ]


def _decisions(entries: list[DecisionLogEntry]) -> list[dict[str, Any]]:
    out = []
    for e in entries:
        if e.kind != EntryKind.DECISION:
            continue
        d = e.data or {}
        kind = d.get("decision_type", "")
        out.append(
            {
                "sequence": e.sequence,
                "at": _iso(e.recorded_at),
                "decision_type": kind,
                "decision_type_label": DecisionType(kind).label
                if kind in DecisionType.values
                else kind,
                "decision": d.get("decision", e.summary),
                "rationale": d.get("rationale", ""),
                "options_considered": d.get("options_considered", []),
                "taken_by": e.actor_label,
                "role": e.actor_role,
                "approved_by": d.get("approved_by"),
                "reversible": d.get("reversible"),
            }
        )
    return out


def _milestones(incident: Incident) -> list[dict[str, Any]]:
    return [
        {
            "phase": m.phase,
            "phase_label": Phase(m.phase).label,
            "reached_at": _iso(m.reached_at),
            "indicator": m.indicator,
            "recorded_by": actor_label_for(m.recorded_by, "system"),
        }
        for m in incident.milestones.select_related("recorded_by").order_by("reached_at")
    ]


def _cadence(incident: Incident) -> list[dict[str, Any]]:
    """The cadence record per audience: each slot met, missed, open or cancelled."""
    slots: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in (
        Deadline.objects.filter(incident=incident)
        .select_related("fulfilled_by")
        .order_by("audience", "due_at")
    ):
        outcome = d.outcome or ("cancelled" if d.cancelled_at else "open")
        slots[d.audience].append(
            {
                "due_at": _iso(d.due_at),
                "outcome": outcome,
                "fulfilled_at": _iso(d.fulfilled_at),
                "update": d.fulfilled_by.number if d.fulfilled_by_id else None,
                "reminded": d.reminded_at is not None,
                "escalated": d.escalated_at is not None,
                "snoozed": d.snoozed_at is not None,
                "cadence_minutes": d.cadence_minutes,
            }
        )
    return [
        {
            "audience": a,
            "label": Audience(a).label,
            "met": sum(s["outcome"] == "met" for s in slots[a]),
            "missed": sum(s["outcome"] == "missed" for s in slots[a]),
            "slots": slots[a],
        }
        for a in Audience.values
        if slots.get(a)
    ]


def _impact(incident: Incident) -> dict[str, Any]:
    """Impact over time: the models' impact rules applied to hourly metric averages."""
    rules = list(
        ImpactRule.objects.filter(model__incidents=incident)
        .select_related("model")
        .distinct()
        .order_by("model__name", "metric")
    )
    end = incident.resolved_at or timezone.now()
    hours: dict[datetime, dict[int, Any]] = defaultdict(dict)
    if rules:
        rows = (
            MetricPoint.objects.filter(
                model_id__in={r.model_id for r in rules},
                metric__in={r.metric for r in rules},
                is_drill=incident.is_drill,
                timestamp__gte=incident.detected_at,
                timestamp__lte=end,
            )
            .annotate(hour=Trunc("timestamp", "hour", tzinfo=UTC))
            .values("model_id", "metric", "hour")
            .annotate(avg=Avg("value"))
            .order_by("hour")
        )
        by_key = {(r.model_id, r.metric): i for i, r in enumerate(rules)}
        for row in rows:
            index = by_key.get((row["model_id"], row["metric"]))
            if index is not None:
                hours[row["hour"]][index] = rules[index].evaluate(row["avg"])
    points = []
    for hour in sorted(hours):
        customers = sum(e.customers_per_hour for e in hours[hour].values())
        revenue = sum((e.revenue_per_hour for e in hours[hour].values()), Decimal("0"))
        points.append(
            {
                "at": _iso(hour),
                "customers_per_hour": round(customers, 1),
                "revenue_per_hour": str(revenue),
            }
        )
    peak = max(points, key=lambda p: p["customers_per_hour"], default=None)
    return {
        "rules": [
            {"model": r.model.name, "metric": r.metric, "unit_label": r.unit_label} for r in rules
        ],
        "hourly": points,
        "peak_customers_per_hour": peak["customers_per_hour"] if peak else 0.0,
        "peak_revenue_per_hour": max(
            (Decimal(p["revenue_per_hour"]) for p in points), default=Decimal("0")
        ).__str__(),
    }


def generate(incident: Incident) -> dict[str, Any]:
    """Return what the console knows of the incident, as the review's generated record."""
    entries = list(DecisionLogEntry.objects.filter(incident=incident).order_by("sequence"))
    minutes = None
    if incident.resolved_at:
        minutes = int((incident.resolved_at - incident.detected_at).total_seconds() // 60)
    updates = StatusUpdate.objects.filter(
        incident=incident, status=StatusUpdate.Status.PUBLISHED
    ).order_by("number")
    return {
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "severity_label": incident.severity_label,
            "scope": incident.scope,
            "summary": incident.summary,
            "detected_at": _iso(incident.detected_at),
            "declared_at": _iso(incident.declared_at),
            "resolved_at": _iso(incident.resolved_at),
            "duration_minutes": minutes,
            "customers_affected": incident.customers_affected,
            "revenue_at_risk_per_hour": str(incident.revenue_at_risk_per_hour),
            "regulatory_exposure": incident.regulatory_exposure,
            "is_drill": incident.is_drill,
            "models": [
                {"name": link.model.name, "version": link.version}
                for link in incident.affected_links.select_related("model").order_by("model__name")
            ],
        },
        "timeline": _timeline(entries),
        "decisions": _decisions(entries),
        "milestones": _milestones(incident),
        "cadence": _cadence(incident),
        "impact": _impact(incident),
        "updates": [
            {
                "number": u.number,
                "published_at": _iso(u.published_at),
                "what_changed": u.what_changed,
            }
            for u in updates
        ],
    }


# --- Services ---------------------------------------------------------------------------------


def _locked_draft(review: Review) -> Review:
    review = Review.objects.select_for_update().select_related("incident").get(pk=review.pk)
    if review.is_published:
        raise Conflict("This review is published and cannot change; add an addendum instead.")
    return review


def start_review(
    *, incident: Incident, by: AbstractBaseUser, now: datetime | None = None
) -> Review:
    """Start the review of a resolved incident with a draft generated from its record."""
    if not may_lead(by, incident):
        raise NotPermitted(
            "Only commander-eligible users or the incident commander start a review."
        )
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.phase not in REVIEWABLE_PHASES:
            raise Conflict(
                f"{incident.reference} is {incident.get_phase_display().lower()}; only a resolved "
                "incident can be reviewed.",
                field="incident",
            )
        if Review.objects.filter(incident=incident).exists():
            raise Conflict(f"{incident.reference} already has a review.", field="incident")
        review = Review.objects.create(
            incident=incident, generated=generate(incident), generated_at=now, created_by=by
        )
        append_entry(
            incident=incident,
            kind=EntryKind.REVIEW,
            actor=by,
            summary="Post-incident review started",
            data={"event": "started", "review": review.pk},
        )
    return review


def regenerate_review(
    *, review: Review, by: AbstractBaseUser, now: datetime | None = None
) -> Review:
    """Take the generated record again (the draft's written sections stay)."""
    if not may_edit(by):
        raise NotPermitted("Only responders and commanders edit reviews.")
    with transaction.atomic():
        review = _locked_draft(review)
        review.generated, review.generated_at = generate(review.incident), now or timezone.now()
        review.save(update_fields=["generated", "generated_at", "updated_at"])
    return review


def _clean_edit(review: Review, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - EDITABLE
    if unknown:
        name = sorted(unknown)[0]
        raise DomainError(f"{name} is not a field of a review.", field=name)
    cleaned: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in fields:
            cleaned[name] = bounded_text(
                fields[name], name, max_length=TEXT_MAX, too_long=IS_AT_MOST
            )
    if "root_causes" in fields:
        causes = fields["root_causes"]
        if not isinstance(causes, list) or any(c not in RootCause.values for c in causes):
            raise DomainError(
                f"root_causes is a list of {', '.join(RootCause.values)}.", field="root_causes"
            )
        cleaned["root_causes"] = [c for c in RootCause.values if c in causes]
    slug = fields.get("taxonomy", review.taxonomy)
    if "taxonomy" in fields or "classification" in fields:
        slug = str(slug or "")
        if not slug:
            if fields.get("classification"):
                raise DomainError("Choose a taxonomy for the classification.", field="taxonomy")
            cleaned |= {
                "taxonomy": "",
                "taxonomy_name": "",
                "taxonomy_version": "",
                "classification": {},
            }
        else:
            changed = slug != review.taxonomy
            given = fields.get("classification", {} if changed else review.classification)
            cleaned["classification"] = taxonomies.clean_classification(slug, given)
            taxonomy = taxonomies.get(slug)
            cleaned |= {
                "taxonomy": slug,
                "taxonomy_name": taxonomy.name,
                "taxonomy_version": taxonomy.version,
            }
    return cleaned


def edit_review(*, review: Review, by: AbstractBaseUser, **fields: Any) -> Review:
    """Change the draft. Changing the regulator disclosure voids its sign-off."""
    if not may_edit(by):
        raise NotPermitted("Only responders and commanders edit reviews.")
    with transaction.atomic():
        review = _locked_draft(review)
        cleaned = _clean_edit(review, fields)
        if (
            "regulator_disclosure" in cleaned
            and cleaned["regulator_disclosure"] != review.regulator_disclosure
        ):
            review.regulator_signed_off_by, review.regulator_signed_off_at = None, None
        for name, value in cleaned.items():
            setattr(review, name, value)
        review.save()
    return review


def sign_off_regulator(*, review: Review, by: AbstractBaseUser) -> Review:
    """Sign off the regulator disclosure; only the incident's regulator liaison may."""
    with transaction.atomic():
        review = _locked_draft(review)
        if not rights.holds(by, review.incident, Role.REGULATOR):
            raise NotPermitted(
                "Only the incident's regulator / partner liaison may sign off the disclosure."
            )
        if not review.regulator_disclosure:
            raise DomainError(
                "Write the regulator disclosure before signing it off.",
                field="regulator_disclosure",
            )
        if review.regulator_signed_off_at is not None:
            raise Conflict("The regulator disclosure is already signed off.")
        review.regulator_signed_off_by, review.regulator_signed_off_at = by, timezone.now()
        review.save(
            update_fields=["regulator_signed_off_by", "regulator_signed_off_at", "updated_at"]
        )
        append_entry(
            incident=review.incident,
            kind=EntryKind.SIGN_OFF,
            actor=by,
            actor_role=Role.REGULATOR,
            summary="Regulator disclosure of the post-incident review signed off",
            data={"review": review.pk},
        )
    return review


def executive_jargon(review: Review) -> list[dict[str, Any]]:
    """Return the technical terms in the executive rendition's text (a warning, not a refusal)."""
    found = []
    for name in SECTIONS[EXECUTIVE]:
        for match in find_jargon(getattr(review, name)):
            found.append({"field": name, **match.as_dict()})
    return found


def publish_review(*, review: Review, by: AbstractBaseUser, now: datetime | None = None) -> Review:
    """Publish: the review turns immutable, is logged, and the incident reaches "reviewed".

    1. Commander-eligible users or the incident commander publish.
    2. It needs an executive summary, at least one root cause, lessons, and a
       classification answering the taxonomy's required dimensions.
    3. A regulator disclosure, if written, must be signed off first.
    4. Technical terms in the executive rendition are recorded in the log
       entry (a warning; the page shows them before publishing).
    5. A resolved incident moves to "reviewed" (milestone and log entry).
    """
    with transaction.atomic():
        review = _locked_draft(review)
        incident = review.incident
        if not may_lead(by, incident):
            raise NotPermitted(
                "Only commander-eligible users or the incident commander publish a review."
            )
        # The request is fine; the stored draft is not ready: a conflict (409) naming the field.
        for name in ("executive_summary", "lessons"):
            if not getattr(review, name):
                raise Conflict(f"{TEXT_FIELDS[name]} is required to publish.", field=name)
        if not review.root_causes:
            raise Conflict("Name at least one root cause to publish.", field="root_causes")
        if not review.taxonomy:
            raise Conflict("Classify the incident against a taxonomy to publish.", field="taxonomy")
        try:
            taxonomies.clean_classification(review.taxonomy, review.classification, complete=True)
        except DomainError as incomplete:
            raise Conflict(incomplete.message, field=incomplete.field) from incomplete
        if review.regulator_disclosure and review.regulator_signed_off_at is None:
            raise Conflict(
                "The regulator disclosure needs sign-off by the regulator liaison first.",
                field="regulator_disclosure",
            )
        now = now or timezone.now()
        jargon = executive_jargon(review)
        items = ActionItem.objects.filter(incident=incident).count()
        if incident.phase == Phase.RESOLVED:
            may_mark = rights.may_take(
                rights.roles_held(by, incident),
                Playbook.for_incident(incident),
                DecisionType.REACH_MILESTONE,
            )
            milestone_by = by if may_mark else None
            workflows.reach_milestone(
                incident=incident,
                phase=Phase.REVIEWED,
                by=milestone_by,
                indicator="Post-incident review published",
            )
            review.incident = incident = Incident.objects.get(pk=incident.pk)
        review.status, review.published_at, review.published_by = Review.Status.PUBLISHED, now, by
        review.save()
        append_entry(
            incident=incident,
            kind=EntryKind.REVIEW,
            actor=by,
            summary=f"Post-incident review published: {', '.join(RootCause(c).label for c in review.root_causes)}",
            data={
                "event": "published",
                "review": review.pk,
                "root_causes": review.root_causes,
                "taxonomy": review.taxonomy,
                "taxonomy_name": review.taxonomy_name,
                "taxonomy_version": review.taxonomy_version,
                "classification": review.classification,
                "action_items": items,
                "regulator_signed_off": review.regulator_signed_off_at is not None,
                "executive_jargon": sorted({j["matched"] for j in jargon}),
            },
        )
    return review


def add_addendum(
    *, review: Review, by: AbstractBaseUser, body: str, now: datetime | None = None
) -> ReviewAddendum:
    """Append a later finding to a published review (numbered, logged, immutable)."""
    if not may_edit(by):
        raise NotPermitted("Only responders and commanders add addenda.")
    body = required_text(body, "body", max_length=TEXT_MAX, too_long=IS_AT_MOST)
    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("incident").get(pk=review.pk)
        if not review.is_published:
            raise Conflict("The review is still a draft: edit it instead of adding an addendum.")
        number = (review.addenda.aggregate(n=Max("number"))["n"] or 0) + 1
        addendum = ReviewAddendum.objects.create(
            review=review, number=number, body=body, author=by, created_at=now or timezone.now()
        )
        append_entry(
            incident=review.incident,
            kind=EntryKind.REVIEW,
            actor=by,
            summary=f"Addendum {number} to the post-incident review",
            data={"event": "addendum", "review": review.pk, "number": number, "body": body},
        )
    return addendum


# --- Renditions -------------------------------------------------------------------------------


def rendition(
    review: Review,
    audience: str,
    *,
    items: list[ActionItem],
    addenda: list[ReviewAddendum],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return what one audience reads, as plain data (pages, API and Markdown render it).

    technical: everything; executive: business terms (summary, impact,
    lessons, root-cause categories, action items); regulator: the signed-off
    disclosure, classification and the improvements committed to, no names.
    """
    now = now or timezone.now()
    g = review.generated or {}
    inc = g.get("incident", {})
    taxonomy = taxonomies.get(review.taxonomy)
    out: dict[str, Any] = {
        "audience": audience,
        "incident": review.incident_id,
        "reference": inc.get("reference", review.incident.reference),
        "title": inc.get("title", review.incident.title),
        "status": review.status,
        "generated_at": review.generated_at,
        "published_at": review.published_at,
        "published_by": actor_label_for(review.published_by, "")
        if review.published_by_id
        else None,
        "regulator_signed_off_at": review.regulator_signed_off_at,
        "regulator_signed_off_by": (
            actor_label_for(review.regulator_signed_off_by, "")
            if review.regulator_signed_off_by_id
            else None
        ),
        "root_causes": [{"value": c, "label": RootCause(c).label} for c in review.root_causes],
        "taxonomy": {
            "slug": review.taxonomy,
            "name": review.taxonomy_name,
            "version": review.taxonomy_version,
            "source_url": taxonomy.source_url if taxonomy else "",
        }
        if review.taxonomy
        else None,
        "classification": [
            {
                "dimension": key,
                "label": (
                    taxonomy.dimension(key).label if taxonomy and taxonomy.dimension(key) else key
                ),
                "value": ", ".join(value) if isinstance(value, list) else value,
            }
            for key, value in review.classification.items()
        ],
        "facts": {
            "severity": inc.get("severity_label"),
            "detected_at": inc.get("detected_at"),
            "resolved_at": inc.get("resolved_at"),
            "duration_minutes": inc.get("duration_minutes"),
            "customers_affected": inc.get("customers_affected"),
            "revenue_at_risk_per_hour": inc.get("revenue_at_risk_per_hour"),
            "peak_customers_per_hour": (g.get("impact") or {}).get("peak_customers_per_hour"),
            "regulatory_exposure": inc.get("regulatory_exposure"),
        },
        "sections": [
            {"key": k, "title": TEXT_FIELDS[k], "text": getattr(review, k)}
            for k in SECTIONS[audience]
        ],
        "action_items": [
            {
                "id": i.pk,
                "title": i.title,
                "category": i.category,
                "category_label": i.get_category_display(),
                "status": i.status,
                "status_label": i.get_status_display(),
                "due_at": i.due_at,
                "owner": i.owner.get_username() if audience != REGULATOR else None,
                "expected_outcome": i.expected_outcome,
                "overdue": i.is_open and i.due_at <= now,
            }
            for i in items
        ],
        "addenda": []
        if audience == REGULATOR
        else [
            {
                "number": a.number,
                "body": a.body,
                "created_at": a.created_at,
                "author": actor_label_for(a.author, "") if a.author_id else None,
            }
            for a in addenda
        ],
        "generated": _with_datetimes(g) if audience == TECHNICAL else None,
        "jargon": executive_jargon(review) if audience == EXECUTIVE else [],
    }
    return out


def _with_datetimes(g: dict[str, Any]) -> dict[str, Any]:
    """Return the generated record with its instants as datetimes, for time tags (JSON keeps ISO strings)."""

    def parsed(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        return [r | {key: datetime.fromisoformat(r[key])} if r.get(key) else r for r in rows]

    impact = g.get("impact") or {}
    return g | {
        "timeline": parsed(g.get("timeline", []), "at"),
        "decisions": parsed(g.get("decisions", []), "at"),
        "milestones": parsed(g.get("milestones", []), "reached_at"),
        "impact": impact | {"hourly": parsed(impact.get("hourly", []), "at")},
    }


def rendition_of(review: Review, audience: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Load the action items and addenda (two queries) and build one rendition."""
    items = list(ActionItem.objects.filter(incident_id=review.incident_id).select_related("owner"))
    addenda = list(review.addenda.select_related("author"))
    return rendition(review, audience, items=items, addenda=addenda, now=now)
