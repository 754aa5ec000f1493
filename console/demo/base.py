"""What every demo scenario is given: the personas, the watched models and a way to report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User

from incidents import services
from incidents.models import Incident, MonitoredModel


@dataclass(frozen=True)
class Demo:
    """The seeded personas (by username) and models (by slug) scenarios build on."""

    users: dict[str, User]
    models: dict[str, MonitoredModel]
    say: Callable[[str], None]

    def staff(self, incident: Incident, by: User, roles: dict[str, str]) -> None:
        """Give each role (role -> username) on the incident, as `by`."""
        for role, username in roles.items():
            services.assign_role(incident=incident, role=role, user=self.users[username], by=by)
