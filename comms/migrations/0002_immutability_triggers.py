from django.db import migrations

from comms import dbtriggers


def install(apps, schema_editor):
    dbtriggers.install_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    dbtriggers.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    """Published updates and their renditions refuse UPDATE and DELETE in the database."""

    dependencies = [("comms", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
