"""The incident page and its live timeline fragment.

The page is built by `render_detail`, which every write view reuses to show
its form again with errors (status 400/409) on the same page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseStopPolling

from comms import signoff
from comms.models import Deadline, Rendition, StatusUpdate
from comms.services import jargon_in
from console.charts import incident_charts
from console.incident_forms import (
    DecisionForm,
    DecisionRequestForm,
    MilestoneForm,
    NoteForm,
    PublishForm,
    ReleaseRoleForm,
    RoleForm,
    SeverityForm,
    SnoozeForm,
    UpdateForm,
)
from console.pages.composer_preview import composer_audiences
from incidents import permissions, rights
from incidents.choices import Audience, DecisionType, EntryKind, Phase, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import AffectedModel, Incident, Playbook, RoleAssignment
from incidents.page_access import require_reader
from regulatory.services import obligations_for

# Decisions with their own action (and log entry kind) are not offered as free decisions.
OWN_ACTION_DECISIONS = {DecisionType.CHANGE_SEVERITY, DecisionType.REACH_MILESTONE}
# A countdown turns amber when less than this share of its cadence is left, but
# never later than AMBER_FLOOR before the deadline (short cadences still warn).
AMBER_SHARE = 0.2
AMBER_FLOOR = timedelta(minutes=5)
# How often an open incident's page asks for new log entries (seconds).
POLL_SECONDS = 4
AUDIENCE_ORDER = {a: i for i, a in enumerate(Audience.values)}


# --- Loading -------------------------------------------------------------------------------


def load_incident(pk: int) -> Incident:
    return get_object_or_404(
        Incident.objects.prefetch_related(
            Prefetch(
                "affected_links",
                queryset=AffectedModel.objects.select_related("model").order_by("model__name"),
            ),
            Prefetch(
                "roles",
                queryset=RoleAssignment.objects.select_related("user", "assigned_by").order_by(
                    "role", "started_at", "pk"
                ),
            ),
            "milestones",
        ),
        pk=pk,
    )


def label_of(choices: type[Role] | type[DecisionType], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def annotate_entries(entries: list[DecisionLogEntry]) -> list[DecisionLogEntry]:
    """Attach what the timeline shows: labels, the corrected entry, the corrections seen here."""
    shown: list[Any] = list(entries)  # the attributes below are for the template, not model fields
    by_pk = {e.pk: e for e in shown}
    for e in shown:
        e.correction_list = []
        e.role_label = label_of(Role, e.actor_role)
        data = e.data if isinstance(e.data, dict) else {}
        e.decision_label = (
            label_of(DecisionType, data.get("decision_type", ""))
            if data.get("decision_type")
            else ""
        )
    for e in shown:
        if e.corrects_id in by_pk:
            by_pk[e.corrects_id].correction_list.append(e)
    return entries


def open_requests_of(entries: Iterable[DecisionLogEntry]) -> list[DecisionLogEntry]:
    """Return the decision requests no decision has settled yet."""
    entries = list(entries)
    settled = {e.data.get("settles") for e in entries if e.kind == EntryKind.DECISION}
    return [
        e for e in entries if e.kind == EntryKind.DECISION_REQUEST and e.sequence not in settled
    ]


def decision_entries(incident: Incident) -> QuerySet[DecisionLogEntry]:
    return incident.log_entries.filter(
        kind__in=[EntryKind.DECISION_REQUEST, EntryKind.DECISION]
    ).order_by("sequence")


# --- Cadence countdown ------------------------------------------------------------------------


@dataclass
class Countdown:
    """One audience's next update: when it is due and how urgent that is now."""

    deadline: Deadline
    label: str
    amber_seconds: int
    remaining: timedelta

    @property
    def state(self) -> str:
        if self.remaining.total_seconds() <= 0:
            return "red"
        return "amber" if self.remaining.total_seconds() <= self.amber_seconds else "ok"

    @property
    def state_label(self) -> str:
        return {"red": "overdue", "amber": "due soon", "ok": "on track"}[self.state]

    @property
    def minutes(self) -> int:
        """Whole minutes left (or overdue), for the page without JavaScript."""
        return int(abs(self.remaining.total_seconds()) // 60)


def amber_seconds(cadence_minutes: int) -> int:
    return int(max(AMBER_FLOOR.total_seconds(), cadence_minutes * 60 * AMBER_SHARE))


def countdowns(incident: Incident, *, now: datetime) -> list[Countdown]:
    deadlines = sorted(
        Deadline.objects.open().filter(incident=incident).select_related("snoozed_by"),
        key=lambda d: AUDIENCE_ORDER.get(d.audience, 99),
    )
    return [
        Countdown(d, Audience(d.audience).label, amber_seconds(d.cadence_minutes), d.due_at - now)
        for d in deadlines
    ]


# --- The viewer -----------------------------------------------------------------------------


@dataclass
class Viewer:
    """What the signed-in user holds on this incident, read once per request."""

    user: Any
    held: set[str]
    current: dict[str, RoleAssignment]
    playbook: Playbook | None
    incident: Incident

    @classmethod
    def of(cls, request: HttpRequest, incident: Incident, roles: list[RoleAssignment]) -> Viewer:
        current = {r.role: r for r in roles if r.is_active}
        held = {r.role for r in current.values() if r.user_id == request.user.pk}
        return cls(request.user, held, current, Playbook.for_incident(incident), incident)

    def may(self, decision: str) -> bool:
        return rights.may_take(self.held, self.playbook, decision)

    def decision_types(self) -> list[str]:
        return [d for d in DecisionType.values if d not in OWN_ACTION_DECISIONS and self.may(d)]

    @property
    def can_manage_roles(self) -> bool:
        return rights.may_lead(self.user, self.incident, self.held)

    @property
    def can_handle_regulatory(self) -> bool:
        return rights.may_handle_regulatory(self.user, self.incident, self.held)

    @property
    def can_export_evidence(self) -> bool:
        return rights.may_export_evidence(self.user, self.incident, self.held)

    @property
    def can_publish(self) -> bool:
        return rights.publishing_role(self.held) is not None

    def customer_approval_role(self) -> str | None:
        return rights.approval_role(self.playbook, DecisionType.CUSTOMER_NOTICE)


def next_phases(incident: Incident) -> list[str]:
    later = [p for p in Phase.values if Phase.order(p) > Phase.order(incident.phase)]
    return [p for p in later if p != Phase.REVIEWED or incident.phase == Phase.RESOLVED]


def role_holders(viewer: Viewer) -> QuerySet[User]:
    return User.objects.filter(pk__in=[r.user_id for r in viewer.current.values()]).order_by(
        "username"
    )


def decision_form(
    viewer: Viewer, open_requests: list[DecisionLogEntry], data: Any = None
) -> DecisionForm:
    return DecisionForm(
        data,
        prefix="decision",
        decision_types=viewer.decision_types(),
        open_requests=open_requests,
        approvers=role_holders(viewer),
    )


def snooze_form(countdown_list: list[Countdown], data: Any = None) -> SnoozeForm:
    audiences = [
        (c.deadline.audience, c.label) for c in countdown_list if c.deadline.snoozed_at is None
    ]
    return SnoozeForm(data, prefix="snooze", audiences=audiences)


def release_form(viewer: Viewer, data: Any = None) -> ReleaseRoleForm:
    roles = [(value, label) for value, label in Role.choices if value in viewer.current]
    return ReleaseRoleForm(data, prefix="release", roles=roles)


def _write_forms(
    incident: Incident,
    viewer: Viewer,
    open_requests: list[DecisionLogEntry],
    countdown_list: list[Countdown],
    published: list[int],
) -> dict[str, Any]:
    """Return the blank forms the viewer's roles allow on this incident."""
    found: dict[str, Any] = {
        "note": NoteForm(prefix="note"),
        "update": UpdateForm(prefix="update", published=published),
    }
    if not incident.is_open:
        return found
    found["request"] = DecisionRequestForm(prefix="request")
    if viewer.decision_types():
        found["decision"] = decision_form(viewer, open_requests)
    if viewer.may(DecisionType.REACH_MILESTONE):
        found["milestone"] = MilestoneForm(prefix="milestone", phases=next_phases(incident))
    if viewer.may(DecisionType.CHANGE_SEVERITY):
        found["severity"] = SeverityForm(prefix="severity", initial={"severity": incident.severity})
    if viewer.can_manage_roles:
        found["role"] = RoleForm(prefix="role")
        if viewer.current:
            found["release"] = release_form(viewer)
    if Role.COMMANDER in viewer.held and any(c.deadline.snoozed_at is None for c in countdown_list):
        found["snooze"] = snooze_form(countdown_list)
    return found


# --- Updates ----------------------------------------------------------------------------------


def load_updates(incident: Incident) -> list[StatusUpdate]:
    renditions = Rendition.objects.select_related("signed_off_by")
    updates = list(
        StatusUpdate.objects.filter(incident=incident)
        .select_related("author", "published_by", "corrects", "jargon_acknowledged_by")
        .prefetch_related(Prefetch("renditions", queryset=renditions))
        .order_by("-number")
    )
    for update in updates:
        shown: Any = update  # rendition_list is for the template, not a model field
        shown.rendition_list = sorted(
            update.renditions.all(), key=lambda r: AUDIENCE_ORDER.get(r.audience, 99)
        )
    return updates


def prepare_draft(update: Any, viewer: Viewer, *, bound: dict[str, forms.Form]) -> StatusUpdate:
    """Attach to a draft what its row shows: jargon found, the next step, the publish form."""
    audiences = {r.audience: r for r in update.rendition_list}
    regulator = audiences.get(Audience.REGULATOR)
    update.jargon = jargon_in(update)
    update.awaiting_signoff = regulator is not None and regulator.signed_off_at is None
    update.can_submit = update.awaiting_signoff and update.status == StatusUpdate.Status.DRAFT
    update.can_sign_off = update.awaiting_signoff and Role.REGULATOR in viewer.held
    update.needs_approval = Audience.CUSTOMER in audiences and bool(viewer.customer_approval_role())
    approval_role = viewer.customer_approval_role()
    update.approval_label = (
        Role(approval_role).label if update.needs_approval and approval_role else ""
    )
    update.can_publish = viewer.can_publish
    # Said before the button is pressed, not only after (the service refuses either way).
    update.four_eyes_blocked = regulator is not None and signoff.blocks_publisher(
        rendition=regulator, publisher_id=viewer.user.pk, playbook=viewer.playbook
    )
    name = f"publish-{update.number}"
    update.publish_form = bound.get(name) or PublishForm(
        prefix=name, approvers=role_holders(viewer) if update.needs_approval else None
    )
    return update


# --- The page -------------------------------------------------------------------------------------


def detail_context(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, forms.Form] | None = None,
) -> dict[str, Any]:
    bound = bound or {}
    now = timezone.now()
    entries: list[Any] = annotate_entries(list(incident.log_entries.order_by("sequence")))
    by_pk: dict[int | None, Any] = {e.pk: e for e in entries}
    for e in entries:
        e.corrected = by_pk.get(e.corrects_id)
    open_requests = open_requests_of(entries)
    roles = list(incident.roles.all())
    viewer = Viewer.of(request, incident, roles)
    roster = [
        (
            value,
            label,
            viewer.current.get(value),
            [r for r in roles if r.role == value and not r.is_active],
        )
        for value, label in Role.choices
    ]
    countdown_list = countdowns(incident, now=now)
    writer = permissions.can_respond(request.user)
    updates = load_updates(incident)
    published = [u for u in updates if u.is_published]
    drafts = (
        [prepare_draft(u, viewer, bound=bound) for u in updates if not u.is_published]
        if writer
        else []
    )
    forms_: dict[str, Any] = {}
    if writer:
        forms_ = _write_forms(
            incident, viewer, open_requests, countdown_list, sorted(u.number for u in published)
        )
        forms_.update({k: v for k, v in bound.items() if not k.startswith("publish-")})
    return {
        "incident": incident,
        "entries": entries,
        "head": entries[-1].sequence if entries else 0,
        "open_requests": open_requests,
        "roster": roster,
        "commanders": [viewer.current[Role.COMMANDER]] if Role.COMMANDER in viewer.current else [],
        "held": [Role(r).label for r in sorted(viewer.held)],
        "viewer": viewer,
        "playbook": viewer.playbook,
        "countdowns": countdown_list,
        "obligations": obligations_for(incident),
        "drafts": drafts,
        "published": published,
        "forms": forms_,
        "composer": composer_audiences(forms_["update"]) if "update" in forms_ else None,
        "charts": incident_charts(incident),
        "next_phases": [(p, Phase(p).label) for p in next_phases(incident)]
        if incident.is_open
        else [],
        "poll_seconds": POLL_SECONDS,
    }


