"""Rule 2's trial invitation is not sent to a lead who has booked a trial (or bought a
membership) since the lead arrived: the trial form creates the lead and books the trial at
once, and the rule's "lead" stage condition reads a stage refreshed only every 15 minutes.

Only a rule 2 whose parameters are still the seeded ones ({"delay_minutes": 5}) is changed:
marketing may have edited it, and an edited rule is theirs, so it is left alone (they can add
"unless_trial_booked": true in the rule editor). Reversing removes the parameter again from
a rule 2 that has exactly the parameters this migration set.
"""

from django.db import migrations

SEEDED = {"delay_minutes": 5}
UNLESS_BOOKED = {**SEEDED, "unless_trial_booked": True}


def _rule_2(apps):
    Rule = apps.get_model("campaigns", "Rule")
    return Rule.objects.filter(number=2, trigger="lead_created", channel="sms")


def unless_trial_booked(apps, schema_editor):
    for rule in _rule_2(apps):
        if rule.params == SEEDED:
            rule.params = UNLESS_BOOKED
            rule.save(update_fields=["params"])


def back_to_seeded(apps, schema_editor):
    for rule in _rule_2(apps):
        if rule.params == UNLESS_BOOKED:
            rule.params = SEEDED
            rule.save(update_fields=["params"])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0011_drop_redundant_fk_indexes")]
    operations = [migrations.RunPython(unless_trial_booked, back_to_seeded)]
