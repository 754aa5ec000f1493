"""Communication metrics, computed from the record (never typed in).

Definitions (docs/metrics.md is the reader's version; keep the two in step):

* Durations are on the incident's own clock: wall duration × incident.clock_factor
  (1 for real incidents; a drill replayed at 60× reports drill minutes).
* time_to_first_update: detected_at → published_at of the incident's first
  published status update (any audience). None while nothing is published.
* time_to_containment: detected_at → reached_at of the "contained" milestone.
  None while not contained.
* decision_times: for every decision request in the log (kind
  decision_request) that a later decision entry settles (data["settles"] is
  the request's sequence), the request's recorded_at → the first settling
  decision's recorded_at. Requests nobody has settled yet are counted in
  open_decisions and excluded from the times. The "decisions pending" text of
  a status update is free text that names no log entry, so it is not used.
* time_to_decision: the median of decision_times (the mean of the two middle
  values for an even count); the median, because one decision left for hours
  would otherwise hide how quickly the rest were taken.
* slots: per audience, (met, decided) cadence deadlines. A deadline is decided
  once it has an outcome: met (published on time, before any reminder) or
  missed (reminded, or published late); a reminded deadline is missed even if
  the incident later closed and cancelled it. Open deadlines not yet due or
  reminded have no outcome and do not count, nor do deadlines cancelled
  without an outcome (the incident ended or the audience left its plan).
* satisfaction: per audience, (mean clarity, mean usefulness, n) of the
  readers' ratings (1–5) of the incident's updates.
* reminders / escalations: cadence deadlines of the incident that were
  reminded / escalated (one reminder per deadline; a deadline counts once as escalated
  however many steps of its escalation path went out).

Aggregates (by severity, model and month) pool the incidents of a group:
durations are medians over the incidents that have the value (time to
decision: the median of all decision times of the group), slots and ratings
are pooled (Σ met / Σ decided; Σ ratings / n), reminders and escalations are
summed. Drill incidents are never in the real aggregates: `aggregate()`
refuses a mix, and `report(filters)` returns real incidents and drills as
two sections. `present.py` formats the page tables and the CSV, `charts.py`
draws the monthly trends; the API's shape is in api/communication_metrics/serializers.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, QuerySet, Sum

from comms.models import Deadline, Feedback, StatusUpdate
from incidents.choices import Audience, EntryKind, Phase
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import AffectedModel, Incident, Milestone
from regulatory import regimes
from regulatory.models import Obligation

AUDIENCES: list[str] = list(Audience.values)


@dataclass(frozen=True)
class IncidentMetrics:
    incident_id: int
    is_drill: bool
    severity: int
    time_to_first_update: (
        timedelta | None
    )  # durations on the incident's own clock: wall × clock_factor
    time_to_containment: timedelta | None  # detected_at → "contained" milestone reached_at
    decision_times: list[timedelta]  # one per settled decision request
    time_to_decision: timedelta | None  # median of decision_times
    slots: dict[
        str, tuple[int, int]
    ]  # audience -> (met, decided); open and cancelled-undecided excluded
    satisfaction: dict[
        str, tuple[float | None, float | None, int]
    ]  # audience -> (clarity, usefulness, n)
    reminders: int
    escalations: int
    # Extra fields (not part of the frozen interface above).
    open_decisions: int = 0  # decision requests not settled (yet)
    rating_sums: dict[str, tuple[int, int, int]] = field(
        default_factory=dict
    )  # audience -> (Σclarity, Σusefulness, n)
    clock_factor: int = 1
    reference: str = ""
    title: str = ""
    detected_at: datetime | None = None
    declared_at: datetime | None = None
    model_slugs: tuple[str, ...] = ()

    @property
    def month(self) -> str:
        """The month of the incident's declaration, YYYY-MM (UTC)."""
        return month_of(self.declared_at) if self.declared_at else ""

    def on_schedule(self, audience: str) -> float | None:
        met, total = self.slots.get(audience, (0, 0))
        return met / total if total else None


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def _scaled(delta: timedelta, factor: int) -> timedelta:
    return delta * max(1, int(factor or 1))


