"""Errors the incident services raise; views and the API map them to 4xx."""


class DomainError(Exception):
    """A request the domain refuses. `field` names the offending input."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotPermitted(DomainError):
    """The actor lacks the group or incident role this needs."""

    status = 403


class DecisionRightDenied(NotPermitted):
    """The actor's incident roles do not carry this decision right."""


class Conflict(DomainError):
    """The incident's current state does not allow this (e.g. a phase already reached)."""

    status = 409
