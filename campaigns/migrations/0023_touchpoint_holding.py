"""A held-out touchpoint is decided at its send time, like a sent one: written `holding`, it
becomes `held_out` only if the dispatcher's checks would have sent it. The held-out rows not
reached by the dispatcher yet (send time still to come) become `holding`, so they are
checked too; those already past stay as they were decided. Reversing makes every `holding`
row `held_out` again.
"""

from django.db import migrations, models
from django.utils import timezone


def forwards(apps, schema_editor):
    Touchpoint = apps.get_model("campaigns", "Touchpoint")
    Touchpoint.objects.filter(status="held_out", send_at__gt=timezone.now()).update(
        status="holding"
    )


def backwards(apps, schema_editor):
    Touchpoint = apps.get_model("campaigns", "Touchpoint")
    Touchpoint.objects.filter(status="holding").update(status="held_out")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0022_waitlist_seat_waits_unless_too_late"),
        ("club", "0013_heartbeat"),
        ("members", "0029_saved_card"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="touchpoint",
            name="touchpoint_due",
        ),
        migrations.AlterField(
            model_name="touchpoint",
            name="status",
            field=models.CharField(
                choices=[
                    ("scheduled", "Scheduled"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("delivered", "Delivered"),
                    ("failed", "Failed"),
                    ("suppressed", "Suppressed"),
                    ("cancelled", "Cancelled"),
                    ("holding", "Held out, not due yet"),
                    ("held_out", "Held out"),
                ],
                default="scheduled",
                max_length=12,
            ),
        ),
        migrations.AddIndex(
            model_name="touchpoint",
            index=models.Index(
                condition=models.Q(("status__in", ["scheduled", "holding"])),
                fields=["send_at"],
                name="touchpoint_due",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
