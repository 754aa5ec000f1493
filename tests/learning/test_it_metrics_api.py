"""GET /api/v1/metrics/communication/: who may read it, exact figures, filters, queries, schema."""

from __future__ import annotations

import pytest

from tests.helpers import PERSONAS, Endpoint, census, error_fields, policy, token_client
from tests.learning.metrics_support import build_april, build_drill, build_march

URL = "/api/v1/metrics/communication/"


READ = policy(200, outsider=403, regulator=403)
ENDPOINTS = [
    Endpoint("metrics-communication", "get", URL, READ),
    Endpoint(
        "metrics-communication-filtered",
        "get",
        URL + "?severity=2&drills=exclude&date_from=2026-01-01",
        READ,
    ),
    # Read-only: other methods answer 405 to everyone signed in (401 to strangers).
    Endpoint("metrics-communication-post", "post", URL, policy(405)),
    Endpoint("metrics-communication-delete", "delete", URL, policy(405)),
]


@pytest.fixture
def world(clock, commander, executive, responder, regulator, admin_user, outsider, fraud_model):
    return {
        "march": build_march(clock, commander, fraud_model),
        "drill": build_drill(clock, commander, fraud_model),
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_permission_matrix(world, client_for, endpoint: Endpoint, persona: str):
    client = client_for(persona)
    before = census()
    response = getattr(client, endpoint.method)(endpoint.path, format="json")
    expected = endpoint.expected[persona]
    assert response.status_code == expected, (persona, endpoint.name, response.content[:300])
    if expected >= 400:
        error_fields(response)
        assert census() == before
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected == 200:
        assert set(response.json()) == {"filters", "real", "drills"}


def test_the_matrix_covers_every_metrics_route():
    """A new route in api/communication_metrics/urls.py must join the matrix above."""
    from api.communication_metrics.urls import urlpatterns

    routes = {"/api/v1/" + str(p.pattern) for p in urlpatterns}
    covered = {e.path.split("?")[0] for e in ENDPOINTS}
    assert routes == covered == {URL}


def by_audience(items: list[dict]) -> dict[str, tuple]:
    return {i["audience"]: tuple(v for k, v in i.items() if k != "audience") for i in items}


def test_the_figures_of_the_reference_timeline(world, executive):
    march, drill = world["march"], world["drill"]
    body = token_client(executive).get(URL).json()

    assert body["filters"] == {
        "date_from": None,
        "date_to": None,
        "severity": None,
        "model": None,
        "drills": "separate",
    }
    [inc] = body["real"]["incidents"]
    assert inc == {
        "id": march.pk,
        "reference": march.reference,
        "title": "Fraud false positives",
        "severity": 2,
        "is_drill": False,
        "clock_factor": 1,
        "detected_at": "2026-03-10T08:40:00Z",
        "declared_at": "2026-03-10T09:00:00Z",
        "month": "2026-03",
        "models": ["fraud-scoring"],
        "decision_times_seconds": [720.0, 2160.0],
        "time_to_first_update_seconds": 1920.0,
        "time_to_containment_seconds": 4200.0,
        "time_to_decision_seconds": 1440.0,
        "decisions_settled": 2,
        "decisions_open": 1,
        "on_schedule": [
            {"audience": "technical", "met": 2, "slots": 3, "percent": 66.67},
            {"audience": "executive", "met": 1, "slots": 2, "percent": 50.0},
            {"audience": "regulator", "met": 0, "slots": 0, "percent": None},
            {"audience": "customer", "met": 0, "slots": 1, "percent": 0.0},
        ],
        "on_schedule_all": {"met": 3, "slots": 6, "percent": 50.0},
        "satisfaction": [
            {"audience": "technical", "clarity": 4.0, "usefulness": 4.0, "ratings": 3},
            {"audience": "executive", "clarity": 3.5, "usefulness": 3.0, "ratings": 2},
            {"audience": "regulator", "clarity": None, "usefulness": None, "ratings": 0},
            {"audience": "customer", "clarity": None, "usefulness": None, "ratings": 0},
        ],
        "satisfaction_all": {"clarity": 3.8, "usefulness": 3.6, "ratings": 5},
        "reminders": 3,
        "escalations": 3,
    }
    overall = body["real"]["overall"]
    assert {k: v for k, v in overall.items() if k not in ("on_schedule", "satisfaction")} == {
        "key": "all",
        "incidents": 1,
        **{
            k: inc[k]
            for k in (
                "time_to_first_update_seconds",
                "time_to_containment_seconds",
                "time_to_decision_seconds",
                "decisions_settled",
                "decisions_open",
                "on_schedule_all",
                "satisfaction_all",
                "reminders",
                "escalations",
            )
        },
    }
    assert [g["key"] for g in body["real"]["by_month"]] == ["2026-03"]
    # The drill stands apart, on its own clock.
    [d] = body["drills"]["incidents"]
    assert (d["id"], d["is_drill"], d["clock_factor"]) == (drill.pk, True, 60)
    assert d["time_to_containment_seconds"] == 18000.0  # 5 wall minutes at 60x
    assert body["drills"]["overall"]["satisfaction_all"] == {
        "clarity": 1.0,
        "usefulness": 1.0,
        "ratings": 1,
    }
    assert drill.pk not in {i["id"] for i in body["real"]["incidents"]}


def test_the_filters_match_the_page(world, executive, clock, commander, fraud_model, credit_model):
    april = build_april(clock, commander, [fraud_model, credit_model])
    api = token_client(executive)

    def ids(**query):
        body = api.get(URL, query).json()
        return tuple(
            None if body[s] is None else [i["id"] for i in body[s]["incidents"]]
            for s in ("real", "drills")
        )

    march, drill = world["march"].pk, world["drill"].pk
    assert ids() == ([march, april.pk], [drill])
    assert ids(date_from="2026-04-01") == ([april.pk], [])
    assert ids(date_from="2026-03-10", date_to="2026-03-10") == ([march], [])
    assert ids(date_from="2026-03-11", date_to="2026-03-10") == (
        [],
        [],
    )  # reversed: nothing, not an error
    assert ids(date_from="0001-01-01", date_to="9999-12-31") == ([march, april.pk], [drill])
    assert ids(severity=3) == ([april.pk], [])
    assert ids(model="credit-limits") == ([april.pk], [])
    assert ids(drills="exclude") == ([march, april.pk], None)
    assert ids(drills="only") == (None, [drill])
    body = api.get(URL, {"model": "fraud-scoring"}).json()
    assert [(g["key"], g["incidents"]) for g in body["real"]["by_model"]] == [
        ("credit-limits", 1),
        ("fraud-scoring", 2),
    ]
    assert [(g["key"], g["time_to_first_update_seconds"]) for g in body["real"]["by_severity"]] == [
        ("2", 1920.0),
        ("3", 600.0),
    ]


@pytest.mark.parametrize(
    "query,field",
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"severity": "5"}, "severity"),
        ({"severity": "SEV1"}, "severity"),
        ({"model": "not a slug"}, "model"),
        ({"model": "x" * 81}, "model"),
        ({"drills": "mixed"}, "drills"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(executive, query, field):
    response = token_client(executive).get(URL, query)
    assert response.status_code == 400
    assert list(error_fields(response)) == [field]


def test_an_unknown_model_is_a_404_naming_it(executive, fraud_model):
    response = token_client(executive).get(URL, {"model": "no-such-model"})
    assert response.status_code == 404
    assert error_fields(response) == {"model": ["No monitored model has the slug 'no-such-model'."]}


def test_queries_do_not_grow_with_incidents(
    world, executive, clock, commander, fraud_model, credit_model, django_assert_num_queries
):
    api = token_client(executive)
    api.get(
        URL
    )  # the token's first use records last_used_at (once a minute; the clock stands still)
    # The token with its user, the groups, then the 7 metric queries; (#10) +1: the token-guessing lockout check of the client address, on every token request; (#13) +1: the regulatory deadlines.
    with django_assert_num_queries(11):
        assert api.get(URL).status_code == 200
    build_april(clock, commander, [fraud_model, credit_model])
    build_drill(clock, commander, credit_model)
    with django_assert_num_queries(11):
        assert len(api.get(URL).json()["real"]["incidents"]) == 2
    with django_assert_num_queries(12):  # the model's existence check
        assert api.get(URL, {"model": "credit-limits"}).status_code == 200


def test_the_schema_describes_the_filters_and_the_response(executive):
    schema = token_client(executive).get("/api/schema/?format=json").json()
    operation = schema["paths"][URL]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert params["date_from"] == {"type": "string", "format": "date"}
    assert params["severity"]["enum"] == [1, 2, 3, 4]
    assert params["drills"]["enum"] == ["separate", "exclude", "only"]
    assert params["model"]["pattern"] == "^[-a-zA-Z0-9_]+$"
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit(
        "/", 1
    )[1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"filters", "real", "drills"}
