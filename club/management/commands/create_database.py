"""`manage.py create_database`: create DATABASE_URL's PostgreSQL database when it is missing
(`make demo` runs it before migrating); nothing to do on SQLite."""

import os

from django.core.management.base import BaseCommand

from club.databases import ensure_database


class Command(BaseCommand):
    help = "Create the PostgreSQL database DATABASE_URL names, when it does not exist yet."

    def handle(self, *args, **options):
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            return
        if ensure_database(url):
            self.stdout.write(f"Created the database {url.rsplit('/', 1)[-1]}.")
