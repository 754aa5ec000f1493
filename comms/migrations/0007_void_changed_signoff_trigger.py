from django.db import migrations

from comms import signoff_triggers


def install(apps, schema_editor):
    signoff_triggers.install_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    signoff_triggers.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    """A change to a rendition's wording clears its sign-off in the database too (#10)."""

    dependencies = [("comms", "0006_replace_guard")]
    operations = [migrations.RunPython(install, uninstall)]
