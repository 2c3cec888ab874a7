from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import TruncDate


def tie_sessions_to_their_day(apps, schema_editor):
    """Each generated class is for the club's date of its start. Where a slot already has two
    classes on one day (moved before this rule: the old one kept, the new one generated), the
    older one is that day's and the other stays untied, for staff to move or cancel."""
    Club = apps.get_model("club", "Club")
    ClassSession = apps.get_model("checkin", "ClassSession")
    for club in Club.objects.all():
        rows = (
            ClassSession.objects.filter(club=club, template__isnull=False, occurs_on__isnull=True)
            .annotate(day=TruncDate("start", tzinfo=ZoneInfo(club.time_zone)))
            .order_by("pk")
            .values_list("pk", "template_id", "day")
        )
        seen, by_day = set(), defaultdict(list)
        for pk, template_id, day in rows.iterator():
            if (template_id, day) not in seen:
                seen.add((template_id, day))
                by_day[day].append(pk)
        for day, pks in by_day.items():
            ClassSession.objects.filter(pk__in=pks).update(occurs_on=day)


class Migration(migrations.Migration):
    dependencies = [
        ("checkin", "0011_class_size_bounds"),
        ("club", "0013_heartbeat"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="classsession",
            name="class_session_once_per_template_slot",
        ),
        migrations.AddField(
            model_name="classsession",
            name="occurs_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(tie_sessions_to_their_day, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="classsession",
            constraint=models.UniqueConstraint(
                condition=models.Q(("occurs_on__isnull", False), ("template__isnull", False)),
                fields=("template", "occurs_on"),
                name="class_session_once_per_slot_day",
            ),
        ),
    ]
