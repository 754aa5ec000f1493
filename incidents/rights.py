"""Who may do what on one incident: the one home of decision rights.

Organisation-level access (which groups may respond, declare, read) is
incidents.permissions; this module answers the incident-level questions on
top of it: which roles a user holds, which decision rights a playbook grants
them, whose approval a decision needs, who may publish, lead or sign off.
Services refuse with these answers, the API and the pages show or hide
controls with the same answers, so the rule lives nowhere else.
"""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AbstractBaseUser

from incidents import permissions
from incidents.choices import DecisionType, Role
from incidents.models import Incident, Playbook, RoleAssignment
from kit.errors import DecisionRightDenied, DomainError, NotPermitted

Actor = AbstractBaseUser | None

# Decision rights when no playbook says otherwise: decision -> roles.
DEFAULT_DECISION_RIGHTS: dict[str, list[str]] = {
    DecisionType.ROLLBACK_MODEL: [Role.COMMANDER, Role.ENGINEERING],
    DecisionType.DISABLE_MODEL: [Role.COMMANDER, Role.ENGINEERING],
    DecisionType.ADJUST_THRESHOLD: [Role.COMMANDER, Role.DATA_SCIENCE],
    DecisionType.SHADOW_MODE: [Role.COMMANDER, Role.DATA_SCIENCE, Role.ENGINEERING],
    DecisionType.CHANGE_SEVERITY: [Role.COMMANDER],
    DecisionType.REACH_MILESTONE: [Role.COMMANDER, Role.ENGINEERING, Role.DATA_SCIENCE],
    DecisionType.CUSTOMER_NOTICE: [Role.COMMS_LEAD],
    DecisionType.REGULATOR_DISCLOSURE: [Role.REGULATOR],
    DecisionType.ESCALATE: [Role.COMMANDER],
    DecisionType.OTHER: [Role.COMMANDER],
}

# Roles that may publish status updates.
PUBLISHING_ROLES: list[str] = [Role.COMMANDER, Role.COMMS_LEAD]


def roles_held(user: Actor, incident: Incident) -> list[str]:
    """Return the incident roles `user` holds now (none for the system)."""
    if user is None:
        return []
    return list(
        RoleAssignment.objects.active()
        .filter(incident=incident, user=user)
        .values_list("role", flat=True)
    )


def holds(user: Actor, incident: Incident, role: str) -> bool:
    return role in roles_held(user, incident)


def roles_for(playbook: Playbook | None, decision: str) -> list[str]:
    """Return the roles that may take `decision`: the playbook's grant, else the default."""
    rights = playbook.decision_rights if playbook else {}
    return list(rights.get(decision, DEFAULT_DECISION_RIGHTS.get(decision, [])))


def approval_role(playbook: Playbook | None, decision: str) -> str | None:
    """Return the role whose approval `decision` needs under the playbook, if any."""
    return playbook.approvals.get(decision) if playbook else None


def may_take(held: Collection[str], playbook: Playbook | None, decision: str) -> bool:
    """Whether someone holding `held` may take `decision` (for showing controls)."""
    return bool(set(held) & set(roles_for(playbook, decision)))


def check_decision_right(*, incident: Incident, user: Actor, decision_type: str) -> str:
    """Return the role under which `user` may take `decision_type`, or raise."""
    if decision_type not in DecisionType.values:
        raise DomainError(f"Unknown decision type {decision_type!r}.", field="decision_type")
    allowed = roles_for(Playbook.for_incident(incident), decision_type)
    held = roles_held(user, incident)
    for role in allowed:
        if role in held:
            return role
    label = DecisionType(decision_type).label.lower()
    need = ", ".join(Role(r).label for r in allowed) or "nobody (the playbook grants it to no role)"
    have = ", ".join(Role(r).label for r in held) or "no role"
    raise DecisionRightDenied(
        f"You may not {label} on {incident.reference}: it needs {need}; you hold {have}.",
        field="decision_type",
    )


def check_approval(
    *,
    incident: Incident,
    decision_type: str,
    approved_by: Actor,
    missing: str = "This decision needs approval by the {role}.",
    not_held: str = "{user} does not hold {role}.",
) -> None:
    """Refuse unless `approved_by` holds the role the playbook's approval for the decision names.

    `missing` and `not_held` are the refusals ({role}, {user} filled in):
    each caller keeps the wording its users and API clients know.
    """
    role = approval_role(Playbook.for_incident(incident), decision_type)
    if not role:
        return
    label = Role(role).label
    if approved_by is None:
        raise DomainError(missing.format(role=label), field="approved_by")
    if not holds(approved_by, incident, role):
        user = approved_by.get_username()
        raise DomainError(not_held.format(role=label, user=user), field="approved_by")


def may_lead(
    user: AbstractBaseUser, incident: Incident, held: Collection[str] | None = None
) -> bool:
    """Assign and release roles, run a drill, lead its review, manage action items.

    Commander-eligible users anywhere, or whoever holds the incident's commander role.
    """
    if permissions.is_commander_eligible(user):
        return True
    return Role.COMMANDER in (roles_held(user, incident) if held is None else held)


def publishing_role(held: Collection[str]) -> str | None:
    """Return the role under which someone holding `held` publishes updates, if any."""
    return next((r for r in PUBLISHING_ROLES if r in held), None)


def check_publishing_role(user: Actor, incident: Incident) -> str:
    """Return the role under which `user` publishes updates of `incident`, or raise."""
    role = publishing_role(roles_held(user, incident))
    if role is None:
        raise NotPermitted("Only the incident commander or the comms lead may publish updates.")
    return role


def may_export_evidence(
    user: AbstractBaseUser, incident: Incident, held: Collection[str] | None = None
) -> bool:
    """Download the incident's evidence pack (its whole record, every audience's wording).

    Those who may lead it (commander-eligible users, its commander) and its regulator
    liaison, who hands the pack over. Executives and regulator viewers may not: the pack
    holds technical renditions and the full log.
    """
    if not permissions.can_respond(user):
        return False
    if may_lead(user, incident, held):
        return True
    return Role.REGULATOR in (roles_held(user, incident) if held is None else held)


# Who triages regulatory regimes, records moments, drafts, signs off and submits reports.
REGULATORY_ROLES: list[str] = [Role.REGULATOR, Role.COMMANDER]


def may_handle_regulatory(
    user: Actor, incident: Incident, held: Collection[str] | None = None
) -> bool:
    """The incident's regulator liaison or its commander."""
    if user is None:
        return False
    roles = roles_held(user, incident) if held is None else held
    return any(role in roles for role in REGULATORY_ROLES)


def check_regulatory_role(user: Actor, incident: Incident) -> None:
    if not may_handle_regulatory(user, incident):
        raise NotPermitted("Only the incident's regulator liaison or its commander may do this.")
