"""Communication metrics on hand-built timelines, with exact expected values."""

from datetime import timedelta

import pytest

from incidents.models import Incident
from learning import communication_metrics as metrics
from tests.learning.metrics_support import build_april, build_drill, build_march

M = lambda n: timedelta(minutes=n)  # noqa: E731


@pytest.fixture
def march(clock, commander, fraud_model):
    return build_march(clock, commander, fraud_model)


def test_every_metric_of_the_reference_timeline(march):
    m = metrics.for_incident(march)

    assert m.incident_id == march.pk
    assert (m.is_drill, m.severity, m.clock_factor) == (False, 2, 1)
    assert m.time_to_first_update == M(32)  # detected 08:40 → first update 09:12
    assert m.time_to_containment == M(70)  # detected 08:40 → contained 09:50
    assert m.decision_times == [
        M(12),
        M(36),
    ]  # A 09:05→09:17; B 09:20→09:56 (the 09:58 re-decision ignored)
    assert m.time_to_decision == M(24)  # median of two: their mean
    assert m.open_decisions == 1  # C never settled
    assert m.slots == {"customer": (0, 1), "executive": (1, 2), "technical": (2, 3)}
    assert m.on_schedule("technical") == pytest.approx(2 / 3)
    assert m.on_schedule("regulator") is None
    assert m.satisfaction == {"executive": (3.5, 3.0, 2), "technical": (4.0, 4.0, 3)}
    assert (m.reminders, m.escalations) == (3, 3)
    assert (m.reference, m.month, m.model_slugs) == (march.reference, "2026-03", ("fraud-scoring",))


def test_an_incident_with_nothing_yet_has_no_values(clock, commander):
    from comms import workflows

    incident = workflows.declare_incident(by=commander, title="Quiet", severity=4)
    m = metrics.for_incident(incident)
    assert (m.time_to_first_update, m.time_to_containment, m.time_to_decision) == (None, None, None)
    assert m.decision_times == []
    # The technical deadline is open and not due: no decided slot yet.
    assert (m.slots, m.satisfaction, m.reminders, m.escalations, m.open_decisions) == (
        {},
        {},
        0,
        0,
        0,
    )


def test_drill_durations_are_on_the_drill_clock(clock, commander, fraud_model):
    drill = build_drill(clock, commander, fraud_model, factor=60)
    m = metrics.for_incident(drill)
    assert (m.is_drill, m.clock_factor) == (True, 60)
    assert (
        m.time_to_first_update,
        m.time_to_containment,
        m.decision_times,
        m.time_to_decision,
    ) == (M(60), M(300), [M(60)], M(60))
    assert m.satisfaction == {"executive": (1.0, 1.0, 1)}


def test_aggregates_pool_exactly_and_drills_stay_apart(clock, commander, fraud_model, credit_model):
    march = build_march(clock, commander, fraud_model)
    april = build_april(clock, commander, [fraud_model, credit_model])
    drill = build_drill(clock, commander, fraud_model)
    rep = metrics.report(metrics.Filters())

    real = rep.real.incidents
    assert [m.incident_id for m in real] == [march.pk, april.pk]
    agg = rep.real.aggregates
    assert agg == metrics.aggregate(real)

    overall = agg.overall
    assert overall.incidents == 2
    assert overall.time_to_first_update == M(21)  # median of 32 and 10
    assert overall.time_to_containment == M(50)  # median of 70 and 30
    assert overall.time_to_decision == M(12)  # median of 12, 36 and 6
    assert (overall.decisions, overall.open_decisions) == (3, 1)
    # April: technical met at 10:10; executive reminded at 11:06 (missed).
    assert overall.slots == {"customer": (0, 1), "executive": (1, 3), "technical": (3, 4)}
    assert overall.on_schedule_all == pytest.approx(4 / 8)
    assert overall.satisfaction == {"executive": (3.5, 3.0, 2), "technical": (3.5, 4.0, 4)}
    assert overall.satisfaction_all == (
        21 / 6,
        22 / 6,
        6,
    )  # clarity 4+3+5+2+5+2, usefulness 5+2+5+4+4+2
    assert (overall.reminders, overall.escalations) == (4, 3)

    assert [(g.key, g.incidents, g.time_to_first_update) for g in agg.by_severity] == [
        ("2", 1, M(32)),
        ("3", 1, M(10)),
    ]
    assert [(g.key, g.incidents) for g in agg.by_model] == [
        ("credit-limits", 1),
        ("fraud-scoring", 2),
    ]
    assert agg.by_model[0].time_to_containment == M(30)
    assert [(g.key, g.incidents, g.time_to_decision) for g in agg.by_month] == [
        ("2026-03", 1, M(24)),
        ("2026-04", 1, M(6)),
    ]

    drills = rep.drills.incidents
    assert [m.incident_id for m in drills] == [drill.pk]
    drill_agg = rep.drills.aggregates
    assert (drill_agg.overall.incidents, drill_agg.overall.time_to_first_update) == (1, M(60))
    assert [g.key for g in drill_agg.by_month] == ["2026-03"]
    # The drill's low rating and fast wall times are nowhere in the real figures.
    assert drill.pk not in {m.incident_id for m in real}

    with pytest.raises(ValueError):
        metrics.aggregate(real + drills)


