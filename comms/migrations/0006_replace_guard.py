from django.db import migrations

from comms import dbtriggers


def install(apps, schema_editor):
    dbtriggers.install_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    # Back to 0002's triggers: drop only the REPLACE guards (SQLite only has them).
    if schema_editor.connection.vendor == "sqlite":
        for guard in dbtriggers.TRIGGERS.sqlite_guards:
            schema_editor.execute(guard.drop_sql())


class Migration(migrations.Migration):
    """Published updates and renditions also refuse SQLite's INSERT OR REPLACE (#10)."""

    dependencies = [("comms", "0005_deadline_escalation_step")]
    operations = [migrations.RunPython(install, uninstall)]
