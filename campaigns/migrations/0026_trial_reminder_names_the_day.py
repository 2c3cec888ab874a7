"""Rule 4's trial reminder names the class's day and time instead of saying "today": the quiet
hours send a 07:00 class's reminder at 20:00 the evening before, where "See you today" was
wrong.

Only a rule 4 whose text is still the seeded one is changed: an edited text is marketing's.
Reversing puts the seeded text back on a rule 4 that has exactly the text this one set.
"""

from django.db import migrations

SEEDED = (
    "See you today for {{ class_name }} at {{ club }}, {{ first_name }}! Bring water and a towel."
)
NAMES_THE_DAY = (
    "See you {{ class_day }} at {{ class_time }} for {{ class_name }} at {{ club }}, "
    "{{ first_name }}! Bring water and a towel."
)


def _rule_4(apps):
    Rule = apps.get_model("campaigns", "Rule")
    return Rule.objects.filter(number=4, trigger="trial_booked")


def names_the_day(apps, schema_editor):
    _rule_4(apps).filter(template=SEEDED).update(template=NAMES_THE_DAY)


def back_to_seeded(apps, schema_editor):
    _rule_4(apps).filter(template=NAMES_THE_DAY).update(template=SEEDED)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0025_touchpoint_empty_and_too_long_reasons")]
    operations = [migrations.RunPython(names_the_day, back_to_seeded)]
