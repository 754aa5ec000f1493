"""Demo data: a published review of a resolved incident, with action items (one overdue).

Called by seed_demo; idempotent (an incident that already has a review is left alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from incidents.models import Incident
from learning.actions import create_action_item
from learning.models import Review
from learning.reviews import services as review_services

SUMMARY = (
    "For about three hours, product suggestions on the home and checkout pages loaded slowly and some customers "
    "left their basket. We switched to showing best-sellers, which kept checkout quick, and restored the normal "
    "suggestions once the fault was fixed. No payments or personal data were affected."
)


def seed_review(
    *,
    incident: Incident,
    commander: AbstractBaseUser,
    owners: Sequence[AbstractBaseUser],
    now: datetime | None = None,
) -> Review:
    """Review `incident` (resolved) as `commander`, with three action items for `owners` and publish it.

    The first item fell due an hour ago, so it is overdue: the
    learning tick reminds its owner once the demo's worker runs.
    """
    existing = Review.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    review = review_services.start_review(incident=incident, by=commander, now=now)
    review_services.edit_review(
        review=review,
        by=commander,
        executive_summary=SUMMARY,
        root_causes=["infrastructure", "process"],
        root_cause_detail="Cache node cache-3 ran out of memory after an eviction policy change shipped without "
        "load testing; recommendations waited on the cache with no timeout.",
        failed_gates="The change review did not require a load test for cache configuration; no canary.",
        containment_effectiveness="Serving best-sellers contained the customer impact within an hour.",
        counterfactuals="A 150 ms timeout with best-seller fallback would have kept pages fast without a human.",
        went_well="The fallback decision was quick and reversible; the log shows who decided and why.",
        went_badly="The cause took a day to find; the first note had a wrong restart time (corrected).",
        lessons="Treat cache settings like code: review them, load test them, and try them on a small share of "
        "traffic first. When a helper service is slow, fall back quickly.",
        taxonomy="oecd-aim",
        classification={
            "severity": "AI incident",
            "harm_type": ["economic/property"],
            "affected_stakeholders": ["consumers", "business"],
            "business_function": "sales",
        },
    )
    plan = [
        (
            "Alert on recommendation p95 latency above 300 ms",
            "monitoring",
            now - timedelta(hours=1),
            "An on-call page within 5 minutes of a latency breach.",
        ),
        (
            "Add a 150 ms timeout with best-seller fallback",
            "data_engineering",
            now + timedelta(days=14),
            "Checkout never waits more than 150 ms for recommendations.",
        ),
        (
            "Require load tests for cache configuration changes",
            "governance",
            now + timedelta(days=30),
            "The change checklist blocks cache changes without a load-test result.",
        ),
    ]
    for i, (title, category, due_at, outcome) in enumerate(plan):
        create_action_item(
            incident=incident,
            review=review,
            by=commander,
            title=title,
            owner=owners[i % len(owners)],
            due_at=due_at,
            expected_outcome=outcome,
            category=category,
            now=min(due_at - timedelta(hours=1), now),
        )
    return review_services.publish_review(review=review, by=commander, now=now)
