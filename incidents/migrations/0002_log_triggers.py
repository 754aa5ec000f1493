from django.db import migrations

from incidents import logdb


def install(apps, schema_editor):
    logdb.install_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    logdb.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    """Make the decision log append-only in the database itself."""

    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
