"""Rule 22 (a waitlist place became a seat) respects the quiet hours again unless waiting
would be too late: promoted at 23:33 to a class 44 hours away, the SMS went at 23:33. Sent at
once only when the class starts before the quiet hours end (+ an hour); else at their end.
Only where rule 22 still has the parameters 0015 set: a rule marketing changed keeps its
choice. Reversing puts "at once" back the same way.
"""

from django.db import migrations

NUMBER = 22
AT_ONCE = {"quiet_hours": "at_once"}
AT_ONCE_IF_LATE = {"quiet_hours": "at_once_if_late"}


def forwards(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    Rule.objects.filter(number=NUMBER, trigger="waitlist_promoted", params=AT_ONCE).update(
        params=AT_ONCE_IF_LATE
    )


def backwards(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    Rule.objects.filter(number=NUMBER, trigger="waitlist_promoted", params=AT_ONCE_IF_LATE).update(
        params=AT_ONCE
    )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0021_touchpoint_deadline_and_too_late")]

    operations = [migrations.RunPython(forwards, backwards)]
