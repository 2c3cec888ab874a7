"""Rule 1's "call the new lead" is moot once the lead bought a paid membership: the task is
cancelled, and the managers are not emailed that it is late.

Only a rule 1 whose parameters are still those the earlier migrations set is changed: an
edited rule is marketing's, who can tick "Unless they joined" in the rule editor. Reversing
removes the parameter from a rule 1 that has exactly the parameters this migration set.
"""

from django.db import migrations

SEEDED = {"due_minutes": 15, "escalate_when_late": True, "except_sources": ["walk_in"]}
UNLESS_JOINED = {**SEEDED, "unless_joined": True}


def _rule_1(apps):
    Rule = apps.get_model("campaigns", "Rule")
    return Rule.objects.filter(number=1, trigger="lead_created", channel="task")


def unless_joined(apps, schema_editor):
    for rule in _rule_1(apps):
        if rule.params == SEEDED:
            rule.params = UNLESS_JOINED
            rule.save(update_fields=["params"])


def back_to_seeded(apps, schema_editor):
    for rule in _rule_1(apps):
        if rule.params == UNLESS_JOINED:
            rule.params = SEEDED
            rule.save(update_fields=["params"])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0023_touchpoint_holding")]
    operations = [migrations.RunPython(unless_joined, back_to_seeded)]
