from django.db import migrations

from club.permissions import grant

VIEW = ["view_plan", "view_membership", "view_freeze", "view_ledgerentry", "view_payment"]


def grant_membership_permissions(apps, schema_editor):
    grant(
        apps,
        "memberships",
        {
            "Front desk": [*VIEW, "add_membership", "change_membership", "add_freeze"],
            "Marketing": ["view_plan", "view_membership"],
            "Manager": [
                *VIEW,
                "add_plan",
                "change_plan",
                "add_membership",
                "change_membership",
                "add_freeze",
                "change_freeze",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("memberships", "0001_initial"), ("club", "0002_staff_roles")]

    operations = [migrations.RunPython(grant_membership_permissions, migrations.RunPython.noop)]
