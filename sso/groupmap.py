"""Translate the identity provider's group claim into the console's groups."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from incidents.choices import GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_REGULATOR, GROUP_RESPONDER

# The roles OIDC_GROUP_MAP may name. "admin" is deliberately absent: admin rights stay a
# local decision (a superuser), never a claim an identity provider can hand out.
ROLES = {
    "commander": GROUP_COMMANDER,
    "responder": GROUP_RESPONDER,
    "executive": GROUP_EXECUTIVE,
    "regulator": GROUP_REGULATOR,
}
MANAGED_GROUPS = frozenset(ROLES.values())


def parse_group_map(pairs: list[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """Return {claim value: console group names}; raise on a role that is not in ROLES."""
    mapping: dict[str, set[str]] = {}
    for claim_value, role in pairs:
        if role not in ROLES:
            known = ", ".join(sorted(ROLES))
            raise ImproperlyConfigured(
                f"OIDC_GROUP_MAP: unknown role {role!r} for {claim_value!r} (known: {known})"
            )
        mapping.setdefault(claim_value, set()).add(ROLES[role])
    return {value: frozenset(groups) for value, groups in mapping.items()}


def groups_for_claims(claims: dict, *, claim: str, mapping: dict[str, frozenset[str]]) -> set[str]:
    """Return the console groups that the claim's values map to (empty when none do)."""
    values = claims.get(claim) or []
    if isinstance(values, str):  # some providers send a single group as a string
        values = [values]
    groups: set[str] = set()
    for value in values:
        if isinstance(value, str):
            groups |= mapping.get(value, frozenset())
    return groups