def median(values: Iterable[timedelta]) -> timedelta | None:
    """Return the middle value, or the mean of the two middle ones (as statistics.median)."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _mean(total: int, n: int) -> float | None:
    return total / n if n else None


def for_incident(incident: Incident) -> IncidentMetrics:
    """Return the metrics of one incident."""
    return for_incidents(Incident.objects.filter(pk=incident.pk))[0]


def for_incidents(incidents: QuerySet[Incident] | Iterable[Incident]) -> list[IncidentMetrics]:
    """Return the metrics of each incident, in the given order, in a constant number of queries.

    Seven queries whatever the number of incidents: the incidents, their
    affected models, contained milestones, decision entries, first published
    updates, deadline counts and rating sums.
    """
    rows = list(incidents)
    if not rows:
        return []
    # The incidents' own query as a subquery: no list of ids to outgrow SQLite's parameter limit.
    ids: QuerySet[Any, Any] | list[int] = (
        incidents.order_by().values("pk")
        if isinstance(incidents, QuerySet) and not incidents.query.is_sliced
        else [i.pk for i in rows]
    )

    models: dict[int, list[str]] = defaultdict(list)
    for incident_id, slug in (
        AffectedModel.objects.filter(incident_id__in=ids)
        .order_by("model__slug")
        .values_list("incident_id", "model__slug")
        .distinct()
    ):
        models[incident_id].append(slug)

    contained = dict(
        Milestone.objects.filter(incident_id__in=ids, phase=Phase.CONTAINED)
        .order_by()
        .values("incident_id")
        .annotate(at=Min("reached_at"))
        .values_list("incident_id", "at")
    )

    first_update = dict(
        StatusUpdate.objects.filter(
            incident_id__in=ids, status=StatusUpdate.Status.PUBLISHED, published_at__isnull=False
        )
        .order_by()
        .values("incident_id")
        .annotate(at=Min("published_at"))
        .values_list("incident_id", "at")
    )

    requests: dict[int, dict[int, datetime]] = defaultdict(dict)
    settled: dict[int, dict[int, datetime]] = defaultdict(dict)
    for incident_id, sequence, kind, recorded_at, data in (
        DecisionLogEntry.objects.filter(
            incident_id__in=ids, kind__in=[EntryKind.DECISION_REQUEST, EntryKind.DECISION]
        )
        .order_by("incident_id", "sequence")
        .values_list("incident_id", "sequence", "kind", "recorded_at", "data")
    ):
        if kind == EntryKind.DECISION_REQUEST:
            requests[incident_id][sequence] = recorded_at
            continue
        target = data.get("settles") if isinstance(data, dict) else None
        if isinstance(target, bool) or not isinstance(target, int):
            continue
        # The first decision after the request that names it settles it.
        if target in requests[incident_id] and target not in settled[incident_id]:
            settled[incident_id][target] = recorded_at

    slots: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    reminders: dict[int, int] = defaultdict(int)
    escalations: dict[int, int] = defaultdict(int)
    for incident_id, audience, outcome, n, n_reminded, n_escalated in (
        Deadline.objects.filter(incident_id__in=ids)
        .order_by()
        .values("incident_id", "audience", "outcome")
        .annotate(n=Count("id"), n_reminded=Count("reminded_at"), n_escalated=Count("escalated_at"))
        .values_list("incident_id", "audience", "outcome", "n", "n_reminded", "n_escalated")
    ):
        reminders[incident_id] += n_reminded
        escalations[incident_id] += n_escalated
        if outcome == Deadline.Outcome.MET:
            slots[incident_id][audience][0] += n
            slots[incident_id][audience][1] += n
        elif outcome == Deadline.Outcome.MISSED:
            slots[incident_id][audience][1] += n

    ratings: dict[int, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for incident_id, audience, clarity, usefulness, n in (
        Feedback.objects.filter(update__incident_id__in=ids)
        .order_by()
        .values("update__incident_id", "audience")
        .annotate(c=Sum("clarity"), u=Sum("usefulness"), n=Count("id"))
        .values_list("update__incident_id", "audience", "c", "u", "n")
    ):
        ratings[incident_id][audience] = (int(clarity), int(usefulness), int(n))

    result = []
    for incident in rows:
        pk, factor = incident.pk, incident.clock_factor or 1
        first = first_update.get(pk)
        contained_at = contained.get(pk)
        times = sorted(_scaled(at - requests[pk][seq], factor) for seq, at in settled[pk].items())
        sums = ratings.get(pk, {})
        result.append(
            IncidentMetrics(
                incident_id=pk,
                is_drill=incident.is_drill,
                severity=incident.severity,
                time_to_first_update=_scaled(first - incident.detected_at, factor)
                if first
                else None,
                time_to_containment=_scaled(contained_at - incident.detected_at, factor)
                if contained_at
                else None,
                decision_times=times,
                time_to_decision=median(times),
                slots={a: (v[0], v[1]) for a, v in sorted(slots[pk].items())},
                satisfaction={
                    a: (_mean(c, n), _mean(u, n), n) for a, (c, u, n) in sorted(sums.items())
                },
                reminders=reminders[pk],
                escalations=escalations[pk],
                open_decisions=len(requests[pk]) - len(settled[pk]),
                rating_sums=dict(sorted(sums.items())),
                clock_factor=factor,
                reference=incident.reference,
                title=incident.title,
                detected_at=incident.detected_at,
                declared_at=incident.declared_at,
                model_slugs=tuple(models.get(pk, [])),
            )
        )
    return result


# --- Aggregation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupMetrics:
    """The pooled metrics of a group of incidents (all real, or all drills)."""

    key: str
    incidents: int
    time_to_first_update: timedelta | None  # median over incidents with an update
    time_to_containment: timedelta | None  # median over contained incidents
    time_to_decision: timedelta | None  # median of all settled decision times of the group
    decisions: int  # settled decision requests
    open_decisions: int
    slots: dict[str, tuple[int, int]]  # audience -> (Σ met, Σ decided)
    satisfaction: dict[str, tuple[float | None, float | None, int]]  # pooled means per audience
    reminders: int
    escalations: int
    rating_sums: dict[str, tuple[int, int, int]] = field(
        default_factory=dict
    )  # audience -> (Σc, Σu, n)

    def on_schedule(self, audience: str) -> float | None:
        met, total = self.slots.get(audience, (0, 0))
        return met / total if total else None

    @property
    def satisfaction_all(self) -> tuple[float | None, float | None, int]:
        """Mean clarity and usefulness over every rating of the group, whatever the audience."""
        c = sum(v[0] for v in self.rating_sums.values())
        u = sum(v[1] for v in self.rating_sums.values())
        n = sum(v[2] for v in self.rating_sums.values())
        return _mean(c, n), _mean(u, n), n

    @property
    def on_schedule_all(self) -> float | None:
        met = sum(m for m, _ in self.slots.values())
        total = sum(t for _, t in self.slots.values())
        return met / total if total else None


def pool(key: str, items: list[IncidentMetrics]) -> GroupMetrics:
    slots: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for m in items:
        for audience, (met, total) in m.slots.items():
            slots[audience][0] += met
            slots[audience][1] += total
        for audience, (c, u, n) in m.rating_sums.items():
            sums[audience][0] += c
            sums[audience][1] += u
            sums[audience][2] += n
    all_times = [t for m in items for t in m.decision_times]
    return GroupMetrics(
        key=key,
        incidents=len(items),
        time_to_first_update=median(
            m.time_to_first_update for m in items if m.time_to_first_update is not None
        ),
        time_to_containment=median(
            m.time_to_containment for m in items if m.time_to_containment is not None
        ),
        time_to_decision=median(all_times),
        decisions=len(all_times),
        open_decisions=sum(m.open_decisions for m in items),
        slots={a: (v[0], v[1]) for a, v in sorted(slots.items())},
        satisfaction={a: (_mean(c, n), _mean(u, n), n) for a, (c, u, n) in sorted(sums.items())},
        reminders=sum(m.reminders for m in items),
        escalations=sum(m.escalations for m in items),
        rating_sums={a: (v[0], v[1], v[2]) for a, v in sorted(sums.items())},
    )


@dataclass(frozen=True)
class Aggregates:
    overall: GroupMetrics
    by_severity: list[GroupMetrics]  # key "1".."4", severities present only
    by_model: list[GroupMetrics]  # key = model slug; an incident counts in each model it affected
    by_month: list[GroupMetrics]  # key "YYYY-MM" (UTC, month of declaration), ascending


def aggregate(items: list[IncidentMetrics]) -> Aggregates:
    """Pool incidents by severity, model and month. Refuses a mix of real and drill incidents."""
    if len({m.is_drill for m in items}) > 1:
        raise ValueError("Real and drill incidents are aggregated apart.")
    by_sev: dict[str, list[IncidentMetrics]] = defaultdict(list)
    by_model: dict[str, list[IncidentMetrics]] = defaultdict(list)
    by_month: dict[str, list[IncidentMetrics]] = defaultdict(list)
    for m in items:
        by_sev[str(m.severity)].append(m)
        for slug in m.model_slugs:
            by_model[slug].append(m)
        by_month[m.month].append(m)
    return Aggregates(
        overall=pool("all", items),
        by_severity=[pool(k, v) for k, v in sorted(by_sev.items())],
        by_model=[pool(k, v) for k, v in sorted(by_model.items())],
        by_month=[pool(k, v) for k, v in sorted(by_month.items())],
    )


# --- Filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which incidents the metrics cover. Dates are inclusive, on the declaration date (UTC).

    A range whose end is before its start matches nothing (it is not an
    error: the API's schema cannot say "date_to ≥ date_from", so it accepts it).
    """

    date_from: date | None = None
    date_to: date | None = None
    severity: int | None = None
    model: str | None = None  # monitored model slug
    drills: str = "separate"  # "separate" (real and drills apart), "exclude" (real only), "only" (drills only)


