"""Post-incident reviews: a generated draft, the team's edits, publishing, addenda, immutability."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from glossary.jargon import find_jargon
from glossary.services import create_term
from incidents.choices import EntryKind, Phase
from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from kit.errors import Conflict, DomainError, NotPermitted
from learning.actions import create_action_item
from learning.markdown import to_markdown
from learning.models import Review, ReviewAddendum, ReviewImmutable
from learning.reviews import renditions as review_renditions
from learning.reviews import rights as review_rights
from learning.reviews import services as review_services
from tests.learning.review_support import complete
from tests.replace_attack import replace_row


@pytest.fixture
def draft(resolved, commander):
    return review_services.start_review(incident=resolved, by=commander)


def published_review(draft, commander, **fields):
    review_services.edit_review(review=draft, by=commander, **complete(fields))
    return review_services.publish_review(review=draft, by=commander)


def test_a_started_review_holds_the_timeline_decisions_and_cadence_record(draft, resolved, clock):
    g = draft.generated
    log = list(DecisionLogEntry.objects.filter(incident=resolved).order_by("sequence"))
    # The whole log up to the start, in order (the start itself is logged after the snapshot).
    assert [(e["sequence"], e["kind"], e["summary"]) for e in g["timeline"]] == [
        (e.sequence, e.kind, e.summary) for e in log[:-1]
    ]
    assert log[-1].kind == EntryKind.REVIEW and log[-1].summary == "Post-incident review started"
    assert [
        (d["decision"], d["rationale"], d["taken_by"], d["role"], d["options_considered"])
        for d in g["decisions"]
    ] == [
        (
            "Roll back to v41",
            "FP doubled after v42",
            "Cara Commander (cara)",
            "commander",
            ["Raise threshold", "Roll back"],
        )
    ]
    assert [
        (c["audience"], c["met"], c["missed"], [s["outcome"] for s in c["slots"]])
        for c in g["cadence"]
    ] == [
        ("technical", 1, 0, ["met", "cancelled"]),
        ("executive", 0, 1, ["missed"]),
        ("customer", 0, 1, ["missed"]),
    ]
    assert [(m["phase"], m["indicator"]) for m in g["milestones"]][2:] == [
        ("contained", "FP < 2 % for 5 min"),
        ("recovered", "v41 serving"),
        ("resolved", "No alert for 10 min"),
    ]
    assert [m["phase"] for m in g["milestones"]][:2] == ["detected", "declared"]
    assert [(p["customers_per_hour"], p["revenue_per_hour"]) for p in g["impact"]["hourly"]][0] == (
        480.0,
        "34000.00",
    )
    assert g["impact"]["peak_customers_per_hour"] == 480.0
    assert g["incident"]["duration_minutes"] == 60
    assert [u["number"] for u in g["updates"]] == [1]
    assert (draft.status, draft.created_by.username) == ("draft", "cara")


def test_only_a_resolved_incident_is_reviewed_once(incident, resolved, draft, commander):
    with pytest.raises(
        Conflict, match=r"INC-\d+ is declared; only a resolved incident can be reviewed\."
    ) as exc:
        review_services.start_review(incident=incident, by=commander)
    assert exc.value.field == "incident"
    with pytest.raises(Conflict, match="already has a review"):
        review_services.start_review(incident=resolved, by=commander)


def test_who_may_start_edit_and_publish(resolved, commander, responder, executive):
    with pytest.raises(
        NotPermitted, match=r"Only commander-eligible users or the incident commander"
    ):
        review_services.start_review(incident=resolved, by=responder)
    review = review_services.start_review(incident=resolved, by=commander)
    review_services.edit_review(review=review, by=responder, **complete())  # the team fills it in
    with pytest.raises(NotPermitted, match=r"Only responders and commanders edit reviews\."):
        review_services.edit_review(review=review, by=executive, lessons="x")
    with pytest.raises(
        NotPermitted, match=r"Only commander-eligible users or the incident commander"
    ):
        review_services.publish_review(review=review, by=responder)
    assert Review.objects.get().status == "draft"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"root_causes": ["gremlins"]}, "root_causes"),
        ({"root_causes": "process"}, "root_causes"),
        ({"taxonomy": "made-up"}, "taxonomy"),
        ({"taxonomy": "oecd-aim", "classification": {"colour": "red"}}, "classification.colour"),
        (
            {"taxonomy": "oecd-aim", "classification": {"severity": "catastrophic"}},
            "classification.severity",
        ),
        (
            {"taxonomy": "oecd-aim", "classification": {"harm_type": ["physical", "boredom"]}},
            "classification.harm_type",
        ),
        ({"classification": {"severity": "AI incident"}}, "taxonomy"),
        ({"mood": "grim"}, "mood"),
        ({"lessons": "x" * 20_001}, "lessons"),
    ],
)
def test_bad_edits_name_the_field_and_change_nothing(draft, commander, fields, field):
    before = Review.objects.values().get(pk=draft.pk)
    with pytest.raises(DomainError) as exc:
        review_services.edit_review(review=draft, by=commander, **fields)
    assert exc.value.field == field
    assert type(exc.value) is DomainError  # invalid input, not a refusal of rights or state
    assert Review.objects.values().get(pk=draft.pk) == before


def test_classification_records_the_taxonomy_name_and_version(draft, commander):
    review = review_services.edit_review(
        review=draft,
        by=commander,
        taxonomy="cset-aiid-harm",
        classification={
            "tangible_harm": "tangible harm definitively occurred",
            "harmed_class": ["private sector entity", "individual"],
        },
    )
    review.refresh_from_db()
    assert (review.taxonomy_name, review.taxonomy_version) == (
        "CSET AI Harm Taxonomy for AIID",
        "1.0",
    )
    # Multiple values come back in the taxonomy's own order.
    assert review.classification == {
        "tangible_harm": "tangible harm definitively occurred",
        "harmed_class": ["individual", "private sector entity"],
    }


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"executive_summary": ""}, "executive_summary"),
        ({"lessons": ""}, "lessons"),
        ({"root_causes": []}, "root_causes"),
        ({"taxonomy": "", "classification": {}}, "taxonomy"),
        ({"classification": {"severity": "AI incident"}}, "classification.harm_type"),
    ],
)
def test_publishing_needs_a_complete_review(draft, commander, missing, field):
    review_services.edit_review(review=draft, by=commander, **complete(missing))
    with pytest.raises(Conflict) as exc:
        review_services.publish_review(review=draft, by=commander)
    assert exc.value.field == field
    assert Review.objects.get().status == "draft"


def test_publishing_freezes_logs_and_reaches_reviewed(draft, resolved, commander):
    review = published_review(draft, commander)

    review.refresh_from_db()
    resolved.refresh_from_db()
    assert (review.status, review.published_by) == ("published", commander)
    assert resolved.phase == Phase.REVIEWED
    entry = DecisionLogEntry.objects.filter(incident=resolved).order_by("-sequence").first()
    assert (
        entry.kind,
        entry.data["event"],
        entry.data["root_causes"],
        entry.data["taxonomy_version"],
    ) == ("review", "published", ["model_versioning", "process"], "2024-05")
    assert resolved.milestones.get(phase="reviewed").indicator == "Post-incident review published"
    assert verify_chain(resolved.pk).valid
    with pytest.raises(
        Conflict, match=r"This review is published and cannot change; add an addendum"
    ):
        review_services.edit_review(review=review, by=commander, lessons="Rewritten")
    with pytest.raises(
        Conflict, match=r"This review is published and cannot change; add an addendum"
    ):
        review_services.publish_review(review=review, by=commander)


def test_a_published_review_refuses_orm_changes(draft, commander):
    review = published_review(draft, commander)
    review.lessons = "Rewritten"
    with pytest.raises(ReviewImmutable):
        review.save()
    with pytest.raises(ReviewImmutable):
        Review.objects.filter(pk=review.pk).update(lessons="Rewritten")
    with pytest.raises(ReviewImmutable):
        review.delete()
    with pytest.raises(ReviewImmutable):
        Review.objects.all().delete()
    assert Review.objects.get().lessons == complete()["lessons"]


def test_the_database_refuses_raw_changes_to_published_reviews_and_addenda(
    draft, commander, responder
):
    review = published_review(draft, commander)
    review_services.add_addendum(
        review=review, by=responder, body="The vendor confirmed the feature change."
    )
    for sql in (
        "UPDATE learning_review SET lessons = 'x'",
        "DELETE FROM learning_review",
        "UPDATE learning_reviewaddendum SET body = 'x'",
        "DELETE FROM learning_reviewaddendum",
    ):
        with (
            pytest.raises(DatabaseError, match="published reviews are immutable"),
            transaction.atomic(),
        ):
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert Review.objects.get().lessons == complete()["lessons"]
    assert ReviewAddendum.objects.get().body == "The vendor confirmed the feature change."


def test_the_database_lets_a_draft_change(draft):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE learning_review SET lessons = 'raw' WHERE id = %s", [draft.pk])
    assert Review.objects.get().lessons == "raw"


def test_addenda_are_numbered_logged_and_immutable(draft, commander, responder, executive):
    with pytest.raises(
        Conflict, match=r"The review is still a draft: edit it instead of adding an"
    ):
        review_services.add_addendum(review=draft, by=responder, body="Too early")
    review = published_review(draft, commander)
    first = review_services.add_addendum(
        review=review, by=responder, body="The vendor confirmed it."
    )
    second = review_services.add_addendum(
        review=review, by=commander, body="A second model was affected."
    )
    assert [(a.number, a.author.username) for a in review.addenda.all()] == [
        (1, "remy"),
        (2, "cara"),
    ]
    with pytest.raises(DomainError, match=r"body is required\.") as exc:
        review_services.add_addendum(review=review, by=responder, body="  ")
    assert exc.value.field == "body"
    with pytest.raises(NotPermitted, match=r"Only responders and commanders add addenda\."):
        review_services.add_addendum(review=review, by=executive, body="Exec thoughts")
    entry = DecisionLogEntry.objects.filter(incident=review.incident).order_by("-sequence").first()
    assert (entry.summary, entry.data["number"], entry.actor) == (
        "Addendum 2 to the post-incident review",
        2,
        commander,
    )
    first.body = "Rewritten"
    with pytest.raises(ReviewImmutable):
        first.save()
    with pytest.raises(ReviewImmutable):
        second.delete()
    with pytest.raises(ReviewImmutable):
        ReviewAddendum.objects.filter(pk=first.pk).update(body="x")


def test_the_regulator_disclosure_needs_the_liaisons_sign_off(draft, commander, commander2, clock):
    review_services.edit_review(
        review=draft, by=commander, **complete({"regulator_disclosure": "No data was exposed."})
    )
    with pytest.raises(
        Conflict, match=r"The regulator disclosure needs sign-off by the regulator"
    ) as exc:
        review_services.publish_review(review=draft, by=commander)
    assert exc.value.field == "regulator_disclosure"
    with pytest.raises(
        NotPermitted, match=r"Only the incident's regulator / partner liaison may sign"
    ):
        review_services.sign_off_regulator(
            review=draft, by=commander2
        )  # commander-eligible, but not the liaison
    review_services.sign_off_regulator(
        review=draft, by=commander
    )  # cara holds the regulator liaison role
    # Changing the text voids the sign-off.
    review_services.edit_review(
        review=draft, by=commander, regulator_disclosure="No personal data was exposed."
    )
    draft.refresh_from_db()
    assert draft.regulator_signed_off_at is None
    review_services.sign_off_regulator(review=draft, by=commander)
    review = review_services.publish_review(review=draft, by=commander)
    assert review.regulator_signed_off_by == commander
    assert review_rights.is_regulator_visible(review)
    assert [
        e.kind for e in DecisionLogEntry.objects.filter(incident=review.incident, kind="sign_off")
    ] == ["sign_off", "sign_off"]


def test_renditions_per_audience(draft, commander, responder, executive, regulator, clock):
    review_services.edit_review(
        review=draft,
        by=commander,
        **complete(
            {"regulator_disclosure": "No data was exposed.", "went_badly": "Paging took 20 min."}
        ),
    )
    create_action_item(
        incident=draft.incident,
        review=draft,
        by=commander,
        title="Shadow v43",
        owner=responder,
        due_at=clock.now + timedelta(days=7),
        expected_outcome="One day in shadow",
        category="governance",
    )
    assert review_rights.audiences_for(regulator, draft) == []
    assert review_rights.audiences_for(executive, draft) == []
    assert review_rights.audiences_for(responder, draft) == ["technical", "executive", "regulator"]
    review_services.sign_off_regulator(review=draft, by=commander)
    review = review_services.publish_review(review=draft, by=commander)
    assert review_rights.audiences_for(executive, review) == ["technical", "executive"]
    assert review_rights.audiences_for(regulator, review) == ["regulator"]

    technical = review_renditions.rendition_of(review, "technical")
    executive_r = review_renditions.rendition_of(review, "executive")
    regulator_r = review_renditions.rendition_of(review, "regulator")
    assert [s["key"] for s in technical["sections"]] == [
        "executive_summary",
        "root_cause_detail",
        "failed_gates",
        "containment_effectiveness",
        "counterfactuals",
        "went_well",
        "went_badly",
        "lessons",
    ]
    assert [s["key"] for s in executive_r["sections"]] == ["executive_summary", "lessons"]
    assert [s["key"] for s in regulator_r["sections"]] == ["regulator_disclosure"]
    assert (
        technical["generated"]["decisions"]
        and executive_r["generated"] is None is regulator_r["generated"]
    )
    assert [(i["title"], i["owner"]) for i in executive_r["action_items"]] == [
        ("Shadow v43", "remy")
    ]
    assert [(i["title"], i["owner"]) for i in regulator_r["action_items"]] == [("Shadow v43", None)]

    md = to_markdown(technical)
    assert md.startswith("# Post-incident review (technical): INC-")
    assert "## Decisions" in md and "Roll back to v41. Rationale: FP doubled after v42" in md
    assert "- Technical: 1 met, 0 missed" in md and "- Executive / business: 0 met, 1 missed" in md
    assert "| Shadow v43 | Governance change | remy |" in md
    reg_md = to_markdown(regulator_r)
    assert "No data was exposed." in reg_md and "remy" not in reg_md and "Roll back" not in reg_md
    assert (
        "Taxonomy: OECD AI Incidents Monitor (AIM): harm types and severity, version 2024-05"
        in reg_md
    )


def test_the_executive_rendition_warns_of_jargon(draft, commander):
    create_term(
        by=commander,
        name="False positive rate",
        variants=["FP rate"],
        technical_definition="FP / (FP + TN)",
        plain_definition="how often good payments are flagged",
    )
    review = published_review(
        draft, commander, executive_summary="The FP rate doubled for an hour."
    )
    rendition = review_renditions.rendition_of(review, "executive")
    assert [(j["field"], j["matched"]) for j in rendition["jargon"]] == [
        ("executive_summary", "FP rate")
    ]
    entry = (
        DecisionLogEntry.objects.filter(incident=review.incident, kind="review")
        .order_by("-sequence")
        .first()
    )
    assert entry.data["executive_jargon"] == ["FP rate"]
    assert "> Note: this summary uses technical terms: FP rate." in to_markdown(rendition)


def test_the_demo_review_is_published_with_one_overdue_item_and_is_idempotent(
    resolved, commander, responder, clock
):
    from glossary.starter import STARTER_TERMS
    from learning import actions
    from learning.demo_review import seed_review

    for spec in STARTER_TERMS:  # the demo's glossary, so the jargon check has something to find
        create_term(
            by=None,
            name=spec["name"],
            technical_definition=spec["technical_definition"],
            plain_definition=spec["plain_definition"],
            variants=list(spec.get("variants", [])),
            is_technical=spec.get("is_technical", True),
        )
    review = seed_review(incident=resolved, commander=commander, owners=[responder, commander])
    assert (review.status, review.taxonomy_version, resolved.action_items.count()) == (
        "published",
        "2024-05",
        3,
    )
    overdue = list(actions.overdue_items(clock.now).values_list("title", "owner__username"))
    assert overdue == [("Alert on recommendation p95 latency above 300 ms", "remy")]
    assert seed_review(incident=resolved, commander=commander, owners=[responder]) == review
    assert resolved.action_items.count() == 3
    assert actions.run_due(now=clock.now) == 1  # the overdue one is reminded by the next tick
    assert review.incident.phase == "reviewed"
    assert (
        review_renditions.rendition_of(review, "executive")["jargon"] == []
    )  # the demo's executive text is plain
    assert {m.slug for m in find_jargon("Cache latency rose; try a canary.")} >= {
        "latency",
        "canary",
    }


def test_the_database_refuses_replace_over_published_reviews_and_addenda(
    draft, commander, responder
):
    """SQLite's INSERT OR REPLACE deletes the old row without DELETE triggers: a guard refuses it (#10).

    (PostgreSQL's form, ON CONFLICT DO UPDATE, meets the UPDATE trigger.)
    """
    review = published_review(draft, commander)
    addendum = review_services.add_addendum(
        review=review, by=responder, body="The vendor confirmed the feature change."
    )
    attempts = [
        ("learning_review", review.pk, {"lessons": "x"}, None),
        ("learning_review", review.pk, {"lessons": "x"}, ("incident_id",)),
        ("learning_reviewaddendum", addendum.pk, {"body": "x"}, None),
        ("learning_reviewaddendum", addendum.pk, {"body": "x"}, ("review_id", "number")),
    ]
    for table, pk, changes, conflict in attempts:
        with pytest.raises(DatabaseError, match="published reviews are immutable"):
            replace_row(
                table,
                pk,
                changes,
                new_id=pk + 1000 if conflict else None,
                conflict=conflict or ("id",),
            )
    assert Review.objects.get().lessons == complete()["lessons"]
    assert ReviewAddendum.objects.get().body == "The vendor confirmed the feature change."
