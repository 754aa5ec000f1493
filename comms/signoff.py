"""Sign-off as an independent check: four eyes, and no sign-off survives a change.

The publishing service asks `check_four_eyes`; `Rendition.save` asks
`void_if_changed`, so every path (pages, API, commands, admin, ORM) obeys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser

from incidents.choices import Audience, EntryKind
from incidents.decision_log.chain import append_entry
from incidents.models import Incident, Playbook
from kit.errors import Conflict

if TYPE_CHECKING:
    from comms.models import Rendition

# The fields a sign-off vouches for: change one and the sign-off is void.
SIGNED_FIELDS = ("audience", "summary", "body")


class FourEyesRequired(Conflict):
    """The publisher signed off the regulator rendition themselves."""

    code = "four_eyes_required"


def four_eyes_under(playbook: Playbook | None, audience: str) -> bool:
    """Return whether `audience` needs two people (sign-off, publish) under `playbook`; on without one."""
    return playbook.requires_four_eyes(audience) if playbook else audience == Audience.REGULATOR


def blocks_publisher(*, rendition: Rendition, publisher_id: int, playbook: Playbook | None) -> bool:
    """Return whether the four-eyes rule keeps `publisher_id` from publishing `rendition`'s update."""
    return rendition.signed_off_by_id == publisher_id and four_eyes_under(
        playbook, rendition.audience
    )


def check_four_eyes(
    *, incident: Incident, rendition: Rendition, publisher: AbstractBaseUser
) -> None:
    """Refuse when the person who signed off `rendition` is the one publishing it."""
    if rendition.signed_off_by_id != publisher.pk:
        return  # the common case, decided without reading the playbook
    if not blocks_publisher(
        rendition=rendition, publisher_id=publisher.pk, playbook=Playbook.for_incident(incident)
    ):
        return
    raise FourEyesRequired(
        "Four eyes: you signed off the regulator rendition, so someone else (the incident commander "
        "or the comms lead) must publish this update.",
        field="renditions.regulator",
    )


def void_if_changed(rendition: Rendition, stored: Rendition | None) -> bool:
    """Clear the sign-off of `rendition` if its signed text differs from `stored`; log the voiding.

    Return whether a sign-off was voided. Called from `Rendition.save` inside
    its transaction, so the log entry commits with the change.
    """
    if stored is None or stored.signed_off_at is None:
        return False
    if all(getattr(rendition, f) == getattr(stored, f) for f in SIGNED_FIELDS):
        return False
    rendition.signed_off_by, rendition.signed_off_at = None, None
    update = rendition.update
    append_entry(
        incident=update.incident,
        kind=EntryKind.SIGN_OFF,
        summary=f"Sign-off of the {stored.audience} rendition of update {update.number} voided: its wording changed",
        actor_label="system",
        data={
            "update": update.number,
            "voided": True,
            "signed_off_by": stored.signed_off_by_id,
            "signed_off_at": stored.signed_off_at.isoformat(),
            "summary_signed": stored.summary,
        },
    )
    return True
