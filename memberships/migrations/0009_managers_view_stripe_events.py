from django.db import migrations

from club.permissions import grant


def grant_stripe_event_permissions(apps, schema_editor):
    # The back-office's "Online payment events" is the managers' (memberships/wagtail_hooks.py).
    grant(apps, "memberships", {"Manager": ["view_stripeevent"]})


class Migration(migrations.Migration):
    dependencies = [("memberships", "0008_stripe_event_links"), ("club", "0002_staff_roles")]

    operations = [migrations.RunPython(grant_stripe_event_permissions, migrations.RunPython.noop)]
