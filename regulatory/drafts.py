"""Report drafts: fields pre-filled from the incident, and the report as Markdown and PDF.

The pre-fill draws on the incident's facts and impact figures, its decision log
(decisions, milestones) and the published regulator renditions of its updates,
so a liaison starts from what the console already knows and edits from there.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from comms.models import Rendition
from incidents.choices import Audience, EntryKind
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident, Milestone
from regulatory import regimes
from regulatory.models import Obligation, RegulatoryReport


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "not yet"


def _sources(incident: Incident) -> dict[str, str]:
    models = ", ".join(
        f"{link.model.name} {link.version}".strip()
        for link in incident.affected_links.select_related("model").order_by("model__name")
    )
    decisions = "\n".join(
        f"- {e.recorded_at:%Y-%m-%d %H:%M} UTC: {e.summary}"
        for e in DecisionLogEntry.objects.filter(
            incident=incident, kind=EntryKind.DECISION
        ).order_by("sequence")
    )
    renditions = "\n\n".join(
        f"Update {r.update.number} ({_when(r.update.published_at)}): {r.summary}"
        + (f"\n{r.body}" if r.body else "")
        for r in Rendition.objects.filter(
            update__incident=incident, update__status="published", audience=Audience.REGULATOR
        )
        .select_related("update")
        .order_by("update__number")
    )
    milestones = "\n".join(
        f"- {m.reached_at:%Y-%m-%d %H:%M} UTC: {m.get_phase_display()} ({m.indicator})"
        for m in Milestone.objects.filter(incident=incident).order_by("reached_at", "pk")
    )
    impact = [f"Customers affected: {incident.customers_affected:,}"]
    if incident.revenue_at_risk_per_hour:
        impact.append(f"Revenue at risk per hour: {incident.revenue_at_risk_per_hour}")
    if incident.customer_experience:
        impact.append(f"Customer experience: {incident.customer_experience}")
    if incident.regulatory_notes:
        impact.append(f"Regulatory notes: {incident.regulatory_notes}")
    return {
        "": "",
        "summary": "\n\n".join(p for p in (incident.title, incident.scope, incident.summary) if p),
        "impact": "\n".join(impact),
        "models": models,
        "decisions": decisions,
        "regulator_renditions": renditions,
        "detection": f"Detected {_when(incident.detected_at)}; declared {_when(incident.declared_at)} "
        f"({incident.get_source_display()}).",
        "phase": f"{incident.get_phase_display()}"
        + (f", resolved {_when(incident.resolved_at)}" if incident.resolved_at else ""),
        "timeline": milestones,
    }


def prefill(obligation: Obligation) -> dict[str, str]:
    """The report's fields as the console can fill them; empty where only people know."""
    regime = regimes.get(obligation.regime)
    spec = regime.report(obligation.report) if regime else None
    if spec is None:
        return {}
    sources = _sources(obligation.incident)
    return {f.key: sources.get(f.prefill, "") for f in spec.fields}


def document(report: RegulatoryReport) -> dict[str, Any]:
    """Everything an export shows, in field order."""
    obligation = report.obligation
    incident = obligation.incident
    regime = regimes.get(obligation.regime)
    spec = regime.report(obligation.report) if regime else None
    labels = {f.key: f.label for f in spec.fields} if spec else {}
    return {
        "title": obligation.title,
        "incident": incident,
        "regime": regime,
        "obligation": obligation,
        "report": report,
        "fields": [(labels.get(k, k), report.fields.get(k, "")) for k in labels or report.fields],
        "generated_at": timezone.now(),
        "draft": report.status == RegulatoryReport.Status.DRAFT,
    }


def to_markdown(report: RegulatoryReport) -> str:
    d = document(report)
    obligation, regime, incident = d["obligation"], d["regime"], d["incident"]
    lines = [f"# {d['title']}: {incident.reference} {incident.title}", ""]
    if d["draft"]:
        lines += ["**DRAFT: not signed off**", ""]
    if incident.is_drill:
        lines += ["**DRILL: not a real incident, not for submission**", ""]
    if regime is not None:
        lines += [
            f"- Regime: {regime.name}",
            f"- Legal basis: {regime.source['article']}, {regime.source['act']}",
            f"- Authority: {regime.authority}",
        ]
    lines += [
        f"- Deadline: {_when(obligation.due_at)} ({obligation.window}, {obligation.cite})",
        f"- Signed off: {_when(report.signed_off_at)}"
        + (f" by {report.signed_off_by.get_username()}" if report.signed_off_by else ""),
    ]
    if report.status == RegulatoryReport.Status.SUBMITTED:
        lines.append(
            f"- Submitted: {_when(report.submitted_at)} by {report.submitted_by.get_username() if report.submitted_by else ''}"
            f" via {report.channel}"
            + (
                f", authority reference {report.authority_reference}"
                if report.authority_reference
                else ""
            )
        )
    lines.append("")
    for label, value in d["fields"]:
        lines += [f"## {label}", "", value.strip() or "_(empty)_", ""]
    return "\n".join(lines)


def to_pdf(report: RegulatoryReport) -> bytes:
    """Render the report's HTML to PDF in-process (xhtml2pdf); no file or URL is fetched."""
    from xhtml2pdf import pisa

    html = render_to_string("regulatory/report_pdf.html", document(report))
    out = io.BytesIO()

    def no_fetch(uri: str, rel: str) -> None:  # nothing external, ever
        return None

    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=no_fetch)
    if result.err:
        raise RuntimeError(f"PDF rendering failed with {result.err} error(s)")
    return out.getvalue()
