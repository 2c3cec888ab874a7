"""Rule 1's call task tells the club's managers when it is late, as the playbook says."""

from django.db import migrations


def escalate_when_late(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    for rule in Rule.objects.filter(number=1, trigger="lead_created", channel="task"):
        rule.params = {**rule.params, "escalate_when_late": True}
        rule.save(update_fields=["params"])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_call_tasks_within_15_minutes")]
    operations = [migrations.RunPython(escalate_when_late, migrations.RunPython.noop)]