def render_detail(
    request: HttpRequest, pk: int, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    """Render the incident page; `bound` replaces blank forms with ones carrying errors."""
    incident = load_incident(pk)
    response = render(
        request,
        "incidents/detail.html",
        detail_context(request, incident, bound=bound),
        status=status,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_reader(request)
    return render_detail(request, pk)


# --- The live timeline -------------------------------------------------------------------------------


def _with_head(pk: int) -> Any:
    """Return the incident with its log head (sequence and hash, annotated) in one query."""
    last = DecisionLogEntry.objects.filter(incident=OuterRef("pk")).order_by("-sequence")
    return get_object_or_404(
        Incident.objects.annotate(
            head_seq=Subquery(last.values("sequence")[:1]),
            head_hash=Subquery(last.values("hash")[:1]),
        ),
        pk=pk,
    )


def log_etag(incident: Any) -> str:
    """The timeline's version: a new entry changes the head's sequence and hash."""
    return quote_etag(f"log-{incident.head_seq or 0}-{(incident.head_hash or '')[:16]}")


@require_safe
@login_required
def timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the page's poll with the log entries after `?after=N` (and what they change).

    1. Same readers as the page.
    2. The ETag is the log head: an unchanged log answers 304 with no body
       and one query beyond the session, for every poll of every viewer.
    3. New entries come with out-of-band swaps: the entry count, the
       countdowns, open decisions, the header badges and the next poller.
    4. A closed incident answers 286, which stops htmx polling.
    """
    require_reader(request)
    try:
        after = int(request.GET.get("after", ""))
    except ValueError:
        return HttpResponseBadRequest("after must be a log sequence number.")
    if after < 0:
        return HttpResponseBadRequest("after must be a log sequence number.")
    incident = _with_head(pk)
    etag = log_etag(incident)
    if incident.is_open:
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return _cacheable(not_modified, etag)
    entries: list[Any] = annotate_entries(
        list(
            incident.log_entries.filter(sequence__gt=after)
            .select_related("corrects")
            .order_by("sequence")
        )
    )
    for e in entries:
        e.corrected = e.corrects
    ctx: dict[str, Any] = {
        "incident": incident,
        "entries": entries,
        "head": incident.head_seq or 0,
        "poll_seconds": POLL_SECONDS,
    }
    if entries:
        ctx["open_requests"] = open_requests_of(decision_entries(incident))
        ctx["countdowns"] = countdowns(incident, now=timezone.now())
    content = render_to_string("incidents/detail.html#timeline-update", ctx, request=request)
    if not incident.is_open:
        response = HttpResponseStopPolling(content)
        patch_cache_control(response, no_store=True)
        return response
    return _cacheable(HttpResponse(content), etag)


def _cacheable(response: HttpResponse, etag: str) -> HttpResponse:
    """Let the browser keep the fragment but revalidate it on every poll."""
    response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["HX-Request", "Cookie"])
    return response
