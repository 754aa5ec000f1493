"""Who may read, edit and lead a review (see the package docstring); pages, API and services ask here.

Incident-level rights (commander role) come from incidents.rights.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from incidents import permissions, rights
from incidents.choices import GROUP_REGULATOR
from incidents.models import Incident
from incidents.visibility import real_or_joined
from learning.models import Review
from learning.reviews.vocabulary import AUDIENCES, EXECUTIVE, REGULATOR, TECHNICAL


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
