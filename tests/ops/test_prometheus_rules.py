"""deploy/prometheus/rules.yml: valid for Prometheus's own checker, and each alert fires when it should.

`promtool check rules` validates the file; `promtool test rules` runs
tests/ops/prometheus/rules_test.yml, which feeds series to every alert and
expects it to fire (with its labels and text) only when it should. Debian's
`prometheus` package brings promtool; .ci/run installs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
CASES = Path(__file__).with_name("prometheus") / "rules_test.yml"
PROMTOOL = "/usr/bin/promtool"
SHIPPED = {
    "IccDeliveriesStuck": "deliveries stuck",
    "IccBeatNotTicking": "beat not ticking",
    "IccNoWorker": "no worker",
    "IccDeadlineOverdueNotEscalated": "deadline overdue and not escalated",
    "IccErrorRate": "error rate",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    if not Path(PROMTOOL).exists():
        pytest.skip(f"{PROMTOOL} is missing: apt-get install -y prometheus (CI installs it)")
    return PROMTOOL


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


def test_the_rules_pass_promtool_check(promtool):
    result = run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_every_alert_the_issue_names_is_shipped_and_unit_tested(promtool):
    names = {
        rule["alert"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    }
    assert set(SHIPPED) <= names
    tested = {
        case["alertname"]
        for test in yaml.safe_load(CASES.read_text())["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert tested == names  # every shipped alert has a case in which it fires
    result = run(promtool, "test", "rules", str(CASES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_catches_a_broken_rule_and_a_rule_that_fires_wrongly(promtool, tmp_path):
    broken = tmp_path / "rules.yml"
    broken.write_text(RULES.read_text().replace("> 60", "> > 60", 1))
    result = run(promtool, "check", "rules", str(broken))
    assert result.returncode != 0
    assert '"IccNoWorker": could not parse expression' in result.stdout + result.stderr

    # Without its traffic guard, IccErrorRate would page for a quiet installation.
    (tmp_path / "deploy" / "prometheus").mkdir(parents=True)
    guard = "\n          and sum without (instance, view, method, status) (rate(icc_http_requests_total[5m])) > 0.05"
    assert guard in RULES.read_text()
    (tmp_path / "deploy" / "prometheus" / "rules.yml").write_text(
        RULES.read_text().replace(guard, "")
    )
    (tmp_path / "tests" / "ops" / "prometheus").mkdir(parents=True)
    shutil.copy(CASES, tmp_path / "tests" / "ops" / "prometheus" / "rules_test.yml")
    result = run(promtool, "test", "rules", str(tmp_path / "tests/ops/prometheus/rules_test.yml"))
    assert result.returncode != 0
    assert 'job="quiet"' in result.stdout + result.stderr
