from django.db import migrations

from club.permissions import grant


def grant_task_permissions(apps, schema_editor):
    grant(
        apps,
        "members",
        {
            "Front desk": ["view_task", "change_task"],
            "Marketing": ["view_task"],
            "Manager": ["view_task", "add_task", "change_task"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0005_portal_login_and_tasks")]

    operations = [migrations.RunPython(grant_task_permissions, migrations.RunPython.noop)]
