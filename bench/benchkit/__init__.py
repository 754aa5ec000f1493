"""What the benchmark scripts share: a scratch database, a query counter, their section of docs/benchmarks.md.

A package (not a bench/*.py script) so `make bench` does not run it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


def setup_django(prefix: str) -> None:
    """Point Django at a scratch database (or BENCH_DATABASE_URL, which may be emptied) and set it up."""
    sys.path.insert(0, str(ROOT))
    scratch = tempfile.mkdtemp(prefix=prefix)
    os.environ["DATABASE_URL"] = (
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
    )
    os.environ.setdefault("DEMO", "1")
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
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


def write_section(section: str, lines: list[str]) -> None:
    """Put `lines` (starting with the `section` heading) into docs/benchmarks.md, replacing an earlier copy."""
    target = ROOT / "docs" / "benchmarks.md"
    text = target.read_text() if target.exists() else "# Benchmarks\n"
    if section in text:  # replace our earlier section, keep everything else
        before, _, after = text.partition(section)
        rest = after.split("\n## ", 1)
        text = before.rstrip("\n") + "\n" + ("\n## " + rest[1] if len(rest) > 1 else "")
    target.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n")
