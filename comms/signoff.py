"""Sign-off as an independent check: four eyes, and no sign-off survives a change.

The publishing service asks `check_four_eyes`. The other half lives on the
model: `Rendition.save` voids a sign-off whose wording changed
(`Rendition.void_sign_off_if_changed`), so every path (pages, API, commands,
admin, ORM) obeys.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from comms.models import Rendition
from incidents.choices import Audience
from incidents.models import Incident, Playbook
from kit.errors import Conflict


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
