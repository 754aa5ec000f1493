"""Publishing: one transaction makes the update immutable, logged, cadenced and fanned out."""

import pytest
from django.db import DatabaseError, connection, transaction

from comms import workflows
from comms.models import Delivery, Rendition, StatusUpdate, Subscription, UpdateImmutable
from comms.services import create_draft, edit_draft, publish_update, sign_off, submit_for_signoff
from glossary.services import create_term
from incidents.choices import EntryKind, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from incidents.models import MonitoredModel, Playbook
from incidents.services import assign_role
from kit.errors import Conflict, DecisionRightDenied, DomainError, NotPermitted
from tests.builders import make_user
from tests.replace_attack import replace_row


@pytest.fixture
def live(clock, commander, fraud_model, responder):
    incident = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
    return incident


@pytest.fixture
def p95(commander):
    return create_term(
        by=commander,
        name="p95",
        variants=["p95 latency"],
        technical_definition="95th percentile",
        plain_definition="how slow the slowest 1 in 20 requests is",
    )


def draft(incident, by, **renditions):
    renditions = renditions or {"technical": {"summary": "Rolled back to v41", "body": "FP 1.8 %"}}
    return create_draft(
        incident=incident,
        by=by,
        what_changed="Rolled back",
        uncertain="Root cause",
        renditions=renditions,
    )


def count(*models):
    return tuple(m.objects.count() for m in models)


def test_publishing_logs_freezes_and_links_the_update(live, commander):
    update = draft(live, commander, executive={"summary": "Card declines are back to normal"})

    publish_update(update=update, by=commander)

    update.refresh_from_db()
    assert (update.status, update.published_by, update.number) == ("published", commander, 1)
    entry = update.log_entry
    assert (entry.kind, entry.data["audiences"], entry.data["summaries"]) == (
        EntryKind.UPDATE_PUBLISHED,
        ["executive"],
        {"executive": "Card declines are back to normal"},
    )
    assert verify_chain(live.pk).valid


def test_a_published_update_refuses_every_change(live, commander):
    update = publish_update(update=draft(live, commander), by=commander)
    update.what_changed = "Rewritten"
    with pytest.raises(UpdateImmutable):
        update.save()
    with pytest.raises(UpdateImmutable):
        update.delete()
    rendition = update.renditions.get()
    rendition.summary = "Rewritten"
    with pytest.raises(UpdateImmutable):
        rendition.save()
    with pytest.raises(Conflict, match=r"Update \d+ is published and cannot change; publish a"):
        edit_draft(update=update, by=commander, what_changed="Rewritten")
    with pytest.raises(Conflict, match=r"Update \d+ is published and cannot change; publish a"):
        publish_update(update=update, by=commander)
    update.refresh_from_db()
    assert update.what_changed == "Rolled back"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE comms_statusupdate SET what_changed = 'x' WHERE id = %s",
        "DELETE FROM comms_statusupdate WHERE id = %s",
        "UPDATE comms_rendition SET summary = 'x' WHERE update_id = %s",
        "DELETE FROM comms_rendition WHERE update_id = %s",
    ],
)
def test_the_database_refuses_raw_changes_to_published_updates(live, commander, sql):
    update = publish_update(update=draft(live, commander), by=commander)
    with pytest.raises(DatabaseError, match="immutable"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [update.pk])
    assert Rendition.objects.get(update=update).summary == "Rolled back to v41"


def test_drafts_stay_editable_in_the_database(live, commander):
    update = draft(live, commander)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE comms_rendition SET summary = 'Better' WHERE update_id = %s", [update.pk]
        )
    assert update.renditions.get().summary == "Better"


@pytest.mark.parametrize("persona", ["commander2", "executive"])
def test_only_the_commander_or_comms_lead_publishes(live, commander, request, persona):
    user = request.getfixturevalue(persona)
    update = draft(live, commander)
    with pytest.raises(
        NotPermitted, match=r"Only the incident commander or the comms lead may publish"
    ):
        publish_update(update=update, by=user)
    assert StatusUpdate.objects.get().status == "draft"
    assert not Delivery.objects.exists()


