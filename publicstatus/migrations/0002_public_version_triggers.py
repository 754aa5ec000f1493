"""Bump the public data version on writes to components and maintenance (comms/status_versions.py).

The public page and /api/v2/ are cached per that version: without these
triggers a started maintenance would wait for the hour to turn to show.
"""

from django.db import migrations

from comms.status_versions import PUBLIC_STATUS


def create(apps, schema_editor):
    for statement in PUBLIC_STATUS.create_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    # Only this migration's triggers: the counter itself belongs to comms 0008.
    for statement in PUBLIC_STATUS.drop_sql(schema_editor.connection.vendor):
        if statement.startswith("DROP TRIGGER"):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("publicstatus", "0001_initial"),
        ("comms", "0008_status_version_counters"),
    ]

    operations = [migrations.RunPython(create, drop)]
