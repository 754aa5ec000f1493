"""The regimes are data: each file loads, cites its source, and carries the figures of the law."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from regulatory import regimes
from regulatory.checks import check_regime_files
from tests.regulatory.support import AI_ACT, DORA, GDPR, NIS2


def windows(slug: str) -> dict[str, list[tuple[str, str]]]:
    regime = regimes.get(slug)
    assert regime is not None
    return {
        r.key: [(t.start, t.within.text) for t in (r.clock, *r.also_within)]
        + [(f"if {v.question}", v.within.text) for v in r.variants]
        for r in regime.reports
    }


def test_the_four_regimes_carry_the_deadlines_of_their_legal_texts():
    assert set(regimes.all_regimes()) == {AI_ACT, DORA, GDPR, NIS2}
    assert windows(AI_ACT) == {
        "serious_incident_report": [
            ("became_aware", "P15D"),  # Article 73(2)
            ("if death", "P10D"),  # Article 73(4)
            ("if widespread_or_critical_infrastructure", "P2D"),  # Article 73(3)
        ]
    }
    assert windows(DORA) == {
        "initial_notification": [("classified_major", "PT4H"), ("became_aware", "PT24H")],
        "intermediate_report": [("submitted:initial_notification", "PT72H")],
        "final_report": [("submitted:intermediate_report", "P1M")],
    }
    assert windows(GDPR) == {"notification": [("became_aware", "PT72H")]}
    assert windows(NIS2) == {
        "early_warning": [("became_aware", "PT24H")],
        "incident_notification": [("became_aware", "PT72H")],
        "final_report": [("submitted:incident_notification", "P1M")],
    }


def test_every_regime_names_its_source_and_cites_each_deadline():
    for regime in regimes.all_regimes().values():
        assert regime.source["url"].startswith("https://eur-lex.europa.eu/")
        assert "Article" in regime.source["article"] and regime.checked
        for report in regime.reports:
            for term in (report.clock, *report.also_within):
                assert "Article" in term.cite, (regime.slug, report.key)
            assert all("Article" in v.cite for v in report.variants)


def test_the_shortest_variant_answered_yes_binds():
    report = regimes.get(AI_ACT).reports[0]
    assert report.terms({"death": True})[0].within.text == "P10D"
    assert report.terms({"death": True, "widespread_or_critical_infrastructure": True})[0].cite == (
        "Article 73(3)"
    )
    assert report.terms({})[0].within.text == "P15D"


def test_months_are_calendar_months_and_a_drill_runs_faster():
    one_month = regimes.parse_duration("P1M", "test")
    assert one_month.after(datetime(2026, 1, 31, 9, tzinfo=UTC)) == datetime(
        2026, 2, 28, 9, tzinfo=UTC
    )
    fifteen_days = regimes.parse_duration("P15D", "test")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert fifteen_days.after(start, factor=60) == datetime(2026, 3, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["reports"][0]["clock"].update(within="15 days"), "is not a duration"),
        (lambda r: r["reports"][0]["clock"].update({"from": "lunch"}), "is neither a moment"),
        (lambda r: r.update(applies_if=["nope"]), "`applies_if` must name"),
        (lambda r: r["reports"][0]["variants"][0].update({"if": "nope"}), "variant `if`"),
        (lambda r: r["source"].pop("url"), "`source` needs"),
        (lambda r: r.update(slug="other"), "`slug` must be the file's name"),
    ],
)
def test_a_malformed_regime_file_is_refused_naming_the_file(tmp_path, change, message):
    source = regimes.HERE / f"{AI_ACT}.json"
    raw = json.loads(source.read_text())
    change(raw)
    path = tmp_path / f"{AI_ACT}.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(regimes.RegimeError) as caught:
        regimes.load_file(path)
    assert message in str(caught.value) and f"{AI_ACT}.json" in str(caught.value)


def test_manage_py_check_reports_a_bad_regime_file(tmp_path, monkeypatch):
    folder = tmp_path / "regimes"
    shutil.copytree(regimes.HERE, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / f"{GDPR}.json").write_text("{not json")
    monkeypatch.setattr(regimes, "HERE", folder)
    regimes.all_regimes.cache_clear()
    try:
        errors = check_regime_files()
    finally:
        monkeypatch.undo()
        regimes.all_regimes.cache_clear()
    assert [e.id for e in errors] == ["regulatory.E001"] and "gdpr-art33.json" in errors[0].msg
