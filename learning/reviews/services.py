"""Review workflows: start, regenerate, edit, sign off, publish, addenda.

Each owns its transaction and logs on the incident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from comms import workflows
from incidents import rights
from incidents.choices import DecisionType, EntryKind, Phase, Role
from incidents.decision_log.chain import append_entry
from incidents.models import Incident, Playbook
from kit.errors import Conflict, DomainError, NotPermitted
from kit.text import IS_AT_MOST, bounded_text, required_text
from kit.users import account
from learning import taxonomies
from learning.models import ActionItem, Review, ReviewAddendum, RootCause
from learning.reviews.draft import generate
from learning.reviews.renditions import executive_jargon
from learning.reviews.rights import may_edit, may_lead
from learning.reviews.vocabulary import EDITABLE, REVIEWABLE_PHASES, TEXT_FIELDS, TEXT_MAX


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
            incident=incident,
            generated=generate(incident),
            generated_at=now,
            created_by=account(by),
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
            assert taxonomy is not None  # noqa: S101  clean_classification refused an unknown slug
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
        review.regulator_signed_off_by, review.regulator_signed_off_at = account(by), timezone.now()
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
        review.status, review.published_at, review.published_by = (
            Review.Status.PUBLISHED,
            now,
            account(by),
        )
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
            review=review,
            number=number,
            body=body,
            author=account(by),
            created_at=now or timezone.now(),
        )
        append_entry(
            incident=review.incident,
            kind=EntryKind.REVIEW,
            actor=by,
            summary=f"Addendum {number} to the post-incident review",
            data={"event": "addendum", "review": review.pk, "number": number, "body": body},
        )
    return addendum
