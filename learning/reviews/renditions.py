"""What each audience reads of a review, as plain data (pages, API and Markdown render it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from glossary.jargon import find_jargon
from incidents.decision_log.chain import actor_label_for
from learning import taxonomies
from learning.models import ActionItem, Review, ReviewAddendum, RootCause
from learning.reviews.vocabulary import EXECUTIVE, REGULATOR, SECTIONS, TECHNICAL, TEXT_FIELDS


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
                    dimension.label if taxonomy and (dimension := taxonomy.dimension(key)) else key
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


def executive_jargon(review: Review) -> list[dict[str, Any]]:
    """Return the technical terms in the executive rendition's text (a warning, not a refusal)."""
    found = []
    for name in SECTIONS[EXECUTIVE]:
        for match in find_jargon(getattr(review, name)):
            found.append({"field": name, **match.as_dict()})
    return found
