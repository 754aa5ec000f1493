"""The decision log's append as one PostgreSQL function (incidents/decision_log/append_sql.py)."""

from django.db import migrations

from incidents.decision_log.append_sql import CREATE_SQL, DROP_SQL


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL, params=None)  # its RAISE uses %: not a placeholder


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0009_incident_suppress_external")]

    operations = [migrations.RunPython(create, drop)]
