"""Rule 1 calls new leads, but not walk-ins: they are standing at the desk when created."""

from django.db import migrations


def except_walk_ins(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    for rule in Rule.objects.filter(number=1, trigger="lead_created", channel="task"):
        rule.params = {**rule.params, "except_sources": ["walk_in"]}
        rule.save(update_fields=["params"])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_call_task_escalates_when_late")]
    operations = [migrations.RunPython(except_walk_ins, migrations.RunPython.noop)]
