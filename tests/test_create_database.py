"""`manage.py create_database`: the demo's first step on a machine with the server but not our
database."""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.core.management import call_command

pytestmark = pytest.mark.postgres


@pytest.fixture
def missing_database_url(monkeypatch):
    name = f"clubcycle_created_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
    monkeypatch.setenv("DATABASE_URL", url)
    yield name, url
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_missing_database_is_created_once(missing_database_url, capsys):
    name, url = missing_database_url

    call_command("create_database")
    call_command("create_database")  # there now: nothing to do

    assert capsys.readouterr().out.count(f"Created the database {name}.") == 1
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (name,)


def test_on_sqlite_there_is_nothing_to_create(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/demo.sqlite3")

    call_command("create_database")

    assert capsys.readouterr().out == ""
