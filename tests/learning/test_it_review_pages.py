"""Review and action-item pages: who sees what, the no-JS forms, exports, constant queries."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from learning.actions import create_action_item
from learning.models import ActionItem, Review
from learning.reviews import services as review_services
from tests.builders import declare_resolved
from tests.learning.review_support import complete


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_post(review_fields: dict) -> dict:
    data = {k: v for k, v in review_fields.items() if k not in ("classification", "root_causes")}
    data["root_causes"] = review_fields.get("root_causes", [])
    for key, value in review_fields.get("classification", {}).items():
        data[f"cls__{review_fields['taxonomy']}__{key}"] = value
    return data


def test_a_commander_starts_edits_and_publishes_without_javascript(resolved, commander, clock):
    c = as_user(commander)
    page = c.get(f"/reviews/{resolved.pk}/")
    assert page.status_code == 200 and b"Start the review" in page.content
    assert c.post(f"/reviews/{resolved.pk}/start/")["Location"] == f"/reviews/{resolved.pk}/"
    page = c.get(f"/reviews/{resolved.pk}/")
    assert b"Roll back to v41" in page.content and b"Edit the draft" in page.content

    bad = c.post(
        f"/reviews/{resolved.pk}/edit/",
        form_post(complete({"classification": {"severity": "AI incident"}}))
        | {"cls__oecd-aim__severity": "catastrophic"},
    )
    assert bad.status_code == 400
    assert b"Select a valid choice" in bad.content

    saved = c.post(f"/reviews/{resolved.pk}/edit/", form_post(complete()))
    assert saved.status_code == 302, saved.content[:2000]
    review = Review.objects.get()
    assert (review.root_causes, review.classification) == (
        ["model_versioning", "process"],
        {"severity": "AI incident", "harm_type": ["economic/property"]},
    )

    item = c.post(
        f"/reviews/{resolved.pk}/action-items/",
        {
            "title": "Shadow v43",
            "owner": commander.pk,
            "due_at": (clock.now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "expected_outcome": "A day in shadow",
            "category": "governance",
        },
    )
    assert item.status_code == 302
    assert ActionItem.objects.get().review == review

    assert c.post(f"/reviews/{resolved.pk}/publish/").status_code == 302
    review.refresh_from_db()
    assert review.status == "published"
    page = c.get(f"/reviews/{resolved.pk}/")
    assert b"Edit the draft" not in page.content and b"Add an addendum" in page.content
    assert (
        c.post(f"/reviews/{resolved.pk}/addenda/", {"body": "Vendor confirmed"}).status_code == 302
    )
    assert review.addenda.get().body == "Vendor confirmed"


def test_refusals_come_back_on_the_page(resolved, commander, responder):
    review = review_services.start_review(incident=resolved, by=commander)
    c = as_user(commander)
    refused = c.post(f"/reviews/{resolved.pk}/publish/")
    assert refused.status_code == 409  # the draft is not ready
    assert b"Executive summary is required to publish." in refused.content
    assert as_user(responder).post(f"/reviews/{resolved.pk}/publish/").status_code == 403
    review.refresh_from_db()
    assert review.status == "draft"


def test_who_sees_which_page(resolved, commander, executive, regulator, outsider):
    review = review_services.start_review(incident=resolved, by=commander)
    review_services.edit_review(
        review=review, by=commander, **complete({"regulator_disclosure": "No data exposed."})
    )
    url = f"/reviews/{resolved.pk}/"
    assert as_user(executive).get(url).status_code == 404
    assert as_user(regulator).get(url).status_code == 404
    assert as_user(outsider).get(url).status_code == 403
    assert as_user(executive).post(url + "edit/", form_post(complete())).status_code == 403
    review_services.sign_off_regulator(review=review, by=commander)
    review_services.publish_review(review=review, by=commander)

    exec_page = as_user(executive).get(url + "?audience=executive")
    assert exec_page.status_code == 200 and b"Executive summary" in exec_page.content
    assert (
        b"Add an addendum" not in exec_page.content
        and b"Add an action item" not in exec_page.content
    )
    assert as_user(executive).get(url + "?audience=regulator").status_code == 403
    reg = as_user(regulator).get(url)
    assert (
        reg.status_code == 200
        and b"No data exposed." in reg.content
        and b"Roll back" not in reg.content
    )
    assert as_user(regulator).get(url + "?audience=technical").status_code == 403
    assert as_user(regulator).get("/reviews/action-items/").status_code == 403
    listing = as_user(regulator).get("/reviews/")
    assert f"/reviews/{resolved.pk}/".encode() in listing.content
    assert b"/reviews/action-items/" not in listing.content
    assert b"/reviews/action-items/" in as_user(executive).get("/reviews/").content


def test_markdown_download_and_printable_page(resolved, commander):
    review = review_services.start_review(incident=resolved, by=commander)
    review_services.edit_review(review=review, by=commander, **complete())
    c = as_user(commander)
    md = c.get(f"/reviews/{resolved.pk}/markdown/?audience=technical")
    assert md["Content-Type"] == "text/markdown; charset=utf-8"
    assert (
        md["Content-Disposition"] == f'attachment; filename="inc-{resolved.pk}-review-technical.md"'
    )
    assert md.content.decode().startswith(f"# Post-incident review (technical): INC-{resolved.pk} ")
    printable = c.get(f"/reviews/{resolved.pk}/print/?audience=executive")
    assert printable.status_code == 200
    assert b"css/reviews.css" in printable.content and b"Draft: not published" in printable.content
    assert b"<script>" not in printable.content  # no inline script under the CSP


def test_action_items_page_lists_mine_and_overdue_and_updates_status(
    incident, commander, responder, executive, clock
):
    mine = create_action_item(
        incident=incident,
        by=commander,
        title="Alert on FP",
        owner=responder,
        due_at=clock.now + timedelta(hours=1),
        expected_outcome="Paged",
        category="monitoring",
    )
    create_action_item(
        incident=incident,
        by=commander,
        title="Runbook",
        owner=commander,
        due_at=clock.now + timedelta(days=3),
        expected_outcome="Written",
        category="governance",
    )
    clock.advance(hours=2)
    r = as_user(responder)
    page = r.get("/reviews/action-items/")
    assert b"Alert on FP" in page.content and b"Runbook" not in page.content
    overdue = as_user(commander).get("/reviews/action-items/?show=overdue")
    assert b"Alert on FP" in overdue.content and b"Runbook" not in overdue.content
    done = r.post(
        f"/reviews/action-items/{mine.pk}/status/?show=overdue",
        {f"i{mine.pk}-status": "done", f"i{mine.pk}-note": "Live"},
    )
    assert done["Location"] == "/reviews/action-items/?show=overdue"
    mine.refresh_from_db()
    assert mine.status == "done"
    bad = r.post(f"/reviews/action-items/{mine.pk}/status/", {f"i{mine.pk}-status": "finished"})
    assert bad.status_code == 400
    assert (
        as_user(executive)
        .post(f"/reviews/action-items/{mine.pk}/status/", {f"i{mine.pk}-status": "open"})
        .status_code
        == 403
    )
    exec_page = as_user(executive).get("/reviews/action-items/?show=open")
    assert exec_page.status_code == 200 and b"Change status" not in exec_page.content


def test_list_pages_run_a_constant_number_of_queries(
    commander, responder, fraud_model, django_assert_num_queries
):
    c = as_user(commander)

    def add(n):
        for i in range(n):
            incident = declare_resolved(commander, fraud_model, f"Incident {i}")
            review_services.start_review(incident=incident, by=commander)
            declare_resolved(commander, fraud_model, f"Unreviewed {i}")
            create_action_item(
                incident=incident,
                by=commander,
                title=f"Item {i}",
                owner=commander,
                due_at=timezone.now() + timedelta(days=1),
                expected_outcome="x",
                category="governance",
            )

    add(1)
    for n in (1, 4):
        with django_assert_num_queries(QUERIES_LIST):
            page = c.get("/reviews/")
        assert page.content.count(b"Start review") == n
        with django_assert_num_queries(QUERIES_ITEMS):
            page = c.get("/reviews/action-items/?show=open")
        assert page.content.count(b"<tr") == n + 1
        add(3)


# Session, user, groups, inbox count (base page) + reviews + unreviewed incidents.
QUERIES_LIST = 6
# Session, user, groups, inbox count + the items with their incident and owner.
QUERIES_ITEMS = 5


def test_the_regulator_liaison_signs_off_on_the_page(resolved, commander, commander2):
    review = review_services.start_review(incident=resolved, by=commander)
    review_services.edit_review(
        review=review, by=commander, regulator_disclosure="No data exposed."
    )
    url = f"/reviews/{resolved.pk}/"
    assert b"Sign off the regulator disclosure" not in as_user(commander2).get(url).content
    assert as_user(commander2).post(url + "sign-off/").status_code == 403
    page = as_user(commander).get(url)
    assert (
        b"awaiting the regulator liaison" in page.content
        and b"Sign off the regulator disclosure" in page.content
    )
    assert as_user(commander).post(url + "sign-off/")["Location"] == url + "#publish"
    review.refresh_from_db()
    assert review.regulator_signed_off_by == commander
    assert b"signed off by Cara Commander (cara)" in as_user(commander).get(url).content


def test_a_service_refusal_lands_beside_the_field_it_names(resolved, commander):
    from kit.errors import DomainError
    from kit.pages import add_domain_error
    from learning.pages.review_forms import ReviewForm

    form = ReviewForm(form_post(complete()))
    assert form.is_valid(), form.errors
    add_domain_error(form, DomainError("Pick a harm type.", field="classification.harm_type"))
    add_domain_error(form, DomainError("Lessons are needed.", field="lessons"))
    add_domain_error(form, DomainError("Something else.", field=None))
    assert form.errors == {
        "cls__oecd-aim__harm_type": ["Pick a harm type."],
        "lessons": ["Lessons are needed."],
        "__all__": ["Something else."],
    }
