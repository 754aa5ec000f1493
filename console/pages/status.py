"""Status pages per audience: executive, public (customers), regulator, technical.

/status/ and /status/public/ are read by many and polled every 30 s, so
their content is rendered once per *data version* and audience, kept in the
Django cache, and served with an ETag; a matching If-None-Match gets a 304
with no body. The version is one tiny query of counters kept at write time (see `data_version`). Nothing
per-user is inside the cached part: the executive page wraps it in the
usual chrome (name, sign-out) per request. No page here writes anything, and
none carries an inline script: on a 304 the browser keeps the cached body but
takes the new CSP header, whose nonce no longer matches the body's inline
scripts (docs/dashboards.md, "Refresh"). The cache and the version query are
kit.cache's; docs/benchmarks.md measures cold, cached and 304 answers.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from audit.middleware import mark_regulator_read
from comms import status_versions
from comms.models import Deadline, Rendition, StatusUpdate
from console.charts import incident_charts
from console.context_processors import personas
from console.executive_trend import customers_trend_chart
from incidents import permissions
from incidents.choices import OPEN_PHASES, Audience, Phase
from incidents.models import AffectedModel, Incident, MonitoredModel
from kit import cache as kit_cache
from kit.conditional import is_fresh, make_etag
from kit.users import signed_in_user
from publicstatus import components as public_components
from publicstatus import uptime
from publicstatus.components import incident_state
from publicstatus.models import ComponentState, Maintenance
from regulatory import services as regulatory_services
from regulatory.models import Obligation

RECENT = timedelta(days=7)
# Bump when the cached templates change shape, so old entries are not served.
CACHE_SCHEMA = "3"
FRAGMENT_HEADER = "X-Status-Fragment"

# Active incidents shown in full on the executive page; the rest are listed in brief.
DETAILED = 20

SEVERITY_WORDS = {1: "Critical", 2: "High", 3: "Moderate", 4: "Low"}
# What customers read for an incident of each severity, and the banner.
PUBLIC_IMPACT = {
    1: "Major outage",
    2: "Partial outage",
    3: "Degraded performance",
    4: "Minor issue",
}
BANNER_OPERATIONAL = ("operational", "All systems operational")
BANNER_DEGRADED = ("degraded", "Degraded service")
BANNER_MAJOR = ("major", "Major outage")
BANNER_MONITORING = ("monitoring", "Recovered: we are monitoring")
BANNER_MAINTENANCE = ("maintenance", "Scheduled maintenance in progress")


# --- Versions, ETags and the cache ----------------------------------------------------


def data_version(audience: str, *, now: datetime | None = None) -> str:
    """Return a short key that changes whenever what `audience` sees may have changed.

    One tiny query of the counters the database bumps on every write to the
    tables the page shows (comms/status_versions.py). The current hour is
    part of the key, so the "last 7 days" and "last 24 hours" windows move
    on even when nothing is written.
    """
    counter = (
        status_versions.EXECUTIVE if audience == Audience.EXECUTIVE else status_versions.PUBLIC
    )
    version, _ = kit_cache.data_version([counter], scope=[CACHE_SCHEMA, audience], now=now)
    return version


# Whole executive pages per viewer (kit.cache.LocalCache: this process, a few seconds).
_pages = kit_cache.LocalCache(size=64)


def _cached_content(audience: str, version: str, build: Callable[[], str]) -> str:
    """Return the rendered content for this audience and data version, from the cache when there."""
    return kit_cache.cached_or_build(f"status:{audience}:{version}", build)


def _finish(response: HttpResponse, etag: str, *, private: bool) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache" if private else "public, no-cache"
    if private:
        patch_vary_headers(response, ["Cookie"])
    return response


def _is_fragment(request: HttpRequest) -> bool:
    return request.GET.get("fragment") == "1"


# --- Executive page ------------------------------------------------------------------


@require_safe
@login_required
def executive(request: HttpRequest) -> HttpResponse:
    """Show every active real incident in business terms; read-only, cached per data version."""
    if not permissions.can_read_incidents(request.user):
        raise PermissionDenied(
            "The executive status page is for executives, responders and commanders."
        )
    version = data_version(Audience.EXECUTIVE)
    fragment_etag = make_etag("executive", version)
    if _is_fragment(request):
        if is_fresh(request, fragment_etag):
            return _finish(HttpResponseNotModified(), fragment_etag, private=True)
        response = HttpResponse(
            _cached_content(Audience.EXECUTIVE, version, render_executive_content)
        )
        response[FRAGMENT_HEADER] = "1"
        return _finish(response, fragment_etag, private=True)
    # The full page also shows the viewer's name and a CSRF token (sign-out).
    get_token(request)  # make sure the CSRF secret exists now, so the first ETag already matches
    page_etag = make_etag(
        "executive-page", version, request.user.pk, request.META.get("CSRF_COOKIE", "")
    )
    if is_fresh(request, page_etag):
        return _finish(HttpResponseNotModified(), page_etag, private=True)
    # The whole page, chrome included, is kept per viewer for a few seconds
    # (kit.cache.MAX_AGE_SECONDS): who the viewer is and what the nav offers them
    # are part of the key; the inbox badge may lag by those seconds, as it lags
    # anyway while the page refreshes only its content. A page with pending
    # messages is never kept (rendering them consumes them).
    chrome = _chrome_key(request)
    page_key = f"{page_etag}:{chrome}"
    html = None if chrome is None else _pages.get(page_key, time.time())
    if html is None:
        content = _cached_content(Audience.EXECUTIVE, version, render_executive_content)
        html = render_to_string(
            "status/executive.html",
            {
                "content": content,
                "fragment_etag": fragment_etag,
                "refresh_url": f"{request.path}?fragment=1",
            },
            request=request,
        )
        if chrome is not None:
            _pages.put(page_key, time.time(), html)
    return _finish(HttpResponse(html), page_etag, private=True)


def _chrome_key(request: HttpRequest) -> str | None:
    """What the page's chrome shows this viewer, as a key; None if it must be rendered afresh."""
    if len(messages.get_messages(request)):
        return None
    user = signed_in_user(request)
    flags = personas(request)
    parts = [
        user.get_full_name() or user.get_username(),
        *(str(int(bool(flags[name]))) for name in sorted(flags) if name != "inbox"),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def executive_context(*, now: datetime | None = None) -> dict[str, Any]:
    """Gather the executive page's data in a fixed number of queries (six at most)."""
    now = now or timezone.now()
    latest_exec = Subquery(
        Rendition.objects.filter(
            update__incident=OuterRef("pk"),
            audience=Audience.EXECUTIVE,
            update__status=StatusUpdate.Status.PUBLISHED,
        )
        .order_by("-update__published_at", "-update__number")
        .values("pk")[:1]
    )
    incidents = list(
        Incident.objects.real()
        .filter(Q(phase__in=OPEN_PHASES) | Q(resolved_at__gte=now - RECENT))
        .annotate(latest_exec_id=latest_exec)
        .order_by("severity", "-declared_at", "-pk")
    )
    renditions = Rendition.objects.filter(
        pk__in=[i.latest_exec_id for i in incidents if i.latest_exec_id]
    )
    by_id = {r.pk: r for r in renditions.select_related("update")}
    active = [i for i in incidents if i.is_open]
    active_ids = [i.pk for i in active]
    due = {
        d.incident_id: d.due_at
        for d in Deadline.objects.open().filter(
            incident_id__in=active_ids, audience=Audience.EXECUTIVE
        )
    }
    model_ids: dict[int, list[int]] = defaultdict(list)
    functions: dict[int, list[str]] = defaultdict(list)
    links = AffectedModel.objects.filter(incident_id__in=active_ids).order_by("model__name")
    for incident_id, model_id, name, function in links.values_list(
        "incident_id", "model_id", "model__name", "model__business_function"
    ):
        if model_id not in model_ids[incident_id]:
            model_ids[incident_id].append(model_id)
            functions[incident_id].append(f"{name} ({function})" if function else name)
    for incident in incidents:
        incident.severity_words = SEVERITY_WORDS[incident.severity]
        incident.executive = by_id.get(incident.latest_exec_id)
        incident.next_update_at = due.get(incident.pk) or (
            incident.executive.update.next_update_at if incident.executive else None
        )
        incident.services = functions.get(incident.pk, [])
    resolved = sorted(
        (i for i in incidents if not i.is_open), key=lambda i: i.resolved_at, reverse=True
    )
    return {
        "active": active,
        # The most severe in full (cards with the latest executive words); the rest in a table.
        "detailed": active[:DETAILED],
        "brief": active[DETAILED:],
        "resolved": resolved,
        "totals": {
            "customers": sum(i.customers_affected for i in active),
            "revenue": sum(i.revenue_at_risk_per_hour for i in active),
            "regulatory": sum(1 for i in active if i.regulatory_exposure in ("medium", "high")),
        },
        "trend": customers_trend_chart(active, model_ids, now=now),
        "generated_at": now,
    }


def render_executive_content() -> str:
    return render_to_string("status/executive_content.html", executive_context())


# --- Public page ---------------------------------------------------------------------


@require_safe
def public(request: HttpRequest) -> HttpResponse:
    """Show customers what the customer-facing renditions say; no login, cached whole."""
    version = data_version(Audience.CUSTOMER)
    fragment = _is_fragment(request)
    etag = make_etag("public-fragment" if fragment else "public", version)
    if is_fresh(request, etag):
        return _finish(HttpResponseNotModified(), etag, private=False)
    if fragment:
        response = HttpResponse(_cached_content(Audience.CUSTOMER, version, render_public_content))
        response[FRAGMENT_HEADER] = "1"
        return _finish(response, etag, private=False)

    def build_page() -> str:
        # Rendered without the request: no user, no CSRF token, nothing per visitor.
        return render_to_string(
            "status/public.html",
            {
                "content": _cached_content(Audience.CUSTOMER, version, render_public_content),
                "fragment_etag": make_etag("public-fragment", version),
                "refresh_url": f"{request.path}?fragment=1",
            },
        )

    return _finish(
        HttpResponse(_cached_content("public-page", version, build_page)), etag, private=False
    )


def public_context(*, now: datetime | None = None) -> dict[str, Any]:
    """Gather published customer renditions of real incidents: two queries.

    Only the customer rendition's words reach this page: the internal title,
    scope and impact notes never do (see docs/dashboards.md).
    """
    now = now or timezone.now()
    published = {"audience": Audience.CUSTOMER, "update__status": StatusUpdate.Status.PUBLISHED}
    latest = Subquery(
        Rendition.objects.filter(update__incident=OuterRef("pk"), **published)
        .order_by("-update__published_at", "-update__number")
        .values("pk")[:1]
    )
    incidents = list(
        Incident.objects.real()
        .filter(Q(phase__in=OPEN_PHASES) | Q(resolved_at__gte=now - RECENT))
        .annotate(latest_customer_id=latest)
        .filter(latest_customer_id__isnull=False)
        .order_by("severity", "-detected_at", "-pk")
        .only("pk", "severity", "phase", "detected_at", "resolved_at")
    )
    renditions = {
        r.pk: r
        for r in Rendition.objects.filter(pk__in=[i.latest_customer_id for i in incidents])
        .select_related("update")
        .only("pk", "summary", "body", "update__published_at")
    }
    entries = [
        {
            "severity": i.severity,
            "phase": i.phase,
            "impact": public_impact(i.severity, i.phase),
            "started_at": i.detected_at,
            "resolved_at": i.resolved_at,
            "is_open": i.is_open,
            "summary": renditions[i.latest_customer_id].summary,
            "body": renditions[i.latest_customer_id].body,
            "updated_at": renditions[i.latest_customer_id].update.published_at,
        }
        for i in incidents
    ]
    active = [e for e in entries if e["is_open"]]
    resolved = sorted(
        (e for e in entries if not e["is_open"]), key=lambda e: e["resolved_at"], reverse=True
    )
    comps = public_components.public_components()
    history = uptime.histories(comps, now=now)
    maintenance = public_maintenance()
    return {
        "active": active,
        "resolved": resolved,
        "banner": public_banner(active, comps),
        "groups": [
            (name, [(c, history[c.model_id]) for c in members])
            for name, members in public_components.grouped(comps)
        ],
        "maintenance": maintenance,
        "generated_at": now,
    }


def public_impact(severity: int, phase: str) -> str:
    """What an incident's badge reads: its severity's words until it is contained."""
    if phase == Phase.RECOVERED:
        return "Recovered, monitoring"
    if phase == Phase.CONTAINED:
        return ComponentState(incident_state(severity, phase)).label
    return PUBLIC_IMPACT[severity]


def public_banner(active: list[dict[str, Any]], comps: list[Any]) -> tuple[str, str]:
    """Return the banner: the worst state of the open incidents and the components.

    An open incident that is recovered (monitoring) no longer counts as an outage.
    """
    worst = ComponentState.worst(
        [incident_state(e["severity"], e["phase"]) for e in active] + [c.state for c in comps]
    )
    if worst == ComponentState.MAJOR_OUTAGE:
        return BANNER_MAJOR
    if worst in (ComponentState.PARTIAL_OUTAGE, ComponentState.DEGRADED_PERFORMANCE):
        return BANNER_DEGRADED
    if active:
        return BANNER_MONITORING
    if worst == ComponentState.UNDER_MAINTENANCE:
        return BANNER_MAINTENANCE
    return BANNER_OPERATIONAL


def public_maintenance() -> list[Maintenance]:
    """Announced maintenance that is active or upcoming, active first: two queries."""
    rows = list(
        Maintenance.objects.filter(
            announced_at__isnull=False,
            status__in=(Maintenance.Status.SCHEDULED, *public_components.ACTIVE_MAINTENANCE),
        )
        .prefetch_related(
            Prefetch(
                "components",
                queryset=MonitoredModel.objects.filter(is_drill=False)
                .exclude(public_component__customer_facing=False)
                .select_related("public_component")
                .only("pk", "name", "public_component"),
            )
        )
        .order_by("scheduled_for", "pk")
    )
    for m in rows:
        shown: Any = m  # component_names is for the template
        shown.component_names = [
            getattr(getattr(c, "public_component", None), "public_name", None) or c.name
            for c in m.components.all()
        ]
    return sorted(rows, key=lambda m: not m.is_active)


def render_public_content() -> str:
    return render_to_string("status/public_content.html", public_context())


# --- Regulator and technical views ------------------------------------------------------


can_read_regulator_view = permissions.can_read_regulator_channel


@require_safe
@login_required
def regulator(request: HttpRequest) -> HttpResponse:
    """Show the signed-off, published regulator renditions of real incidents, newest first."""
    if not can_read_regulator_view(request.user):
        raise PermissionDenied(
            "The regulator view is for regulator / partner viewers and commanders."
        )
    renditions = list(
        Rendition.objects.filter(
            audience=Audience.REGULATOR,
            signed_off_at__isnull=False,
            update__status=StatusUpdate.Status.PUBLISHED,
            update__incident__is_drill=False,
        )
        .select_related("update", "update__incident")
        .order_by("-update__published_at", "-pk")[:200]
    )
    groups: dict[int, dict[str, Any]] = {}
    for rendition in renditions:
        incident = rendition.update.incident
        group = groups.setdefault(incident.pk, {"incident": incident, "renditions": []})
        group["renditions"].append(rendition)
    for group in groups.values():
        group["severity_words"] = SEVERITY_WORDS[group["incident"].severity]
        group["obligations"] = []
    # Reporting deadlines: of the incidents shown here for everyone; of every real incident for
    # those who read incident pages (commanders, responders), so they see what is coming.
    internal = permissions.can_read_incidents(request.user)
    now = timezone.now()
    rows = Obligation.objects.current().filter(is_drill=False).select_related("incident")
    if not internal:
        rows = rows.filter(incident_id__in=list(groups))
    running = []
    for obligation in rows.order_by("due_at", "pk"):
        row = {"obligation": obligation, **regulatory_services.countdown(obligation, now)}
        if obligation.incident_id in groups:
            groups[obligation.incident_id]["obligations"].append(row)
        if internal and row["state"] in ("running", "overdue", "not_started"):
            running.append(row)
    mark_regulator_read(request)  # the audit trail records who read the disclosures
    return render(
        request, "status/regulator.html", {"groups": list(groups.values()), "running": running}
    )


@require_safe
@login_required
def technical(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Show an incident's published updates in full, every rendition, and its charts."""
    if not permissions.can_respond(request.user):
        raise PermissionDenied("The technical view is for responders and commanders.")
    incident = get_object_or_404(
        Incident.objects.prefetch_related(
            Prefetch(
                "affected_links",
                queryset=AffectedModel.objects.select_related("model").order_by("model__name"),
            ),
            "milestones",
        ),
        pk=incident_id,
    )
    updates = list(
        incident.updates.filter(status=StatusUpdate.Status.PUBLISHED)
        .select_related("published_by", "corrects")
        .prefetch_related(
            Prefetch("renditions", queryset=Rendition.objects.select_related("signed_off_by"))
        )
        .order_by("-number")
    )
    order = {a: i for i, a in enumerate(Audience.values)}
    for update in updates:
        shown: Any = update  # rendition_list is for the template, not a model field
        shown.rendition_list = sorted(
            update.renditions.all(), key=lambda r: order.get(r.audience, 99)
        )
    return render(
        request,
        "status/technical.html",
        {
            "incident": incident,
            "severity_words": SEVERITY_WORDS[incident.severity],
            "updates": updates,
            "charts": incident_charts(incident),
        },
    )
