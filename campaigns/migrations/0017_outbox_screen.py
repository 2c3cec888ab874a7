from django.db import migrations

from club.permissions import grant


def grant_outbox_permissions(apps, schema_editor):
    # Lifecycle › Outbox lists touchpoints for marketing and managers (campaigns/backoffice/outbox.py).
    grant(apps, "campaigns", {"Marketing": ["view_touchpoint"], "Manager": ["view_touchpoint"]})


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0016_segment_campaigns"), ("club", "0002_staff_roles")]

    operations = [migrations.RunPython(grant_outbox_permissions, migrations.RunPython.noop)]