DRILL_CHOICES = ("separate", "exclude", "only")


def select(filters: Filters) -> QuerySet[Incident]:
    """Return the incidents (real and drill, as `drills` says) matching the filters, oldest first."""
    qs = Incident.objects.all()
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        return qs.none()  # a range that ends before it starts matches nothing
    if filters.date_from:
        qs = qs.filter(declared_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to and filters.date_to < date.max:
        qs = qs.filter(
            declared_at__lt=datetime.combine(
                filters.date_to + timedelta(days=1), time.min, tzinfo=UTC
            )
        )
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.model:
        qs = qs.filter(
            pk__in=AffectedModel.objects.filter(model__slug=filters.model).values("incident_id")
        )
    if filters.drills == "exclude":
        qs = qs.filter(is_drill=False)
    elif filters.drills == "only":
        qs = qs.filter(is_drill=True)
    return qs.order_by("declared_at", "pk")


@dataclass(frozen=True)
class RegimeDeadlines:
    """Regulatory deadlines of one regime: met on time out of those decided (met or missed)."""

    regime: str
    name: str
    met: int
    missed: int

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.decided, 2) if self.decided else None


@dataclass(frozen=True)
class Section:
    """The incidents of one kind (real or drill), one by one and pooled."""

    is_drill: bool
    incidents: list[IncidentMetrics]
    aggregates: Aggregates
    regulatory: list[RegimeDeadlines] = field(default_factory=list)


