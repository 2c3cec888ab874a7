from django.db import migrations

from club.permissions import grant


def grant_club_permissions(apps, schema_editor):
    grant(apps, "club", {"Manager": ["view_club", "change_club"]})


class Migration(migrations.Migration):
    dependencies = [("club", "0003_integration")]

    operations = [migrations.RunPython(grant_club_permissions, migrations.RunPython.noop)]
