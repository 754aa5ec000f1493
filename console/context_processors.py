from typing import Any

from django.http import HttpRequest

from incidents import permissions


def personas(request: HttpRequest) -> dict[str, Any]:
    """Tell templates what the viewer may do, so pages hide what the server refuses anyway."""
    user = request.user
    return {
        "can_respond": permissions.can_respond(user),
        "can_declare": permissions.is_commander_eligible(user),
        "can_read_incidents": permissions.can_read_incidents(user),
    }
