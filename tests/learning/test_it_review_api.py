"""The reviews and action-items API: flows, bad input, audiences, query counts, and every route × persona."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import URLPattern
from django.utils import timezone

from comms.models import Delivery
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Milestone
from learning.actions import create_action_item
from learning.models import ActionItem, Review, ReviewAddendum
from learning.reviews import services as review_services
from tests.builders import declare_resolved
from tests.helpers import PERSONAS, Endpoint, error_fields, policy, token_client
from tests.learning.review_support import complete


def census() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (Review, ReviewAddendum, ActionItem, DecisionLogEntry, Delivery, Milestone)
    }


# --- Flows --------------------------------------------------------------------------------------


def test_a_commander_runs_a_review_through_the_api(resolved, commander, responder, clock):
    api, url = token_client(commander), f"/api/v1/incidents/{resolved.pk}/review/"
    started = api.post(url, format="json")
    assert started.status_code == 201, started.content
    body = started.json()
    assert (body["audience"], body["status"], started["Location"]) == ("technical", "draft", url)
    assert [d["decision"] for d in body["generated"]["decisions"]] == ["Roll back to v41"]
    assert [(c["audience"], c["met"], c["missed"]) for c in body["generated"]["cadence"]] == [
        ("technical", 1, 0),
        ("executive", 0, 1),
        ("customer", 0, 1),
    ]

    bad = api.patch(
        url, {"taxonomy": "oecd-aim", "classification": {"severity": "meh"}}, format="json"
    )
    assert bad.status_code == 400
    assert error_fields(bad) == {
        "classification.severity": ["Severity: 'meh' is not one of the taxonomy's values."]
    }
    bad = api.patch(url, {"root_causes": ["gremlins"]}, format="json")
    assert list(error_fields(bad)) == ["root_causes[0]"]

    edited = api.patch(url, complete(), format="json")
    assert edited.status_code == 200
    assert [c["value"] for c in edited.json()["root_causes"]] == ["model_versioning", "process"]
    item = api.post(
        "/api/v1/action-items/",
        {
            "incident": resolved.pk,
            "title": "Shadow every fraud model",
            "owner": "remy",
            "due_at": (clock.now + timedelta(days=14)).isoformat(),
            "expected_outcome": "A day in shadow first",
            "category": "governance",
        },
        format="json",
    )
    assert item.status_code == 201, item.content
    assert (item.json()["review"], item.json()["owner"], item.json()["overdue"]) == (
        Review.objects.get().pk,
        "remy",
        False,
    )

    published = api.post(url + "publish/", format="json")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"
    assert api.patch(url, {"lessons": "Rewritten"}, format="json").status_code == 409
    resolved.refresh_from_db()
    assert resolved.phase == "reviewed"

    added = token_client(responder).post(
        url + "addenda/", {"body": "Vendor confirmed."}, format="json"
    )
    assert (added.status_code, added.json()["number"], added.json()["author"]) == (201, 1, "remy")
    md = api.get(url + "markdown/?audience=executive").json()
    assert md["filename"] == f"inc-{resolved.pk}-review-executive.md"
    assert md["markdown"].startswith(
        f"# Post-incident review: executive summary: INC-{resolved.pk} "
    )
    assert "| Shadow every fraud model | Governance change | remy |" in md["markdown"]


def test_audiences_executives_and_regulators(resolved, commander, executive, regulator):
    url = f"/api/v1/incidents/{resolved.pk}/review/"
    review = review_services.start_review(incident=resolved, by=commander)
    review_services.edit_review(
        review=review, by=commander, **complete({"regulator_disclosure": "No data exposed."})
    )
    exec_api, reg_api = token_client(executive), token_client(regulator)
    assert exec_api.get(url).status_code == 404  # drafts are not shown to executives
    assert reg_api.get(url).status_code == 404
    review_services.sign_off_regulator(review=review, by=commander)
    review_services.publish_review(review=review, by=commander)

    as_exec = exec_api.get(url + "?audience=executive").json()
    assert ([s["key"] for s in as_exec["sections"]], as_exec["available_audiences"]) == (
        ["executive_summary", "lessons"],
        ["technical", "executive"],
    )
    assert as_exec["generated"] is None
    assert exec_api.get(url + "?audience=regulator").status_code == 403
    as_reg = reg_api.get(url)
    assert (as_reg.status_code, as_reg.json()["audience"]) == (200, "regulator")
    assert [s["text"] for s in as_reg.json()["sections"]] == ["No data exposed."]
    assert reg_api.get(url + "?audience=technical").status_code == 403
    assert reg_api.get(url + "?audience=everyone").status_code == 400
    assert [r["incident"] for r in reg_api.get("/api/v1/reviews/").json()["results"]] == [
        resolved.pk
    ]


def test_action_item_filters_and_updates(
    incident, commander, commander2, responder, executive, clock
):
    def make(title, owner, days, **kw):
        return create_action_item(
            incident=incident,
            by=commander,
            title=title,
            owner=owner,
            due_at=clock.now + timedelta(days=days),
            expected_outcome="Done",
            category=kw.get("category", "monitoring"),
        )

    late = make("Late alert", responder, 1)
    make("Runbook", commander, 3, category="governance")
    done = make("Done thing", responder, 2)
    clock.advance(days=2, hours=1)
    api = token_client(responder)
    assert (
        api.patch(f"/api/v1/action-items/{done.pk}/", {"status": "done"}, format="json").status_code
        == 200
    )

    def titles(query):
        response = api.get("/api/v1/action-items/" + query)
        assert response.status_code == 200, response.content
        return [r["title"] for r in response.json()["results"]]

    assert titles("") == ["Late alert", "Done thing", "Runbook"]
    assert titles("?overdue=true") == ["Late alert"]
    assert titles("?overdue=false") == ["Done thing", "Runbook"]
    assert titles("?owner=me") == ["Late alert", "Done thing"]
    assert titles("?owner=cara&category=governance") == ["Runbook"]
    assert titles("?status=done") == ["Done thing"]
    assert list(error_fields(api.get("/api/v1/action-items/?status=finished"))) == ["status"]
    assert api.get(f"/api/v1/action-items/{late.pk}/").json()["overdue"] is True

    refused = api.patch(f"/api/v1/action-items/{late.pk}/", {"owner": "conor"}, format="json")
    assert refused.status_code == 403  # reassigning needs a commander
    moved = token_client(commander).patch(
        f"/api/v1/action-items/{late.pk}/",
        {"owner": "conor", "due_at": (clock.now + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert (moved.status_code, moved.json()["owner"], moved.json()["reminded_at"]) == (
        200,
        "conor",
        None,
    )
    assert (
        token_client(executive)
        .patch(f"/api/v1/action-items/{late.pk}/", {"status": "done"}, format="json")
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"incident": 999999}, "incident"),
        ({"owner": "nobody"}, "owner"),
        ({"due_at": "2020-01-01T00:00:00Z"}, "due_at"),
        ({"due_at": "2030-01-01T00:00:00"}, "due_at"),
        ({"category": "vibes"}, "category"),
        ({"title": ""}, "title"),
        ({"owner": "reggie"}, "owner"),
    ],
)
def test_bad_action_items_name_the_field_and_write_nothing(
    incident, commander, regulator, body, field
):
    good = {
        "incident": incident.pk,
        "title": "Alert",
        "owner": "cara",
        "due_at": "2099-01-01T00:00:00Z",
        "expected_outcome": "Paged",
        "category": "monitoring",
    }
    before = census()
    response = token_client(commander).post("/api/v1/action-items/", good | body, format="json")
    assert response.status_code == 400
    assert list(error_fields(response)) == [field]
    assert census() == before


# --- Query counts -------------------------------------------------------------------------------


# Token (1) + the caller's groups (1) + count + one page; reviews and items join what they show.
# (#10) +1: the token-guessing lockout check of the client address, on every token request.
QUERIES_REVIEWS = 5
QUERIES_ITEMS = 5


def test_list_endpoints_run_a_constant_number_of_queries(
    commander, responder, fraud_model, django_assert_num_queries
):
    api = token_client(commander)

    def add(n):
        for i in range(n):
            incident = declare_resolved(commander, fraud_model, f"Incident {i}")
            review_services.start_review(incident=incident, by=commander)
            create_action_item(
                incident=incident,
                by=commander,
                title=f"Item {i}",
                owner=responder,
                due_at=timezone.now() + timedelta(days=1),
                expected_outcome="x",
                category="governance",
            )

    add(1)
    api.get("/api/v1/taxonomies/")  # the token's first use records last_used_at
    for n in (1, 4):
        for path, queries in (
            ("/api/v1/reviews/", QUERIES_REVIEWS),
            ("/api/v1/action-items/?overdue=false", QUERIES_ITEMS),
        ):
            with django_assert_num_queries(queries):
                response = api.get(path)
            assert (response.status_code, response.json()["count"]) == (200, n)
        add(3)


# --- Every route × every persona ----------------------------------------------------------------

OUT = {"outsider": 403, "regulator": 403}


READ = policy(200, **OUT)
RESPOND = lambda ok: policy(ok, **OUT, executive=403)  # noqa: E731
LEAD = lambda ok: policy(ok, **OUT, executive=403, responder=403)  # noqa: E731
# Only the incident's regulator liaison (the commander here) signs off.
LIAISON = policy(200, **OUT, executive=403, responder=403, admin_user=403)
IMMUTABLE = policy(405)


REV = "/api/v1/incidents/{%s}/review/"
ENDPOINTS = [
    Endpoint("review-list", "get", "/api/v1/reviews/", policy(200, outsider=403)),
    Endpoint("taxonomy-list", "get", "/api/v1/taxonomies/", policy(200)),
    # A published review with a signed-off disclosure: regulator viewers read its regulator rendition.
    Endpoint("review-published", "get", REV % "published", policy(200, outsider=403)),
    Endpoint("review-published-technical", "get", REV % "published" + "?audience=technical", READ),
    Endpoint(
        "review-draft",
        "get",
        REV % "draft",
        policy(200, outsider=403, executive=404, regulator=404),
    ),
    Endpoint("review-start", "post", REV % "unreviewed", LEAD(201)),
    Endpoint("review-edit", "patch", REV % "draft", RESPOND(200), {"lessons": "Shadow first"}),
    Endpoint("review-put", "put", REV % "draft", IMMUTABLE, {"lessons": "x"}),
    Endpoint("review-delete", "delete", REV % "published", IMMUTABLE),
    Endpoint("review-regenerate", "post", REV % "draft" + "regenerate/", RESPOND(200)),
    Endpoint("review-sign-off", "post", REV % "disclosing" + "sign-off/", LIAISON),
    Endpoint("review-publish", "post", REV % "draft" + "publish/", LEAD(200)),
    Endpoint(
        "review-addenda",
        "post",
        REV % "published" + "addenda/",
        RESPOND(201),
        {"body": "Later finding"},
    ),
    Endpoint("review-markdown", "get", REV % "published" + "markdown/", policy(200, outsider=403)),
    Endpoint("action-item-list", "get", "/api/v1/action-items/", READ),
    Endpoint(
        "action-item-create",
        "post",
        "/api/v1/action-items/",
        RESPOND(201),
        {
            "incident": "{published}",
            "title": "Alert",
            "owner": "remy",
            "due_at": "2099-01-01T00:00:00Z",
            "expected_outcome": "Paged",
            "category": "monitoring",
        },
    ),
    Endpoint("action-item-detail", "get", "/api/v1/action-items/{item}/", READ),
    Endpoint(
        "action-item-update",
        "patch",
        "/api/v1/action-items/{item}/",
        RESPOND(200),
        {"status": "done"},
    ),
    Endpoint("action-item-delete", "delete", "/api/v1/action-items/{item}/", IMMUTABLE),
]


@pytest.fixture
def world(
    commander, commander2, responder, executive, regulator, admin_user, outsider, fraud_model
):
    published = declare_resolved(commander, fraud_model, "Published", liaison=commander)
    review = review_services.start_review(incident=published, by=commander)
    review_services.edit_review(
        review=review, by=commander, **complete({"regulator_disclosure": "No data exposed."})
    )
    review_services.sign_off_regulator(review=review, by=commander)
    review_services.publish_review(review=review, by=commander)
    draft = declare_resolved(commander, fraud_model, "Draft")
    review_services.edit_review(
        review=review_services.start_review(incident=draft, by=commander),
        by=commander,
        **complete(),
    )
    disclosing = declare_resolved(commander, fraud_model, "Disclosing", liaison=commander)
    review_services.edit_review(
        review=review_services.start_review(incident=disclosing, by=commander),
        by=commander,
        regulator_disclosure="We are assessing.",
    )
    unreviewed = declare_resolved(commander, fraud_model, "Unreviewed")
    item = create_action_item(
        incident=published,
        by=commander,
        title="Alert",
        owner=responder,
        due_at=timezone.now() + timedelta(days=3),
        expected_outcome="Paged",
        category="monitoring",
    )
    return {
        "published": published.pk,
        "draft": draft.pk,
        "disclosing": disclosing.pk,
        "unreviewed": unreviewed.pk,
        "item": item.pk,
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_permission_matrix(world, client_for, endpoint: Endpoint, persona: str):
    client = client_for(persona)
    body = {
        k: (int(v.format(**world)) if isinstance(v, str) and v.startswith("{") else v)
        for k, v in (endpoint.body or {}).items()
    }
    before = census()
    response = getattr(client, endpoint.method)(
        endpoint.path.format(**world), body or None, format="json"
    )
    expected = endpoint.expected[persona]
    assert response.status_code == expected, (persona, endpoint.name, response.content[:300])
    if expected >= 400:
        error_fields(response)
        assert census() == before, "a refused request wrote something"


def test_the_matrix_covers_every_route():
    """A new route in api/reviews/urls.py or api/action_items/urls.py must join the matrix (or this test names it)."""
    from api.action_items import urls as action_item_urls
    from api.reviews import urls as review_urls

    routes = {
        "/api/v1/" + str(p.pattern)
        for p in [*review_urls.urlpatterns, *action_item_urls.urlpatterns]
        if isinstance(p, URLPattern)
    }
    covered = set()
    for e in ENDPOINTS:
        path = e.path.split("?")[0]
        for name in ("published", "draft", "disclosing", "unreviewed"):
            path = path.replace("{%s}" % name, "<int:incident_id>")
        covered.add(path.replace("{item}", "<int:item_id>"))
    assert covered == routes