def test_the_comms_lead_publishes(live, responder):
    assert publish_update(update=draft(live, responder), by=responder).is_published


class TestJargon:
    def test_plain_renditions_with_technical_terms_need_an_acknowledgement(
        self, live, commander, p95
    ):
        update = draft(
            live,
            commander,
            executive={"summary": "Checkout p95 latency is up", "body": "p95 at 900 ms"},
        )
        before = count(DecisionLogEntry, Delivery)

        with pytest.raises(
            DomainError, match=r"Plain-language renditions use technical terms: p95"
        ) as excinfo:
            publish_update(update=update, by=commander)

        assert excinfo.value.field == "acknowledge_jargon"
        assert "p95 latency (executive)" in excinfo.value.message
        assert count(DecisionLogEntry, Delivery) == before
        published = publish_update(update=update, by=commander, acknowledge_jargon=True)
        acknowledged = published.log_entry.data["jargon_acknowledged"]
        assert {(j["audience"], j["matched"]) for j in acknowledged} == {
            ("executive", "p95 latency"),
            ("executive", "p95"),
        }
        assert published.jargon_acknowledged_by == commander

    def test_the_technical_rendition_may_use_jargon(self, live, commander, p95):
        update = draft(live, commander, technical={"summary": "p95 latency 900 ms"})
        assert (
            publish_update(update=update, by=commander).log_entry.data["jargon_acknowledged"] == []
        )


class TestRegulatorSignOff:
    @pytest.fixture
    def liaison(self, live, commander):
        ruth = make_user("ruth", "responder")
        assign_role(incident=live, role=Role.REGULATOR, user=ruth, by=commander)
        return ruth

    def test_a_regulator_rendition_is_published_only_after_the_liaisons_sign_off(
        self, live, commander, liaison
    ):
        update = draft(live, commander, regulator={"summary": "No customer data was exposed."})
        with pytest.raises(
            Conflict, match=r"The regulator rendition needs sign-off by the regulator"
        ) as excinfo:
            publish_update(update=update, by=commander)
        assert excinfo.value.field == "renditions.regulator"
        with pytest.raises(
            NotPermitted, match=r"Only the incident's regulator / partner liaison may sign"
        ):
            sign_off(update=update, by=commander)

        submit_for_signoff(update=update, by=commander)
        sign_off(update=update, by=liaison)
        published = publish_update(update=update, by=commander)

        rendition = published.renditions.get()
        assert (rendition.signed_off_by, published.status) == (liaison, "published")
        kinds = list(DecisionLogEntry.objects.filter(incident=live).values_list("kind", flat=True))
        assert kinds[-2:] == [EntryKind.SIGN_OFF, EntryKind.UPDATE_PUBLISHED]

    def test_editing_the_regulator_rendition_voids_the_sign_off(self, live, commander, liaison):
        update = draft(live, commander, regulator={"summary": "No customer data was exposed."})
        sign_off(update=update, by=liaison)
        edit_draft(
            update=update,
            by=commander,
            renditions={"regulator": {"summary": "Some data was exposed."}},
        )
        assert update.renditions.get().signed_off_at is None
        with pytest.raises(
            Conflict, match=r"The regulator rendition needs sign-off by the regulator"
        ):
            publish_update(update=update, by=commander)


