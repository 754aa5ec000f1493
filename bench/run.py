"""`make bench`: run every bench/bench_*.py script, print the goals, write docs/benchmarks.md.

Each script runs in its own process with a scratch database (see
benchkit.scratch_database_url) and reports its sections through
benchkit.report. This driver gathers them, prints one table of every goal,
writes docs/benchmarks.md (the figures, the exact command, the machine) and
exits non-zero when a figure misses its goal or a script fails.

    make bench            the full set; writes docs/benchmarks.md
    make bench QUICK=1    a reduced set (under 2 minutes); writes var/benchmarks-quick.md
    make bench ONLY=status,fanout   only those scripts (bench/bench_<name>.py)
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchkit.report import QUICK, Figure, fmt, table  # noqa: E402

SCRIPT_TIMEOUT = 20 * 60


def scripts() -> list[Path]:
    # BENCH_SCRIPTS_DIR: another folder of bench_*.py scripts (the driver's own tests use it).
    folder = Path(os.environ.get("BENCH_SCRIPTS_DIR") or ROOT / "bench")
    found = sorted(folder.glob("bench_*.py"))
    only = [name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()]
    if only:
        found = [p for p in found if p.stem.removeprefix("bench_") in only]
    return found


def redacted(url: str) -> str:
    """Scheme, host and port of a URL (no user, password or database name)."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def command_line() -> str:
    words = []
    if os.environ.get("DATABASE_URL"):
        words.append(f"DATABASE_URL={redacted(os.environ['DATABASE_URL'])}/…")
    if os.environ.get("REDIS_URL") and not os.environ["REDIS_URL"].startswith("unix://"):
        words.append(f"REDIS_URL={redacted(os.environ['REDIS_URL'])}/…")
    words.append("make bench")
    if QUICK:
        words.append("QUICK=1")
    if os.environ.get("BENCH_ONLY"):
        words.append(f"ONLY={os.environ['BENCH_ONLY']}")
    return " ".join(words)


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603  fixed tool names
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    database = (
        "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    )
    if database == "PostgreSQL" and shutil.which("psql"):
        database = _first_line(["psql", "--version"]).replace("psql (PostgreSQL) ", "PostgreSQL ")
    redis = "Redis" if os.environ.get("REDIS_URL", "").startswith("redis") else "embedded Redis"
    server = shutil.which("redis-server")
    if server:
        version = _first_line([server, "--version"]).split(" v=")[-1].split(" ")[0]
        redis += f" {version}" if version else ""
    return (
        f"{cpu or platform.processor() or 'unknown CPU'}, {os.cpu_count()} cores{memory}; "
        f"{platform.system()} {platform.release()}; {platform.python_implementation()} "
        f"{platform.python_version()}; {database}; {redis}"
    )


def run_script(script: Path, results: Path) -> tuple[int, float, str]:
    env = os.environ | {"BENCH_RESULTS": str(results), "BENCH_QUICK": "1" if QUICK else "0"}
    start = time.monotonic()
    print(f"\n=== {script.name}", flush=True)
    try:
        done = subprocess.run(  # noqa: S603  our own scripts, with this interpreter
            [sys.executable, str(script)], cwd=ROOT, env=env, timeout=SCRIPT_TIMEOUT, check=False
        )
        code = done.returncode
        error = "" if code == 0 else f"exited with status {code}"
    except subprocess.TimeoutExpired:
        code, error = 124, f"did not finish within {SCRIPT_TIMEOUT // 60} minutes"
    return code, time.monotonic() - start, error


def main() -> int:
    if not shutil.which("wrk") and not os.environ.get("BENCH_SCRIPTS_DIR"):
        print(
            "error: make bench needs wrk (apt-get install wrk) for the status pages",
            file=sys.stderr,
        )
        return 2
    started = datetime.now(UTC)
    entries: list[dict] = []
    failures: list[str] = []
    timings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="icc-bench-") as tmp:
        for script in scripts():
            results = Path(tmp) / f"{script.stem}.jsonl"
            code, seconds, error = run_script(script, results)
            timings.append(f"`{script.name}` {seconds:.0f} s")
            if results.exists():
                for line in results.read_text().splitlines():
                    entry = json.loads(line)
                    entry["script"] = script.name
                    entries.append(entry)
            if error:
                failures.append(f"{script.name} {error}")
    entries.sort(key=lambda e: (e["order"], e["section"]))
    goals = [(e["section"], Figure(**f)) for e in entries for f in e["figures"] if f.get("goal")]
    missed = [(s, f) for s, f in goals if not f.met]

    lines = [
        "# Benchmarks" + (" (quick set)" if QUICK else ""),
        "",
        f"Produced by `{command_line()}` on {started:%Y-%m-%d %H:%M} UTC, in "
        f"{(datetime.now(UTC) - started).total_seconds() / 60:.1f} min "
        f"({', '.join(timings)}).",
        "",
        f"Machine: {machine()}.",
        "",
        "Every goal is checked by the run that measured it: `make bench` exits non-zero when a "
        "figure misses its goal. Ratios are taken against a baseline measured in the same run, "
        "on the same server and set-up, so they travel between machines better than absolute "
        "figures (which are shown for context). The scripts are bench/bench_*.py; bench/run.py "
        "runs them and writes this file.",
        "",
        "## Goals",
        "",
        "| section | what | figure | goal | met |",
        "|---|---|---|---|---|",
        *[
            f"| {s} | {f.name} | {fmt(f.value, f.unit)} | {f.goal} | "
            f"{'yes' if f.met else '**NO**'} |"
            for s, f in goals
        ],
    ]
    if failures:
        lines += ["", "Scripts that failed: " + "; ".join(failures) + "."]
    for entry in entries:
        lines += [
            "",
            f"## {entry['section']}",
            "",
            f"{entry['description']} (`bench/{entry['script']}`)",
            "",
            *table([Figure(**f) for f in entry["figures"]]),
        ]
    text = "\n".join(lines) + "\n"
    target = Path(
        os.environ.get("BENCH_OUTPUT")
        or ROOT / ("var/benchmarks-quick.md" if QUICK else "docs/benchmarks.md")
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("BENCH_ONLY") or QUICK or os.environ.get("BENCH_OUTPUT"):
        target.write_text(text)
        print(f"\nwrote {target}")
    else:
        print("\n(ONLY= given: docs/benchmarks.md left as it was)")
    print("\n" + "\n".join(lines[lines.index("## Goals") :]))
    if missed or failures or not goals:
        for section, figure in missed:
            print(
                f"MISSED: {section}: {figure.name} = {fmt(figure.value, figure.unit)} (goal {figure.goal})"
            )
        for failure in failures:
            print(f"FAILED: {failure}")
        return 1
    print(f"\nall {len(goals)} goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
