from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from members.search import search_name

# Trigram indexes make "any part of the name" and phone-suffix searches use an index
# on PostgreSQL; SQLite (the demo database) scans, which is fine at demo size.
TRIGRAM_INDEXES = """
CREATE INDEX IF NOT EXISTS member_search_name_trgm
    ON members_member USING gin (search_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS member_phone_trgm
    ON members_member USING gin (phone gin_trgm_ops);
"""
DROP_TRIGRAM_INDEXES = """
DROP INDEX IF EXISTS member_search_name_trgm;
DROP INDEX IF EXISTS member_phone_trgm;
"""


def fill_search_names(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    batch = []
    for member in Member.objects.only("first_name", "last_name").iterator(chunk_size=2000):
        member.search_name = search_name(member.first_name, member.last_name)
        batch.append(member)
        if len(batch) == 2000:
            Member.objects.bulk_update(batch, ["search_name"])
            batch.clear()
    Member.objects.bulk_update(batch, ["search_name"])


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGRAM_INDEXES)


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGRAM_INDEXES)


class Migration(migrations.Migration):
    dependencies = [("members", "0002_role_permissions")]

    operations = [
        migrations.AddField(
            model_name="member",
            name="search_name",
            field=models.CharField(
                default="", editable=False, help_text="Folded name for search.", max_length=200
            ),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop),
        TrigramExtension(),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
