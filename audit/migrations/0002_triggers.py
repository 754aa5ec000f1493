from django.db import migrations

from audit import dbtriggers


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    dbtriggers.install_triggers(schema_editor.connection)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    dbtriggers.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, drop)]
