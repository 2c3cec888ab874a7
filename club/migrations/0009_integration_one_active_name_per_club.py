import django.db.models.functions.text
from django.db import migrations, models


def number_repeated_names(apps, schema_editor):
    # Active integrations that already share a name in a club keep it, numbered after the
    # first ("Gate", "Gate (2)"), so the constraint below can be created.
    Integration = apps.get_model("club", "Integration")
    seen: set[tuple[int, str]] = set()
    for integration in Integration.objects.filter(is_active=True).order_by("pk"):
        key = (integration.club_id, integration.name.lower())
        if key not in seen:
            seen.add(key)
            continue
        base, n = integration.name[:110], 2  # room for the number in max_length=120
        while (integration.club_id, f"{base} ({n})".lower()) in seen:
            n += 1
        integration.name = f"{base} ({n})"
        seen.add((integration.club_id, integration.name.lower()))
        integration.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [("club", "0008_managers_manage_integrations")]

    operations = [
        migrations.RunPython(number_repeated_names, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="integration",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                models.F("club"),
                condition=models.Q(("is_active", True)),
                name="club_integration_one_active_name_per_club",
                violation_error_message="This club already has an active integration of that name.",
            ),
        ),
    ]
