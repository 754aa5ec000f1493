"""Report drafts through the API: pre-filled, four eyes, submitted once, exported as Markdown and PDF."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from comms.services import create_draft, publish_update, sign_off, submit_for_signoff
from incidents.choices import EntryKind
from incidents.decision_log.models import DecisionLogEntry
from regulatory import services
from regulatory.models import Obligation, RegulatoryReport
from tests.helpers import error_fields, token_client
from tests.regulatory.support import AI_ACT, AI_ACT_SERIOUS, GDPR, GDPR_BREACH, with_liaison


@pytest.fixture
def gdpr(clock, incident, commander, liaison, credit_model):
    """A GDPR breach with a published, signed-off regulator rendition to pre-fill from."""
    with_liaison(incident, commander, liaison)
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed="Scoring paused",
        renditions={
            "regulator": {"summary": "Scores of 1,200 customers exposed", "body": "EU only."}
        },
    )
    submit_for_signoff(update=update, by=commander)
    sign_off(update=update, by=liaison)
    publish_update(update=update, by=commander)
    clock.advance(minutes=10)
    services.triage(incident=incident, by=liaison, regime=GDPR, answers=GDPR_BREACH)
    return Obligation.objects.get(incident=incident, regime=GDPR)


def url(obligation: Obligation, tail: str = "") -> str:
    return f"/api/v1/incidents/{obligation.incident_id}/obligations/{obligation.pk}/report/{tail}"


def test_the_draft_is_pre_filled_from_the_incident_and_its_regulator_renditions(gdpr, liaison):
    body = token_client(liaison).get(url(gdpr)).json()
    assert (
        body["status"] == "draft"
        and body["title"] == "GDPR Art. 33: Notification to the supervisory authority"
    )
    values = {f["key"]: f["value"] for f in body["content"]}
    assert "Customers affected: 1,200" in values["nature"]
    assert values["contact"] == ""  # only people know
    assert not RegulatoryReport.objects.exists()  # reading saves nothing
    services.triage(incident=gdpr.incident, by=liaison, regime=AI_ACT, answers=AI_ACT_SERIOUS)
    ai_act = Obligation.objects.get(incident=gdpr.incident, regime=AI_ACT)
    fields = {
        f["key"]: f["value"] for f in token_client(liaison).get(url(ai_act)).json()["content"]
    }
    assert "Scores of 1,200 customers exposed\nEU only." in fields["updates_to_authorities"]
    assert "fraud-scoring" in fields["ai_system"] or "Fraud" in fields["ai_system"]


def test_four_eyes_then_submission_recorded_in_the_log(gdpr, liaison, commander, clock):
    as_ruth, as_cara = token_client(liaison), token_client(commander)
    edit = as_ruth.patch(url(gdpr), {"content": {"contact": "dpo@bank.test"}}, format="json")
    assert edit.status_code == 200 and edit.json()["edited_by"] == "ruth"
    refused = as_ruth.post(url(gdpr, "sign-off/"))
    assert refused.status_code == 409 and "signed_off_by" in error_fields(refused)
    assert as_cara.post(url(gdpr, "sign-off/")).json()["status"] == "signed_off"

    clock.advance(hours=5)
    submitted = as_ruth.post(
        url(gdpr, "submit/"),
        {"channel": "CNIL portal", "authority_reference": "CNIL-2026-77"},
        format="json",
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["submitted_by"] == "ruth"
    gdpr.refresh_from_db()
    assert (gdpr.outcome, gdpr.submitted_at) == ("met", clock.now)
    entry = DecisionLogEntry.objects.filter(
        incident=gdpr.incident, kind=EntryKind.REGULATORY
    ).last()
    assert entry.data["authority_reference"] == "CNIL-2026-77" and entry.data["on_time"] is True
    assert entry.data["signed_off_by"] == "cara" and len(entry.data["fields_sha256"]) == 64

    again = as_ruth.patch(url(gdpr), {"content": {"contact": "someone else"}}, format="json")
    assert again.status_code == 409
    assert RegulatoryReport.objects.get().fields["contact"] == "dpo@bank.test"


def test_an_edit_after_sign_off_voids_it(gdpr, liaison, commander):
    token_client(liaison).patch(url(gdpr), {"content": {"contact": "dpo@bank.test"}}, format="json")
    token_client(commander).post(url(gdpr, "sign-off/"))
    changed = token_client(commander).patch(
        url(gdpr), {"content": {"consequences": "None"}}, format="json"
    )
    assert changed.json()["status"] == "draft" and changed.json()["signed_off_by"] is None
    assert (
        token_client(liaison)
        .post(url(gdpr, "submit/"), {"channel": "portal"}, format="json")
        .status_code
        == 409
    )


def test_a_late_submission_is_recorded_as_missed(gdpr, liaison, commander, clock):
    token_client(liaison).patch(url(gdpr), {"content": {"contact": "dpo@bank.test"}}, format="json")
    token_client(commander).post(url(gdpr, "sign-off/"))
    clock.advance(hours=80)
    token_client(liaison).post(url(gdpr, "submit/"), {"channel": "portal"}, format="json")
    gdpr.refresh_from_db()
    assert gdpr.outcome == "missed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": {"nope": "x"}}, "content.nope"),
        ({"content": {"contact": "x" * 20_001}}, "content.contact"),
        ({"content": "text"}, "content"),
        ({}, "content"),
    ],
)
def test_bad_report_input_names_the_field_and_saves_nothing(gdpr, liaison, body, field):
    response = token_client(liaison).patch(url(gdpr), body, format="json")
    assert response.status_code == 400 and field in error_fields(response)
    assert not RegulatoryReport.objects.exists()


def test_a_submission_needs_a_channel_and_a_past_time(gdpr, liaison, commander, clock):
    token_client(liaison).patch(url(gdpr), {"content": {"contact": "dpo@bank.test"}}, format="json")
    token_client(commander).post(url(gdpr, "sign-off/"))
    for body, field, code in (
        ({"channel": "  "}, "channel", 400),
        (
            {"channel": "portal", "submitted_at": (clock.now + timedelta(hours=1)).isoformat()},
            "submitted_at",
            409,
        ),
    ):
        response = token_client(liaison).post(url(gdpr, "submit/"), body, format="json")
        assert response.status_code == code and field in error_fields(response), response.content
    assert RegulatoryReport.objects.get().status == "signed_off"


def test_exports_as_markdown_and_pdf(gdpr, liaison, commander):
    token_client(liaison).patch(url(gdpr), {"content": {"contact": "dpo@bank.test"}}, format="json")
    markdown = token_client(commander).get(url(gdpr, "markdown/"))
    assert markdown["Content-Type"].startswith("text/markdown")
    text = markdown.content.decode()
    assert text.startswith("# GDPR Art. 33: Notification to the supervisory authority: INC-")
    assert (
        "**DRAFT: not signed off**" in text and "dpo@bank.test" in text and "Article 33(1)" in text
    )

    pdf = token_client(commander).get(url(gdpr, "pdf/"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    extracted = " ".join(page.extract_text() for page in pages)
    assert "Notification to the supervisory authority" in extracted and "dpo@bank.test" in extracted
    assert "DRAFT" in extracted


def test_the_obligation_list_has_countdowns_in_a_fixed_number_of_queries(
    gdpr, liaison, commander, client
):
    client.force_login(commander)
    path = f"/api/v1/incidents/{gdpr.incident_id}/obligations/"

    def fetch() -> tuple[list, int]:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(path).json()
        return body["results"], len(queries)

    results, before = fetch()
    assert results[0]["state"] == "running" and results[0]["seconds_left"] == 72 * 3600 - 600
    services.triage(incident=gdpr.incident, by=liaison, regime=AI_ACT, answers=AI_ACT_SERIOUS)
    token_client(liaison).patch(url(gdpr), {"content": {"contact": "dpo@bank.test"}}, format="json")
    results, after = fetch()
    assert len(results) == 2 and after == before


def test_markup_in_a_report_never_makes_the_pdf_renderer_fetch_anything(gdpr, liaison, commander):
    """The attack: a field carrying <img>/<link>/CSS pointing at an internal address, hoping the
    HTML-to-PDF renderer fetches it (SSRF). Text is escaped and the renderer fetches nothing."""
    import http.server
    import threading

    hits: list[str] = []

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{server.server_port}"
    payload = (
        f'<img src="{target}/img"><link rel="stylesheet" href="{target}/css">'
        f'<style>@import url("{target}/import");</style><p style="background:url({target}/bg)">x</p>'
    )
    try:
        token_client(liaison).patch(
            url(gdpr), {"content": {"consequences": payload}}, format="json"
        )
        pdf = token_client(commander).get(url(gdpr, "pdf/"))
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "<img src=" in text  # shown as text, not interpreted
    assert hits == []


def _submitted(gdpr, liaison, commander) -> RegulatoryReport:
    token_client(liaison).patch(url(gdpr), {"content": {"contact": "dpo@bank.test"}}, format="json")
    token_client(commander).post(url(gdpr, "sign-off/"))
    token_client(liaison).post(url(gdpr, "submit/"), {"channel": "portal"}, format="json")
    return RegulatoryReport.objects.get()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE regulatory_regulatoryreport SET channel = 'forged' WHERE id = %s",
        "DELETE FROM regulatory_regulatoryreport WHERE id = %s",
        "UPDATE regulatory_obligation SET submitted_at = NULL WHERE id = "
        "(SELECT obligation_id FROM regulatory_regulatoryreport WHERE id = %s)",
    ],
)
def test_the_database_refuses_to_rewrite_a_submitted_report(gdpr, liaison, commander, statement):
    """The attack: raw SQL (a console on the database) rewrites what went to the authority."""
    from django.db import DatabaseError, transaction

    report = _submitted(gdpr, liaison, commander)
    with pytest.raises(DatabaseError, match="submitted regulatory reports are immutable"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [report.pk])
    report.refresh_from_db()
    assert (report.channel, report.status) == ("portal", "submitted")


def test_a_draft_report_stays_editable_in_the_database(gdpr, liaison):
    token_client(liaison).patch(url(gdpr), {"content": {"contact": "dpo@bank.test"}}, format="json")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE regulatory_regulatoryreport SET channel = 'draft note'")
    assert RegulatoryReport.objects.get().channel == "draft note"
