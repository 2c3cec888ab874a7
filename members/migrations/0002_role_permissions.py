from django.db import migrations

from club.permissions import grant


def grant_member_permissions(apps, schema_editor):
    grant(
        apps,
        "members",
        {
            "Front desk": ["view_member", "add_member", "change_member", "view_memberevent"],
            "Trainer": ["view_member"],
            "Marketing": ["view_member", "change_member", "view_memberevent", "view_consentlog"],
            "Manager": [
                "view_member",
                "add_member",
                "change_member",
                "delete_member",
                "view_memberevent",
                "view_consentlog",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial"), ("club", "0002_staff_roles")]

    operations = [migrations.RunPython(grant_member_permissions, migrations.RunPython.noop)]
