"""Export one rendition of a review as Markdown (a download, an attachment to a ticket)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidents.choices import Audience

TITLES = {
    "technical": "Post-incident review (technical)",
    "executive": "Post-incident review: executive summary",
    "regulator": "Post-incident disclosure",
}


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
    return "—"


def _cell(text: Any) -> str:
    return " ".join(str(text if text is not None else "").split()).replace("|", "\\|")


def filename(r: dict[str, Any]) -> str:
    return f"{r['reference'].lower()}-review-{r['audience']}.md"


def to_markdown(r: dict[str, Any]) -> str:
    """Render a rendition (learning.reviews.renditions.rendition) as Markdown."""
    out = [f"# {TITLES[r['audience']]}: {r['reference']} {r['title']}", ""]
    status = (
        "Published " + _when(r["published_at"]) if r["published_at"] else "DRAFT (not published)"
    )
    out += [f"- Status: {status}"]
    if r["published_by"]:
        out.append(f"- Published by: {r['published_by']}")
    facts = r["facts"]
    out += [
        f"- Severity: {facts['severity']}",
        f"- Detected: {_when(facts['detected_at'])}; resolved: {_when(facts['resolved_at'])}"
        + (f" ({facts['duration_minutes']} min)" if facts["duration_minutes"] is not None else ""),
    ]
    if r["audience"] != "regulator" or facts["customers_affected"]:
        out.append(
            f"- Customers affected: {facts['customers_affected']:,}; revenue at risk per hour at "
            f"declaration: {facts['revenue_at_risk_per_hour']}"
        )
    if r["audience"] == "regulator" and r["regulator_signed_off_at"]:
        out.append(
            f"- Signed off: {_when(r['regulator_signed_off_at'])} by {r['regulator_signed_off_by']}"
        )
    if r["root_causes"]:
        out.append("- Root-cause categories: " + ", ".join(c["label"] for c in r["root_causes"]))
    out.append("")
    if r["jargon"]:
        out += [
            "> Note: this summary uses technical terms: "
            + ", ".join(sorted({j["matched"] for j in r["jargon"]}))
            + ".",
            "",
        ]
    for section in r["sections"]:
        if section["text"]:
            out += [f"## {section['title']}", "", section["text"], ""]
    if r["taxonomy"]:
        t = r["taxonomy"]
        out += [
            "## Classification",
            "",
            f"Taxonomy: {t['name']}, version {t['version']} ({t['source_url']})",
            "",
        ]
        out += [f"- {c['label']}: {c['value']}" for c in r["classification"]] + [""]
    g = r["generated"]
    if g:
        out += _generated(g)
    if r["action_items"]:
        out += ["## Action items", ""]
        head = ["Action", "Category", "Owner", "Due", "Status", "Expected outcome"]
        if r["audience"] == "regulator":
            head.remove("Owner")
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for i in r["action_items"]:
            row = [
                i["title"],
                i["category_label"],
                i["owner"],
                _when(i["due_at"]),
                i["status_label"] + (" (overdue)" if i["overdue"] else ""),
                i["expected_outcome"],
            ]
            if r["audience"] == "regulator":
                row.pop(2)
            out.append("| " + " | ".join(_cell(c) for c in row) + " |")
        out.append("")
    for a in r["addenda"]:
        out += [
            f"## Addendum {a['number']} ({_when(a['created_at'])}, {a['author'] or 'unknown'})",
            "",
            a["body"],
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def _generated(g: dict[str, Any]) -> list[str]:
    out = ["## Milestones", ""]
    out += [
        f"- {_when(m['reached_at'])}: {m['phase_label']} ({m['indicator']}; {m['recorded_by']})"
        for m in g.get("milestones", [])
    ] or ["- none recorded"]
    out += ["", "## Decisions", ""]
    for d in g.get("decisions", []):
        out.append(
            f"- {_when(d['at'])}, {d['taken_by']} ({d['role'] or 'no role'}), {d['decision_type_label']}: "
            f"{d['decision']}. Rationale: {d['rationale']}"
        )
    if not g.get("decisions"):
        out.append("- none recorded")
    out += ["", "## Update cadence", ""]
    for c in g.get("cadence", []):
        out.append(f"- {Audience(c['audience']).label}: {c['met']} met, {c['missed']} missed")
    if not g.get("cadence"):
        out.append("- no update deadlines")
    impact = g.get("impact") or {}
    if impact.get("hourly"):
        out += [
            "",
            "## Impact over time (from the impact rules)",
            "",
            "| Hour | Customers / h | Revenue / h |",
            "|---|---|---|",
        ]
        out += [
            f"| {_when(p['at'])} | {p['customers_per_hour']} | {p['revenue_per_hour']} |"
            for p in impact["hourly"]
        ]
    out += ["", "## Timeline (decision log)", ""]
    out += [
        f"{e['sequence']}. {_when(e['at'])} [{e['kind_label']}] {e['actor']}: {_cell(e['summary'])}"
        for e in g.get("timeline", [])
    ]
    return out + [""]
