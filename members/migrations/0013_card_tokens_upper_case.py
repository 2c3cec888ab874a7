"""Card tokens are stored in upper case (members.search.card_token), as lookups now ask."""

from django.db import migrations
from django.db.models import Exists, OuterRef
from django.db.models.functions import Upper


def upper_case_tokens(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    # A token whose upper-case form another member already holds is left for staff to sort
    # out: changing it would break the unique constraint.
    taken = Member.objects.filter(card_token=Upper(OuterRef("card_token"))).exclude(
        pk=OuterRef("pk")
    )
    Member.objects.exclude(card_token=None).exclude(card_token=Upper("card_token")).filter(
        ~Exists(taken)
    ).update(card_token=Upper("card_token"))


class Migration(migrations.Migration):
    dependencies = [("members", "0012_task_escalation")]
    operations = [migrations.RunPython(upper_case_tokens, migrations.RunPython.noop)]
