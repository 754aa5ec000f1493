from django.db import migrations, models


def mark_past_escalations(apps, schema_editor):
    """Deadlines escalated before staging notified every step at once: count them as fully escalated.

    The path length is the longest path of any playbook (at least 1), so no
    step of an already escalated deadline goes out a second time.
    """
    Deadline = apps.get_model("comms", "Deadline")
    Playbook = apps.get_model("incidents", "Playbook")
    longest = max(
        [
            1,
            *(
                len(p)
                for p in Playbook.objects.values_list("escalation_path", flat=True)
                if isinstance(p, list)
            ),
        ]
    )
    Deadline.objects.filter(escalated_at__isnull=False).update(escalation_step=longest)


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0004_delivery_kind_drill_event"),
        ("incidents", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deadline",
            name="escalated_at",
            field=models.DateTimeField(
                blank=True, help_text="When the first escalation step went out.", null=True
            ),
        ),
        migrations.AddField(
            model_name="deadline",
            name="escalation_step",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="How many steps of the escalation path have gone out (0: not escalated).",
            ),
        ),
        migrations.RunPython(mark_past_escalations, migrations.RunPython.noop),
    ]
