from django.db import migrations

from club.permissions import grant


def grant_timetable_permissions(apps, schema_editor):
    grant(
        apps,
        "checkin",
        {
            "Front desk": ["view_classtemplate"],
            "Trainer": ["view_classtemplate"],
            "Marketing": ["view_classtemplate"],
            "Manager": ["view_classtemplate", "add_classtemplate", "change_classtemplate"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("checkin", "0003_classes_and_portal")]

    operations = [migrations.RunPython(grant_timetable_permissions, migrations.RunPython.noop)]