def regulatory_deadlines(incidents: QuerySet[Incident]) -> dict[bool, list[RegimeDeadlines]]:
    """Per kind (drill or real) and regime, the decided deadlines of these incidents, in one query.

    Cancelled obligations (a regime found not to apply) never count; drills never mix with real.
    """
    counts: dict[tuple[bool, str], dict[str, int]] = defaultdict(lambda: {"met": 0, "missed": 0})
    rows = (
        Obligation.objects.filter(incident__in=incidents.values("pk"), cancelled_at__isnull=True)
        .exclude(outcome="")
        .values("is_drill", "regime", "outcome")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[(row["is_drill"], row["regime"])][row["outcome"]] += row["n"]
    known = regimes.all_regimes()
    found: dict[bool, list[RegimeDeadlines]] = {False: [], True: []}
    for (is_drill, slug), c in sorted(counts.items()):
        name = known[slug].short_name if slug in known else slug
        found[is_drill].append(RegimeDeadlines(slug, name, c["met"], c["missed"]))
    return found


@dataclass(frozen=True)
class Report:
    filters: Filters
    real: Section | None  # None when the filters leave real incidents out (drills="only")
    drills: Section | None  # None when they leave drills out (drills="exclude")


def report(filters: Filters) -> Report:
    """Compute the metrics of the matching incidents, real and drills apart, in eight queries."""
    selected = select(filters)
    items = for_incidents(selected)
    real = [m for m in items if not m.is_drill]
    drills = [m for m in items if m.is_drill]
    # One query with the selection as a subquery (no id list); none when nothing matched.
    deadlines = regulatory_deadlines(selected) if items else {False: [], True: []}
    return Report(
        filters=filters,
        real=Section(False, real, aggregate(real), deadlines[False])
        if filters.drills != "only"
        else None,
        drills=Section(True, drills, aggregate(drills), deadlines[True])
        if filters.drills != "exclude"
        else None,
    )
