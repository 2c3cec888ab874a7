"""`search_name` keeps only letters and digits (members.search.search_name): "Jan van Vliet"
is "janvanvliet" rather than "jan van vliet", so "vanvliet" and "obrien" find van Vliet and
O'Brien.

The stored value was already the name transliterated to lower-case ASCII with punctuation
turned into spaces, so dropping what is not a letter or digit from it gives exactly the new
value: on PostgreSQL one UPDATE, with no Python pass over every member. The column and its
trigram index (member_search_name_trgm, migration 0003) stay; the index is updated with the
rows. Not reversible to the spaced form without the names, which 0003 would recompute.
"""

import re

from django.db import migrations

COMPACT = r"""
UPDATE members_member
SET search_name = regexp_replace(search_name, '[^a-z0-9]+', '', 'g')
WHERE search_name ~ '[^a-z0-9]'
"""


def letters_and_digits(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COMPACT)
        return
    Member = apps.get_model("members", "Member")
    batch = []
    for member in Member.objects.only("search_name").iterator(chunk_size=2000):
        member.search_name = re.sub(r"[^a-z0-9]+", "", member.search_name)
        batch.append(member)
    Member.objects.bulk_update(batch, ["search_name"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("members", "0021_card_tokens_without_separators")]
    operations = [migrations.RunPython(letters_and_digits, migrations.RunPython.noop)]
