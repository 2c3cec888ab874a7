"""Rule 22 (a waitlist place became a seat) is sent in the quiet hours too: a promotion at
22:00 to tomorrow's 07:00 class, held for 09:00, was never sent at all (the class had
started). Only where rule 22 still has the installed parameters (none): a rule marketing
gave a quiet-hours choice keeps it. Reversing takes the choice off the same way.
"""

from django.db import migrations

NUMBER = 22
AT_ONCE = {"quiet_hours": "at_once"}


def forwards(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    Rule.objects.filter(number=NUMBER, trigger="waitlist_promoted", params={}).update(
        params=AT_ONCE
    )


def backwards(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    Rule.objects.filter(number=NUMBER, trigger="waitlist_promoted", params=AT_ONCE).update(
        params={}
    )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0014_renew_at_the_desk_wording")]

    operations = [migrations.RunPython(forwards, backwards)]
