"""The public site shows the club's own opening hours (club.OpeningHours, which its call
tasks follow) unless the site's text says otherwise. A site still showing the old default
text gets it cleared, so its footer follows the club; a text an editor wrote stays."""

from django.db import migrations, models

OLD_DEFAULT = "Mon–Fri: 06:30–22:00\nSat–Sun: 08:00–20:00"


def follow_the_club(apps, schema_editor):
    ClubSiteSettings = apps.get_model("cms", "ClubSiteSettings")
    ClubSiteSettings.objects.filter(opening_hours=OLD_DEFAULT).update(opening_hours="")


def back_to_the_text(apps, schema_editor):
    ClubSiteSettings = apps.get_model("cms", "ClubSiteSettings")
    ClubSiteSettings.objects.filter(opening_hours="").update(opening_hours=OLD_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0004_create_site_pages"),
    ]

    operations = [
        migrations.AlterField(
            model_name="clubsitesettings",
            name="opening_hours",
            field=models.TextField(
                blank=True,
                help_text="Empty: the club's own opening hours, as set in its settings (those "
                "its call tasks follow). Text here overrides them: one line per row, e.g. "
                "“Mon–Fri: 06:30–22:00”.",
            ),
        ),
        migrations.RunPython(follow_the_club, back_to_the_text),
    ]
