"""Card tokens are stored without spaces, dashes and colons, in upper case
(members.search.card_token), as every lookup now asks: "04 ab cd ef 12 34" becomes
"04ABCDEF1234".

A token whose plain form another member already holds, or that two members' tokens share,
is left as it is and reported: changing it would break the unique constraint, and which of
them really holds the card is for staff to find out (give one of them a new card).
"""

import re
from collections import Counter

from django.db import migrations
from django.db.models import Q
from django.db.models.functions import Upper

# As members.search.card_token, frozen here: a migration must not change with the code.
_SEPARATORS = re.compile(r"[\s:-]+")


def plain(token: str) -> str:
    return _SEPARATORS.sub("", token).upper()


def plain_tokens(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    spelled = (
        Q(card_token__contains=" ")
        | Q(card_token__contains="-")
        | Q(card_token__contains=":")
        | Q(card_token__contains="\t")
        | ~Q(card_token=Upper("card_token"))
    )
    rows = {
        pk: (token, plain(token))
        for pk, token in Member.objects.exclude(card_token=None)
        .filter(spelled)
        .values_list("pk", "card_token")
    }
    wanted = Counter(new for _, new in rows.values())
    # Every token being changed holds a separator or a lower-case letter, so the members
    # already holding a plain token are others, whose token stays.
    held = dict(Member.objects.filter(card_token__in=list(wanted)).values_list("card_token", "pk"))
    skipped = []
    for pk, (token, new) in sorted(rows.items()):
        if not new or new in held or wanted[new] > 1:
            skipped.append((pk, token, new))
            continue
        Member.objects.filter(pk=pk).update(card_token=new)
    for pk, token, new in skipped:
        if not new:
            why = "it holds no characters but separators"
        elif new in held:
            why = f"member #{held[new]} holds {new}"
        else:
            why = f"another member's card is also {new} without separators"
        print(f"\n  member #{pk}: card {token!r} kept as it is, since {why}; give a new card.")


class Migration(migrations.Migration):
    dependencies = [("members", "0020_trial_signup_event")]
    operations = [migrations.RunPython(plain_tokens, migrations.RunPython.noop)]
