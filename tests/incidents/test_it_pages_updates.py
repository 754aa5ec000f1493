"""The update composer on the incident page: drafts, inline jargon check, sign-off, publishing."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comms import workflows
from comms.models import Deadline, StatusUpdate
from comms.services import create_draft, publish_update
from glossary.services import create_term
from incidents import services
from incidents.choices import GROUP_RESPONDER, Audience, EntryKind, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident, Playbook
from tests.builders import make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, *args) -> str:
    return reverse(f"incidents:{name}", args=args)


@pytest.fixture
def live(commander, fraud_model):
    return workflows.declare_incident(
        by=commander, title="Checkout latency", severity=2, models=[(fraud_model, "")]
    )


@pytest.fixture
def p95(commander):
    return create_term(
        by=commander,
        name="p95 latency",
        variants=["p95"],
        technical_definition="95th percentile",
        plain_definition="how long the slowest 1 in 20 checkouts takes",
    )


@pytest.fixture
def liaison(commander, live):
    ruth = make_user("ruth", GROUP_RESPONDER)
    services.assign_role(incident=live, role=Role.REGULATOR, user=ruth, by=commander)
    return ruth


def composer(**overrides) -> dict[str, str]:
    data = {
        "update-what_changed": "Rolled back to v41",
        "update-uncertain": "Root cause",
        "update-technical_summary": "p95 latency back to 210 ms",
        "update-technical_body": "Rollback at 10:42",
        "update-executive_summary": "Checkouts are fast again",
    }
    data.update(overrides)
    return data


def test_it_saves_a_draft_from_the_composer(client, commander, live):
    client.force_login(commander)
    response = client.post(url("create_update", live.pk), composer())
    assert response.status_code == 302
    update = StatusUpdate.objects.get(incident=live)
    assert (update.status, update.what_changed, update.uncertain) == (
        "draft",
        "Rolled back to v41",
        "Root cause",
    )
    assert {r.audience: r.summary for r in update.renditions.all()} == {
        "technical": "p95 latency back to 210 ms",
        "executive": "Checkouts are fast again",
    }
    page = client.get(url("detail", live.pk)).text
    assert re.search(r'id="update-1".*Draft.*Checkouts are fast again', page, re.S)
    assert f'href="{url("edit_update", live.pk, 1)}"' in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (composer(**{"update-what_changed": ""}), "what_changed", "This field is required."),
        (
            composer(
                **{
                    "update-technical_summary": "",
                    "update-technical_body": "",
                    "update-executive_summary": "",
                }
            ),
            None,
            "at least one audience",
        ),
        (
            composer(**{"update-executive_summary": "", "update-executive_body": "Detail only"}),
            "executive_summary",
            "starts with a short summary",
        ),
    ],
)
def test_it_refuses_an_incomplete_update(client, commander, live, data, field, message):
    client.force_login(commander)
    response = client.post(url("create_update", live.pk), data)
    assert response.status_code == 400
    if field:
        assert re.search(rf'id="id_update-{field}_error".*{message}', response.text, re.S)
    else:
        assert message in response.text
    assert not StatusUpdate.objects.exists()


def test_it_shows_all_audience_fieldsets_and_a_hidden_tablist(client, commander, live):
    client.force_login(commander)
    page = client.get(url("detail", live.pk)).text
    assert '<div class="tablist" role="tablist" aria-label="Audiences" hidden>' in page
    for audience in Audience.values:
        assert f'<fieldset class="audience-panel" id="panel-{audience}" data-tab-panel' in page
        assert f'for="id_update-{audience}_summary"' in page
    assert f'hx-post="{url("jargon_check", live.pk)}?audience=executive"' in page
    assert 'hx-trigger="keyup changed delay:500ms, change"' in page


def test_it_flags_jargon_inline_with_the_plain_definition(client, commander, live, p95):
    client.force_login(commander)
    response = client.post(
        url("jargon_check", live.pk) + "?audience=executive",
        {"update-executive_summary": "The p95 latency doubled", "update-executive_body": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "1 technical term" in response.text
    assert (
        "<mark>" in response.text
        and "how long the slowest 1 in 20 checkouts takes" in response.text
    )
    assert f'href="{reverse("glossary:term", args=[p95.slug])}"' in response.text


def test_it_does_not_flag_the_technical_rendition(client, commander, live, p95):
    client.force_login(commander)
    response = client.post(
        url("jargon_check", live.pk) + "?audience=technical",
        {"update-technical_summary": "The p95 latency doubled"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "technical term" not in response.text and "<mark>" not in response.text
    assert "Preview" in response.text


def test_it_says_when_a_plain_rendition_is_clean(client, commander, live, p95):
    client.force_login(commander)
    response = client.post(
        url("jargon_check", live.pk) + "?audience=customer",
        {"update-customer_summary": "Checkouts are slow"},
        **HTMX,
    )
    assert "No technical terms found" in response.text


def test_it_rejects_an_unknown_audience(client, commander, live):
    client.force_login(commander)
    assert client.post(url("jargon_check", live.pk) + "?audience=martians", {}).status_code == 400


def test_it_edits_a_draft_on_its_page(client, commander, live, p95):
    client.force_login(commander)
    client.post(url("create_update", live.pk), composer())
    page = client.get(url("edit_update", live.pk, 1))
    assert page.status_code == 200
    assert "Checkouts are fast again" in page.text
    assert "p95 latency back to 210 ms" in page.text
    response = client.post(
        url("edit_update", live.pk, 1),
        composer(**{"update-executive_summary": "p95 latency is normal"}),
    )
    assert response.status_code == 302
    assert (
        StatusUpdate.objects.get().renditions.get(audience="executive").summary
        == "p95 latency is normal"
    )
    # The edit page shows the jargon report without JavaScript.
    assert "<mark>" in client.get(url("edit_update", live.pk, 1)).text


def test_it_requires_the_jargon_acknowledgement_before_publishing(client, commander, live, p95):
    client.force_login(commander)
    client.post(
        url("create_update", live.pk),
        composer(**{"update-executive_summary": "p95 latency doubled"}),
    )
    page = client.get(url("detail", live.pk)).text
    assert "I acknowledge the technical terms" in page
    refused = client.post(url("publish_update", live.pk, 1), {})
    assert refused.status_code == 400
    assert re.search(
        r'id="id_publish-1-acknowledge_jargon_error".*Rephrase, or acknowledge', refused.text, re.S
    )
    assert StatusUpdate.objects.get().status == "draft"
    response = client.post(
        url("publish_update", live.pk, 1), {"publish-1-acknowledge_jargon": "on"}
    )
    assert response.status_code == 302
    update = StatusUpdate.objects.get()
    assert update.status == "published" and update.jargon_acknowledged_by == commander
    page = client.get(url("detail", live.pk)).text
    published = page[page.index('id="published-h"') :]
    assert "Update 1" in published and 'class="term"' in published  # glossified
    assert url("publish_update", live.pk, 1) not in page


def test_it_takes_the_regulator_rendition_through_sign_off(client, commander, live, liaison):
    client.force_login(commander)
    client.post(
        url("create_update", live.pk),
        composer(**{"update-regulator_summary": "Disclosure: declines"}),
    )
    assert client.post(url("publish_update", live.pk, 1), {}).status_code == 409
    assert client.post(url("submit_update", live.pk, 1)).status_code == 302
    assert StatusUpdate.objects.get().status == "awaiting_signoff"
    assert client.post(url("sign_off_update", live.pk, 1)).status_code == 403  # not the liaison
    client.force_login(liaison)
    page = client.get(url("detail", live.pk)).text
    assert "Sign off the regulator rendition" in page
    assert client.post(url("sign_off_update", live.pk, 1)).status_code == 302
    client.force_login(commander)
    assert client.post(url("publish_update", live.pk, 1), {}).status_code == 302
    assert StatusUpdate.objects.get().status == "published"


def test_it_asks_for_the_approver_of_a_customer_notice(client, commander, responder, live):
    Playbook.objects.create(
        name="SEV2", severity=2, approvals={"customer_notice": "liaison_executive"}
    )
    services.assign_role(incident=live, role=Role.COMMS_LEAD, user=responder, by=commander)
    vp = make_user("priya", GROUP_RESPONDER)
    services.assign_role(incident=live, role=Role.EXECUTIVE, user=vp, by=commander)
    client.force_login(responder)
    client.post(
        url("create_update", live.pk),
        composer(**{"update-customer_summary": "Some payments declined"}),
    )
    page = client.get(url("detail", live.pk)).text
    assert "Approved by (Executive liaison)" in page
    refused = client.post(url("publish_update", live.pk, 1), {})
    assert refused.status_code == 400
    assert re.search(r'id="id_publish-1-approved_by_error".*needs approval', refused.text, re.S)
    assert (
        client.post(url("publish_update", live.pk, 1), {"publish-1-approved_by": vp.pk}).status_code
        == 302
    )


def test_it_publishes_corrections_as_new_updates(client, commander, live):
    client.force_login(commander)
    client.post(url("create_update", live.pk), composer())
    client.post(url("publish_update", live.pk, 1), {})
    assert client.get(url("edit_update", live.pk, 1)).status_code == 409
    response = client.post(
        url("create_update", live.pk),
        composer(**{"update-corrects": "1", "update-what_changed": "Correction"}),
    )
    assert response.status_code == 302
    assert StatusUpdate.objects.get(number=2).corrects.number == 1


def test_it_refuses_publishing_to_responders_without_a_publishing_role(
    client, commander, responder, live
):
    client.force_login(commander)
    client.post(url("create_update", live.pk), composer())
    client.force_login(responder)
    assert url("publish_update", live.pk, 1) not in client.get(url("detail", live.pk)).text
    assert client.post(url("publish_update", live.pk, 1), {}).status_code == 403
    assert StatusUpdate.objects.get().status == "draft"


@pytest.mark.parametrize("name", ["submit_update", "sign_off_update", "publish_update"])
@pytest.mark.parametrize("persona", ["executive", "regulator", "outsider"])
def test_it_refuses_update_steps_to_readers(client, request, commander, live, name, persona):
    create_draft(
        incident=live, by=commander, what_changed="x", renditions={"technical": {"summary": "s"}}
    )
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url(name, live.pk, 1)).status_code == 403
    assert client.get(url("edit_update", live.pk, 1)).status_code == 403


def test_it_hides_drafts_and_the_composer_from_executives(client, commander, executive, live):
    create_draft(
        incident=live,
        by=commander,
        what_changed="Secret draft",
        renditions={"technical": {"summary": "s"}},
    )
    client.force_login(executive)
    page = client.get(url("detail", live.pk)).text
    assert "Secret draft" not in page and 'id="composer"' not in page


# --- query counts -----------------------------------------------------------------------------------


def _updates(incident: Incident, commander, n: int) -> None:
    for i in range(n):
        draft = create_draft(
            incident=incident,
            by=commander,
            what_changed=f"Change {i}",
            renditions={
                "technical": {"summary": f"p95 latency {i}"},
                "executive": {"summary": f"Checkouts {i}", "body": "p95 latency"},
            },
        )
        if i % 2 == 0:
            publish_update(update=draft, by=commander, acknowledge_jargon=True)


def detail_queries(client, incident) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url("detail", incident.pk)).status_code == 200
    return len(ctx.captured_queries)


def test_it_renders_detail_with_constant_queries_for_updates_and_deadlines(
    client, commander, live, p95
):
    client.force_login(commander)
    _updates(live, commander, 1)
    workflows.change_severity(incident=live, severity=3, by=commander, reason="fewer audiences")
    assert Deadline.objects.open().filter(incident=live).count() == 2
    few = detail_queries(client, live)
    _updates(live, commander, 10)
    workflows.change_severity(incident=live, severity=1, by=commander, reason="all audiences")
    assert Deadline.objects.open().filter(incident=live).count() == 4
    assert StatusUpdate.objects.filter(incident=live).count() == 11
    assert detail_queries(client, live) == few


def test_it_logs_each_publication(client, commander, live):
    client.force_login(commander)
    client.post(url("create_update", live.pk), composer())
    client.post(url("publish_update", live.pk, 1), {})
    assert (
        DecisionLogEntry.objects.filter(incident=live, kind=EntryKind.UPDATE_PUBLISHED).count() == 1
    )
