"""The deploy/ files as the tests use them: rendered by deploy/render.py, units read back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "deploy" / "render.py"
DOMAIN = "icc.example.test"
VENV = Path(sys.executable).parent.parent  # the units' ExecStart must name real binaries
UNITS = ("icc-web.service", "icc-worker.service", "icc-beat.service")


def render(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RENDER), "--domain", DOMAIN, "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def unit_settings(path: Path) -> dict[str, list[str]]:
    """Parse a unit file into "Section.Key" -> values (keys may repeat; `\\` continues a line)."""
    settings: dict[str, list[str]] = {}
    section = ""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key}", []).append(value)
    return settings