class TestCustomerNotice:
    def test_a_customer_rendition_needs_the_customer_notice_right(self, live, commander, responder):
        update = draft(
            live, commander, customer={"summary": "Some card payments were declined in error."}
        )
        with pytest.raises(
            DecisionRightDenied, match=r"You may not publish a customer notice on INC-\d+: it needs"
        ):
            publish_update(update=update, by=commander)  # the commander is not the comms lead
        assert publish_update(update=update, by=responder).is_published

    def test_a_playbook_approval_is_required_and_logged(
        self, live, commander, responder, commander2
    ):
        Playbook.objects.create(
            name="SEV2", severity=2, approvals={"customer_notice": "liaison_executive"}
        )
        update = draft(
            live, commander, customer={"summary": "Some card payments were declined in error."}
        )
        with pytest.raises(
            DomainError, match=r"A customer notice needs approval by the Executive liaison\."
        ) as excinfo:
            publish_update(update=update, by=responder, approved_by=commander2)
        assert excinfo.value.field == "approved_by"
        assign_role(incident=live, role=Role.EXECUTIVE, user=commander2, by=commander)
        published = publish_update(update=update, by=responder, approved_by=commander2)
        assert published.log_entry.data["approved_by"] == "conor"


class TestDrafts:
    def test_a_draft_needs_what_changed_and_a_summary_per_rendition(self, live, commander):
        with pytest.raises(
            DomainError, match=r"what_changed is required: say what changed since the last"
        ) as no_change:
            create_draft(
                incident=live,
                by=commander,
                what_changed=" ",
                renditions={"technical": {"summary": "x"}},
            )
        with pytest.raises(
            DomainError, match=r"Every rendition starts with a short summary\."
        ) as no_summary:
            create_draft(
                incident=live,
                by=commander,
                what_changed="x",
                renditions={"executive": {"body": "x"}},
            )
        with pytest.raises(DomainError, match=r"Unknown audience 'board'\.") as bad_audience:
            create_draft(
                incident=live,
                by=commander,
                what_changed="x",
                renditions={"board": {"summary": "x"}},
            )
        assert (no_change.value.field, no_summary.value.field, bad_audience.value.field) == (
            "what_changed",
            "renditions.executive.summary",
            "renditions",
        )
        assert not StatusUpdate.objects.exists()

    def test_executives_write_no_updates(self, live, executive):
        with pytest.raises(
            NotPermitted, match=r"Only responders and commanders may write updates\."
        ):
            draft(live, executive)

    def test_a_correction_names_a_published_update(self, live, commander):
        first = draft(live, commander)
        with pytest.raises(
            DomainError, match=r"corrects must name a published update of this incident\."
        ):
            create_draft(
                incident=live,
                by=commander,
                what_changed="x",
                renditions={"technical": {"summary": "x"}},
                corrects=first,
            )
        publish_update(update=first, by=commander)
        correction = create_draft(
            incident=live,
            by=commander,
            what_changed="Correction: v40, not v41",
            renditions={"technical": {"summary": "We rolled back to v40"}},
            corrects=first,
        )
        published = publish_update(update=correction, by=commander)
        assert (published.number, published.log_entry.data["corrects"]) == (2, 1)


