from django.db import migrations

from learning import dbtriggers


def install(apps, schema_editor):
    dbtriggers.install_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    dbtriggers.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    """Published reviews and every addendum refuse UPDATE and DELETE in the database."""

    dependencies = [("learning", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
