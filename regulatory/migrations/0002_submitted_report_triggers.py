from django.db import migrations

from regulatory import dbtriggers


def install(apps, schema_editor):
    dbtriggers.install_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    dbtriggers.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    """Submitted regulatory reports and their obligations refuse UPDATE and DELETE in the database."""

    dependencies = [("regulatory", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
