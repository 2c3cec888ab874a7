"""Creating the PostgreSQL database a URL names, for the demo and the benchmarks: a fresh
machine has the server but not our database, and set-up must need no manual step."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def ensure_database(url: str, *, recreate: bool = False) -> bool:
    """Create the database `url` names when missing (dropping it first if `recreate`),
    connecting to the server's `postgres` database to do it. True when this call created it."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if recreate:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True
