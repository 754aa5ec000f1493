from functools import cached_property
from typing import Any

from django.http import HttpRequest

from comms.inbox import unread_count
from incidents import permissions


class InboxBadge:
    """The nav's unread count: one query, only when a template shows it (fragments never do)."""

    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def unread(self) -> int:
        return unread_count(self.user) if self.user.is_authenticated else 0


def personas(request: HttpRequest) -> dict[str, Any]:
    """Tell templates what the viewer may do, so pages hide what the server refuses anyway.

    Worked out once per request: a view that asks first (the executive status
    page keys its kept pages on it) and the template share the answer.
    """
    known = getattr(request, "_personas", None)
    if known is not None:
        return known
    user = request.user
    known = {
        "can_respond": permissions.can_respond(user),
        "can_declare": permissions.is_commander_eligible(user),
        "can_read_incidents": permissions.can_read_incidents(user),
        "can_read_regulator_channel": permissions.can_read_regulator_channel(user),
        "inbox": InboxBadge(user),
    }
    setattr(request, "_personas", known)
    return known
