"""Rule 1's call task is due 15 minutes after the lead arrives, as its text promises."""

from django.db import migrations


def due_in_15_minutes(apps, schema_editor):
    Rule = apps.get_model("campaigns", "Rule")
    for rule in Rule.objects.filter(number=1, trigger="lead_created", channel="task"):
        rule.params = {**rule.params, "due_minutes": 15}
        rule.save(update_fields=["params"])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_sending_lease")]
    operations = [migrations.RunPython(due_in_15_minutes, migrations.RunPython.noop)]
