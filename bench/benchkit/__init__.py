"""What the benchmark scripts share: a scratch database, a query counter, their section of docs/benchmarks.md.

A package (not a bench/bench_*.py script) so `make bench` does not run it.
Figures and goals are in benchkit.report; `bench/run.py` is the driver.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


def scratch_database_url(prefix: str) -> str:
    """Return the URL of an empty database for one benchmark script.

    BENCH_DATABASE_URL if set (it may be emptied). Otherwise, when
    DATABASE_URL names PostgreSQL, a new database on that server, dropped
    when the script exits (the database DATABASE_URL names is never
    touched). Otherwise SQLite in a temporary folder.
    """
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return _scratch_postgres(url, prefix)
    scratch = tempfile.mkdtemp(prefix=prefix)
    return f"sqlite:///{scratch}/bench.sqlite3"


def _scratch_postgres(url: str, prefix: str) -> str:
    import atexit
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"{prefix.strip('-').replace('-', '_')}_{os.getpid()}"
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110  best effort: Django may not be set up yet
            pass
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return urlunsplit(parts._replace(path=f"/{name}"))


def setup_django(prefix: str) -> None:
    """Point Django at a scratch database (see scratch_database_url) and set it up.

    Subprocesses the script starts (gunicorn, Celery) inherit the same
    database and a cache key prefix of their own.
    """
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = scratch_database_url(prefix)
    os.environ["CACHE_KEY_PREFIX"] = f"{prefix}{os.getpid()}"
    os.environ.setdefault("DEMO", "1")
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()


class Queries:
    """Count the SQL statements run inside the block."""

    def __enter__(self) -> Queries:
        from django.db import connection

        self.sql: list[str] = []
        self._wrapper = connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        return self

    def _count(self, execute: Any, sql: str, *args: Any) -> Any:
        self.sql.append(sql)
        return execute(sql, *args)

    def __exit__(self, *exc: object) -> None:
        self._wrapper.__exit__(*exc)

    def __len__(self) -> int:
        return len(self.sql)


from benchkit.report import QUICK, Figure, report  # noqa: E402  re-exported for the scripts

__all__ = ["QUICK", "ROOT", "Figure", "Queries", "report", "scratch_database_url", "setup_django"]


SAMPLE_RENDITIONS = {
    "executive": "Checkout errors for some customers ({i}).",
    "customer": "Some payments may fail ({i}); we are on it.",
    "technical": "Rolled back ({i}).",
}


def publish_sample_update(
    incident: Any, *, commander: Any, comms: Any, i: int, audiences: tuple[str, ...]
) -> None:
    """Make `comms` the comms lead and publish update `i` to `audiences`, as the services do."""
    from comms.services import create_draft, publish_update
    from incidents.choices import Role
    from incidents.services import assign_role

    assign_role(incident=incident, role=Role.COMMS_LEAD, user=comms, by=commander)
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed=f"Update {i}",
        renditions={a: {"summary": SAMPLE_RENDITIONS[a].format(i=i)} for a in audiences},
    )
    publish_update(update=update, by=comms, acknowledge_jargon=True)
