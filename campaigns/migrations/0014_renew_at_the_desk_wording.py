"""Renewal and top-up messages point members to the front desk (or the club's phone), not to
renewing "in a minute" online: the portal cannot take payments yet, and its membership page
says how to renew. Only rules whose text is still the installed default change: a text
marketing edited stays theirs. Reversing puts the old defaults back the same way.
"""

from django.db import migrations

CHANGES = {
    13: (
        "{{ first_name }}, your pack has {{ visits_left }} visit{{ visits_left|pluralize }} left. "
        "Top up at the desk or online and keep going!",
        "{{ first_name }}, your pack has {{ visits_left }} visit{{ visits_left|pluralize }} left. "
        "Top up at the front desk on your next visit and keep going!",
    ),
    14: (
        "Hi {{ first_name }},\n\nYour {{ plan }} at {{ club }} ends on {{ end|date:'j F' }}. Renew "
        "now and keep your current rate: {{ site_url }}/account/\n\n{{ club }}",
        "Hi {{ first_name }},\n\nYour {{ plan }} at {{ club }} ends on {{ end|date:'j F' }}. Renew "
        "at the front desk before then, or call us on {{ club_phone }}, and keep your current "
        "rate. Your membership: {{ site_url }}/account/membership/\n\n{{ club }}",
    ),
    15: (
        "{{ first_name }}, your {{ plan }} at {{ club }} ends {{ end|date:'j M' }}. Renew in a "
        "minute: {{ site_url }}/account/",
        "{{ first_name }}, your {{ plan }} at {{ club }} ends {{ end|date:'j M' }}. Renew at the "
        "front desk on your next visit or call {{ club_phone }}.",
    ),
    16: (
        "Hi {{ first_name }}, your membership at {{ club }} needs renewing. Renew now: "
        "{{ site_url }}/account/",
        "Hi {{ first_name }}, your membership at {{ club }} needs renewing: the front desk sorts "
        "it out in a minute, or call {{ club_phone }}.",
    ),
}


def _replace(apps, old_index: int, new_index: int) -> None:
    Rule = apps.get_model("campaigns", "Rule")
    for number, texts in CHANGES.items():
        Rule.objects.filter(number=number, template=texts[old_index]).update(
            template=texts[new_index]
        )


def forwards(apps, schema_editor):
    _replace(apps, 0, 1)


def backwards(apps, schema_editor):
    _replace(apps, 1, 0)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0013_waitlist_promoted_rule")]

    operations = [migrations.RunPython(forwards, backwards)]