def test_filters_select_by_date_severity_model_and_drills(
    clock, commander, fraud_model, credit_model
):
    from datetime import date

    march = build_march(clock, commander, fraud_model)
    april = build_april(clock, commander, [fraud_model, credit_model])
    drill = build_drill(clock, commander, fraud_model)

    def ids(f):
        rep = metrics.report(f)
        return (
            [m.incident_id for m in rep.real.incidents] if rep.real else None,
            [m.incident_id for m in rep.drills.incidents] if rep.drills else None,
        )

    assert ids(metrics.Filters(date_from=date(2026, 4, 1))) == ([april.pk], [])
    assert ids(metrics.Filters(date_to=date(2026, 3, 10))) == ([march.pk], [])
    assert ids(metrics.Filters(date_from=date(2026, 3, 10), date_to=date(2026, 3, 10))) == (
        [march.pk],
        [],
    )
    assert ids(metrics.Filters(date_from=date(2026, 3, 11), date_to=date(2026, 3, 31))) == (
        [],
        [drill.pk],
    )
    assert ids(metrics.Filters(severity=3)) == ([april.pk], [])
    assert ids(metrics.Filters(model="credit-limits")) == ([april.pk], [])
    assert ids(metrics.Filters(model="fraud-scoring")) == ([march.pk, april.pk], [drill.pk])
    assert ids(metrics.Filters()) == ([march.pk, april.pk], [drill.pk])
    assert ids(metrics.Filters(drills="exclude")) == ([march.pk, april.pk], None)
    assert ids(metrics.Filters(drills="only")) == (None, [drill.pk])


def test_for_incidents_runs_a_constant_number_of_queries(
    clock, commander, fraud_model, credit_model, django_assert_num_queries
):
    build_march(clock, commander, fraud_model)
    build_april(clock, commander, [fraud_model, credit_model])
    build_drill(clock, commander, fraud_model)
    with django_assert_num_queries(7):
        assert len(metrics.for_incidents(Incident.objects.all())) == 3
    with django_assert_num_queries(7):
        assert len(metrics.for_incidents(Incident.objects.filter(is_drill=True))) == 1
    with django_assert_num_queries(8):  # (#13) + the regulatory deadlines, per regime
        metrics.report(metrics.Filters(model="fraud-scoring"))
    with django_assert_num_queries(1):  # nothing matches: the incidents query only
        metrics.report(metrics.Filters(severity=1))


def test_a_drill_changes_nothing_in_the_real_figures(clock, commander, fraud_model, credit_model):
    build_march(clock, commander, fraud_model)
    build_april(clock, commander, [fraud_model, credit_model])
    before = metrics.report(metrics.Filters())
    build_drill(clock, commander, fraud_model)  # same model, same month as March, a 1/1 rating
    after = metrics.report(metrics.Filters())
    assert after.real == before.real
    assert (len(before.drills.incidents), len(after.drills.incidents)) == (0, 1)
    assert after.drills.aggregates.overall.satisfaction == {"executive": (1.0, 1.0, 1)}