class TestFanOut:
    @pytest.fixture
    def subscribers(self, live, executive, outsider, fraud_model):
        credit = MonitoredModel.objects.create(
            name="Credit", slug="credit", team="Lending", business_function="x", risk_tier=2
        )
        subs = {
            "exec_inbox": Subscription.objects.create(
                name="Eve", user=executive, audience="executive"
            ),
            "hook": Subscription.objects.create(
                name="Hook", channel="webhook", target="http://127.0.0.1:9/h", audience="technical"
            ),
            "slack_fraud": Subscription.objects.create(
                name="Slack",
                channel="slack",
                target="http://127.0.0.1:9/s",
                audience="technical",
                teams=["Payments risk"],
            ),
            "sev1_only": Subscription.objects.create(
                name="SEV1",
                channel="webhook",
                target="http://127.0.0.1:9/1",
                audience="technical",
                min_severity=1,
            ),
            "credit_only": Subscription.objects.create(
                name="Credit",
                channel="webhook",
                target="http://127.0.0.1:9/c",
                audience="technical",
            ),
            "other_team": Subscription.objects.create(
                name="Team",
                channel="webhook",
                target="http://127.0.0.1:9/t",
                audience="technical",
                teams=["Lending"],
            ),
            "inactive": Subscription.objects.create(
                name="Off",
                channel="webhook",
                target="http://127.0.0.1:9/o",
                audience="technical",
                is_active=False,
            ),
        }
        subs["credit_only"].monitored_models.set([credit])
        return subs

    def test_one_delivery_per_matching_subscriber_and_channel(
        self, live, commander, subscribers, django_capture_on_commit_callbacks
    ):
        update = draft(
            live, commander, technical={"summary": "Rolled back"}, executive={"summary": "Fixed"}
        )
        with django_capture_on_commit_callbacks() as callbacks:
            publish_update(update=update, by=commander)

        rows = {
            (d.subscription.name, d.channel, d.audience)
            for d in Delivery.objects.filter(update=update)
        }
        assert rows == {
            ("Eve", "inapp", "executive"),
            ("Eve", "email", "executive"),
            ("Hook", "webhook", "technical"),
            ("Slack", "slack", "technical"),
        }
        assert len(callbacks) == 1  # enqueued after commit, not before
        hook = Delivery.objects.get(update=update, channel="webhook")
        assert hook.payload["rendition"] == {
            "audience": "technical",
            "summary": "Rolled back",
            "body": "",
        }
        assert hook.payload["feedback_url"].startswith("http")
        assert Delivery.objects.get(update=update, channel="inapp").payload["details"] is None

    def test_drills_reach_only_subscriptions_that_want_them(self, clock, commander, executive):
        Subscription.objects.create(name="Eve", user=executive, audience="technical")
        Subscription.objects.create(
            name="Drills",
            channel="webhook",
            target="http://127.0.0.1:9/d",
            audience="technical",
            include_drills=True,
        )
        drill = workflows.declare_incident(by=commander, title="Drill", severity=2, is_drill=True)
        update = publish_update(update=draft(drill, commander), by=commander)
        assert [
            (d.subscription.name, d.is_drill) for d in Delivery.objects.filter(update=update)
        ] == [("Drills", True)]

    def test_a_refused_publish_writes_no_delivery(self, live, commander, subscribers, p95):
        update = draft(live, commander, executive={"summary": "p95 is up"})
        with pytest.raises(
            DomainError, match=r"Plain-language renditions use technical terms: p95"
        ):
            publish_update(update=update, by=commander)
        assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    "table, changes, conflict",
    [
        ("comms_statusupdate", {"what_changed": "x"}, None),
        (
            "comms_statusupdate",
            {"what_changed": "x"},
            ("incident_id", "number"),
        ),  # and the log entry
        ("comms_rendition", {"summary": "x"}, None),
        ("comms_rendition", {"summary": "x"}, ("update_id", "audience")),
    ],
)
def test_the_database_refuses_replace_over_published_updates(
    live, commander, table, changes, conflict
):
    """SQLite's INSERT OR REPLACE deletes the old row without DELETE triggers: a guard refuses it (#10).

    (PostgreSQL's form, ON CONFLICT DO UPDATE, meets the UPDATE trigger.)
    """
    update = publish_update(update=draft(live, commander), by=commander)
    pk = update.pk if table == "comms_statusupdate" else update.renditions.get().pk
    with pytest.raises(DatabaseError, match="immutable"):
        replace_row(
            table, pk, changes, new_id=pk + 1000 if conflict else None, conflict=conflict or ("id",)
        )
    update.refresh_from_db()
    assert (update.what_changed, Rendition.objects.get(update=update).summary) == (
        "Rolled back",
        "Rolled back to v41",
    )


def test_the_database_lets_a_draft_be_replaced(live, commander):
    """The guard protects published rows only, as the UPDATE trigger does."""
    update = draft(live, commander)
    replace_row("comms_statusupdate", update.pk, {"what_changed": "Raw"})
    update.refresh_from_db()
    assert update.what_changed == "Raw"
