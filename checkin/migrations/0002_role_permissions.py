from django.db import migrations

from club.permissions import grant

VIEW = [
    "view_visit",
    "view_checkinattempt",
    "view_classtype",
    "view_classsession",
    "view_booking",
]


def grant_checkin_permissions(apps, schema_editor):
    grant(
        apps,
        "checkin",
        {
            "Front desk": [*VIEW, "add_booking", "change_booking"],
            "Trainer": ["view_classtype", "view_classsession", "view_booking", "change_booking"],
            "Marketing": ["view_visit", "view_classtype", "view_classsession"],
            "Manager": [
                *VIEW,
                "add_classtype",
                "change_classtype",
                "add_classsession",
                "change_classsession",
                "add_booking",
                "change_booking",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("checkin", "0001_initial"), ("club", "0002_staff_roles")]

    operations = [migrations.RunPython(grant_checkin_permissions, migrations.RunPython.noop)]
