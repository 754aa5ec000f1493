"""Install the data-version counters of the status pages (comms/status_versions.py, kit/versions.py)."""

from django.db import migrations

from comms.status_versions import COUNTERS


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for counter in COUNTERS:
        for statement in counter.create_sql(vendor):
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for counter in COUNTERS:
        for statement in counter.drop_sql(vendor):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0007_void_changed_signoff_trigger"),
        ("incidents", "0009_incident_suppress_external"),
        ("glossary", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
