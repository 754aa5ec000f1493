"""Vocabulary shared by the incident domain and the apps that build on it."""

from django.db import models


class Severity(models.IntegerChoices):
    SEV1 = 1, "SEV1 (critical)"
    SEV2 = 2, "SEV2 (high)"
    SEV3 = 3, "SEV3 (moderate)"
    SEV4 = 4, "SEV4 (low)"

    @property
    def short(self) -> str:
        return f"SEV{self.value}"


class Phase(models.TextChoices):
    """Lifecycle phases, in the order an incident moves through them."""

    DETECTED = "detected", "Detected"
    DECLARED = "declared", "Declared"
    CONTAINED = "contained", "Contained"
    ROOT_CAUSE_IDENTIFIED = "root_cause_identified", "Root cause identified"
    RECOVERED = "recovered", "Recovered"
    RESOLVED = "resolved", "Resolved"
    REVIEWED = "reviewed", "Reviewed"

    @classmethod
    def order(cls, phase: str) -> int:
        return cls.values.index(phase)


OPEN_PHASES = [
    Phase.DETECTED,
    Phase.DECLARED,
    Phase.CONTAINED,
    Phase.ROOT_CAUSE_IDENTIFIED,
    Phase.RECOVERED,
]


class Source(models.TextChoices):
    MANUAL = "manual", "Manual"
    API = "api", "API"
    ALERT = "alert", "Alert"


class Role(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    SCRIBE = "scribe", "Scribe"
    COMMS_LEAD = "comms_lead", "Comms lead"
    DATA_SCIENCE = "liaison_data_science", "Data science liaison"
    ENGINEERING = "liaison_engineering", "Engineering / SRE liaison"
    PRODUCT = "liaison_product", "Product liaison"
    EXECUTIVE = "liaison_executive", "Executive liaison"
    REGULATOR = "liaison_regulator", "Regulator / partner liaison"


class Audience(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    EXECUTIVE = "executive", "Executive / business"
    REGULATOR = "regulator", "Regulator / partner"
    CUSTOMER = "customer", "Customer-facing"


class DecisionType(models.TextChoices):
    """Decisions a playbook grants to roles (its decision rights)."""

    ROLLBACK_MODEL = "rollback_model", "Roll back a model"
    DISABLE_MODEL = "disable_model", "Disable a model or fall back to rules"
    ADJUST_THRESHOLD = "adjust_threshold", "Adjust a decision threshold"
    SHADOW_MODE = "shadow_mode", "Put a model in shadow mode"
    CHANGE_SEVERITY = "change_severity", "Change severity"
    REACH_MILESTONE = "reach_milestone", "Declare a milestone reached"
    CUSTOMER_NOTICE = "customer_notice", "Publish a customer notice"
    REGULATOR_DISCLOSURE = "regulator_disclosure", "Disclose to a regulator or partner"
    ESCALATE = "escalate", "Escalate beyond the playbook"
    OTHER = "other", "Other decision"


class ExposureLevel(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class EntryKind(models.TextChoices):
    DECLARATION = "declaration", "Declaration"
    SEVERITY_CHANGE = "severity_change", "Severity change"
    ROLE_CHANGE = "role_change", "Role change"
    DECISION_REQUEST = "decision_request", "Decision requested"
    DECISION = "decision", "Decision"
    ACTION = "action", "Action"
    MILESTONE = "milestone", "Milestone"
    UPDATE_PUBLISHED = "update_published", "Update published"
    REFERENCE = "reference", "Reference"
    NOTE = "note", "Note"
    CORRECTION = "correction", "Correction"
    # Written by later machinery (cadence, alerts, reviews); declared here so
    # the log's vocabulary lives in one place.
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation"
    SNOOZE = "snooze", "Deadline snoozed"
    SIGN_OFF = "sign_off", "Regulator sign-off"
    ALERT = "alert", "Alert"
    IMPACT_CHANGE = "impact_change", "Impact change"
    REVIEW = "review", "Post-incident review"
    ACTION_ITEM = "action_item", "Action item"
    REGULATORY = "regulatory", "Regulatory obligation"


# Kinds a client may append directly; the others are written by the service
# that changes the state they describe (so log and state never disagree).
FREE_ENTRY_KINDS = [EntryKind.NOTE, EntryKind.ACTION, EntryKind.REFERENCE]


class ReferenceKind(models.TextChoices):
    COMMIT = "commit", "Commit"
    TICKET = "ticket", "Ticket"
    URL = "url", "Link"
    DASHBOARD = "dashboard", "Dashboard"


# Update cadence in minutes per severity when no playbook says otherwise.
DEFAULT_CADENCE_MINUTES = {1: 30, 2: 30, 3: 60, 4: 240}

# Which audiences get updates (and so cadence deadlines) at which severity
# when no playbook says otherwise: audience -> least severe level included.
DEFAULT_NOTIFICATION_THRESHOLDS: dict[str, int] = {
    Audience.TECHNICAL: 4,
    Audience.EXECUTIVE: 3,
    Audience.CUSTOMER: 2,
    Audience.REGULATOR: 1,
}

# Decision rights (defaults, publishing roles) live in incidents.rights.

# Organisation-level groups (django.contrib.auth).
GROUP_RESPONDER = "responder"
GROUP_COMMANDER = "commander-eligible"
GROUP_EXECUTIVE = "executive"
GROUP_REGULATOR = "regulator-viewer"
GROUP_ADMIN = "admin"
ALL_GROUPS = [GROUP_RESPONDER, GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_REGULATOR, GROUP_ADMIN]
