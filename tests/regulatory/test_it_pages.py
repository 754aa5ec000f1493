"""The regulatory pages: countdowns for readers, triage and reports for the liaison and commander."""

from __future__ import annotations

import pytest

from regulatory import services
from regulatory.models import Obligation, RegulatoryReport, Triage
from tests.regulatory.support import GDPR, GDPR_BREACH, with_liaison


@pytest.fixture
def page_incident(clock, incident, commander, liaison):
    return with_liaison(incident, commander, liaison)


def triage_post(answers: dict[str, bool]) -> dict[str, str]:
    return {f"{GDPR}-{key}": "yes" if value else "no" for key, value in answers.items()}


def test_the_liaison_triages_on_the_page_and_the_incident_page_shows_the_countdown(
    client, page_incident, liaison, executive
):
    client.force_login(liaison)
    url = f"/incidents/{page_incident.pk}/regulatory/"
    response = client.post(f"{url}triage/{GDPR}/", triage_post(GDPR_BREACH))
    assert response.status_code == 302 and response["Location"].endswith("#obligations")
    assert Triage.objects.get().answered_by == liaison
    detail = client.get(f"/incidents/{page_incident.pk}/").content.decode()
    assert "GDPR Art. 33: Notification to the supervisory authority" in detail
    assert "71 h left" in detail or "72 h left" in detail

    client.force_login(executive)
    page = client.get(url).content.decode()
    assert "Notification to the supervisory authority" in page
    assert "Save the answers" not in page  # executives read only
    assert client.post(f"{url}triage/{GDPR}/", triage_post(GDPR_BREACH)).status_code == 403


def test_an_unanswered_question_is_named_and_nothing_is_saved(client, page_incident, liaison):
    client.force_login(liaison)
    response = client.post(
        f"/incidents/{page_incident.pk}/regulatory/triage/{GDPR}/",
        {f"{GDPR}-personal_data_breach": "yes"},
    )
    assert response.status_code == 400
    assert "Not saved: please correct the errors below." in response.content.decode()
    assert not Triage.objects.exists()


def test_a_responder_without_the_role_is_refused(client, page_incident, responder):
    client.force_login(responder)
    response = client.post(
        f"/incidents/{page_incident.pk}/regulatory/triage/{GDPR}/", triage_post(GDPR_BREACH)
    )
    assert response.status_code == 403 and not Triage.objects.exists()


def test_draft_sign_off_and_submission_on_the_report_page(
    client, page_incident, liaison, commander
):
    services.triage(incident=page_incident, by=liaison, regime=GDPR, answers=GDPR_BREACH)
    obligation = Obligation.objects.get()
    base = f"/incidents/{page_incident.pk}/regulatory/{obligation.pk}/"
    client.force_login(liaison)
    assert "Customers affected: 1,200" in client.get(base).content.decode()  # pre-filled
    saved = client.post(
        f"{base}save/", {"report-contact": "dpo@bank.test", "report-nature": "1,200 scores"}
    )
    assert saved.status_code == 302
    own = client.post(f"{base}sign-off/")
    assert own.status_code == 409 and "Four eyes" in own.content.decode()
    client.force_login(commander)
    assert client.post(f"{base}sign-off/").status_code == 302
    client.force_login(liaison)
    blank = client.post(f"{base}submit/", {"channel": ""})
    assert blank.status_code == 400
    done = client.post(f"{base}submit/", {"channel": "CNIL portal", "authority_reference": "C-9"})
    assert done.status_code == 302
    report = RegulatoryReport.objects.get()
    assert (report.status, report.channel, report.fields["contact"]) == (
        "submitted",
        "CNIL portal",
        "dpo@bank.test",
    )
    page = client.get(base).content.decode()
    assert "Save the draft" not in page and "submitted by ruth via CNIL portal (C-9)" in page


def test_the_regulator_view_shows_the_deadlines_of_disclosed_incidents_only(
    client, clock, commander, liaison, responder, regulator, fraud_model
):
    from tests.builders import declare, publish_renditions

    disclosed = declare(commander, fraud_model, title="Disclosed")
    publish_renditions(
        disclosed, commander, responder, regulator_liaison=liaison, regulator={"summary": "We know"}
    )
    services.triage(incident=disclosed, by=liaison, regime=GDPR, answers=GDPR_BREACH)
    quiet = with_liaison(declare(commander, fraud_model, title="Not disclosed"), commander, liaison)
    services.triage(incident=quiet, by=liaison, regime=GDPR, answers=GDPR_BREACH)

    client.force_login(regulator)
    page = client.get("/status/regulator/").content.decode()
    assert page.count("GDPR Art. 33: Notification to the supervisory authority") == 1
    assert quiet.reference not in page

    client.force_login(commander)
    page = client.get("/status/regulator/").content.decode()
    assert "Reporting deadlines running" in page and quiet.reference in page
