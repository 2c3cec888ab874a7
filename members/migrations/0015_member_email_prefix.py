"""An index for the start of an email address, as the desk types it ("jonas.bakker7").

member_email_lower (a plain btree) answers equality only: with a non-C collation PostgreSQL
cannot use it for LIKE 'prefix%'. text_pattern_ops can. SQLite (the demo) scans.
"""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS member_email_prefix ON members_member (lower(email) text_pattern_ops)"
DROP = "DROP INDEX IF EXISTS member_email_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("members", "0014_back_office_names")]
    operations = [migrations.RunPython(create, drop)]
