from django.db import migrations

from club.permissions import grant


def grant_integration_permissions(apps, schema_editor):
    # Issue and revoke API tokens for their clubs (revoking is a change: is_active).
    grant(
        apps,
        "club",
        {"Manager": ["view_integration", "add_integration", "change_integration"]},
    )


class Migration(migrations.Migration):
    dependencies = [("club", "0007_opening_hours")]

    operations = [migrations.RunPython(grant_integration_permissions, migrations.RunPython.noop)]
