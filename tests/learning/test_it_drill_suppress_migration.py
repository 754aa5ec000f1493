"""learning 0004: drills that suppressed externals before the field existed get it on their incident."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps

from incidents.models import Incident
from learning.drills import runs

migration = import_module("learning.migrations.0004_incident_suppress_external_from_drills")


def test_the_data_migration_sets_the_field_for_the_drills_that_suppressed_externals(
    clock, commander, fraud_model
):
    quiet = runs.start_drill(
        by=commander, scenario="fraud-fp-surge", clock_factor=60, suppress_external=True
    )
    loud = runs.start_drill(by=commander, scenario="recommender-latency-peak", clock_factor=60)
    runs.end_drill(drill=quiet, by=commander)  # finished drills count too
    # As before the field: no incident carried it.
    Incident.objects.update(suppress_external=False)

    migration.copy_to_incidents(apps, None)

    stored = dict(Incident.objects.values_list("pk", "suppress_external"))
    assert stored == {quiet.incident_id: True, loud.incident_id: False}
