from django.db import migrations

from incidents.decision_log import triggers as log_triggers


def install(apps, schema_editor):
    # The log's own set only: later tables (checkpoints) install theirs in their migration.
    log_triggers.LOG_TRIGGERS.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    log_triggers.LOG_TRIGGERS.drop(schema_editor.connection)


class Migration(migrations.Migration):
    """Make the decision log append-only in the database itself."""

    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
