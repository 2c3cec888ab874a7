"""Rule 22: a member who moves up from a class's waitlist to a seat is told at once, by SMS.

Transactional (the seat is theirs whether or not they read it), so no holdout and no
frequency cap; SMS consent is still needed, as for rule 4's trial reminder. The trigger
re-checks at send time that the booking stands and the class has not started.

Installed only where no rule 22 exists yet: a club that numbered a rule of its own 22 keeps
it, and marketing adds this one under another number if they want it. Reversing removes
rule 22 only while it is still the one installed here.
"""

from django.db import migrations

NUMBER = 22
RULE = {
    "name": "A waitlist place became a seat",
    "trigger": "waitlist_promoted",
    "params": {},
    "channel": "sms",
    "subject": "",
    "template": (
        "Good news, {{ first_name }}: a place came free in {{ class_name }} on {{ class_day }} "
        "at {{ class_time }} and it is yours. Can't come? Cancel in the portal: "
        "{{ site_url }}/account/bookings/"
    ),
    "priority": 95,
    "is_marketing": False,
    "holdout_percent": 0,
    "stages": [],
}


def install(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    Rule.objects.get_or_create(number=NUMBER, defaults=RULE)


def remove(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    Rule.objects.filter(number=NUMBER, trigger=RULE["trigger"]).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0012_trial_invitation_unless_booked")]
    operations = [migrations.RunPython(install, remove)]
