from django.db import migrations


def copy_to_incidents(apps, schema_editor):
    """Drills that suppressed externals before the incident had the field: set it on their incidents.

    Running and finished drills alike, so a late reminder or a correction to an
    ended drill stays in-app as it did when comms asked the drill.
    """
    Drill = apps.get_model("learning", "Drill")
    Incident = apps.get_model("incidents", "Incident")
    incidents = Drill.objects.filter(suppress_external=True).values("incident_id")
    Incident.objects.filter(pk__in=incidents).update(suppress_external=True)


class Migration(migrations.Migration):
    """The drill's "suppress external notifications" moves onto its incident (#11), which comms reads."""

    dependencies = [
        ("learning", "0003_replace_guard"),
        ("incidents", "0009_incident_suppress_external"),
    ]

    operations = [migrations.RunPython(copy_to_incidents, migrations.RunPython.noop)]
