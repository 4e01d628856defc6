"""The adaptive section of a campaign report as text and as HTML: P(best), the winner, the split by day."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

from winback.domain.measurement.report_build import build_report
from winback.models.allocation import Allocation
from winback.models.report import AdaptiveReport, CampaignReport, Cell
from winback_dev.report_html import render_html
from winback_dev.report_table import render_table

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _day(day: int, weights: dict[str, float], winner: str | None = None) -> Allocation:
    return Allocation(
        campaign_id="nudge",
        day=dt.date(2026, 12, day),
        weights=weights,
        p_best=weights,
        assigned={"a": 100, "b": 100},
        reactivated={"a": 5, "b": 20},
        adapting=day > 1,
        winner=winner,
    )


def _report(winner: str | None) -> CampaignReport:
    cells = [Cell(arm="a", segment="s", counts={"assigned": 100}), Cell(arm="holdout", segment="s", counts={})]
    report = build_report("nudge", cells, window_days=14, generated_at=NOW)
    adaptive = AdaptiveReport(
        winner_probability=0.95,
        min_per_arm=50,
        adapting=True,
        p_best={"a": 0.02, "b": 0.98} if winner else {"a": 0.3, "b": 0.7},
        winner=winner,
        allocation_over_time=[_day(1, {"a": 0.5, "b": 0.5}), _day(4, {"a": 0.07, "b": 0.93}, winner)],
    )
    return report.model_copy(update={"adaptive": adaptive})


def test_the_text_report_shows_p_best_the_winner_and_the_split_by_day() -> None:
    text = render_table(_report("b"))
    assert "Adaptive allocation: P(best) a 2.00%, b 98.00%; winner: b (P(best) ≥ 95.00%)" in text
    assert "2026-12-01" in text and "93.00%" in text
    assert "no winner yet (needs P(best) ≥ 95.00%)" in render_table(_report(None))


def test_the_page_shows_the_same_and_a_fixed_campaign_shows_none() -> None:
    page = render_html([_report("b")], "Win-back")
    assert "<h3>Adaptive allocation</h3>" in page and 'aria-label="Allocation over time"' in page
    fixed = build_report(
        "fixed", [Cell(arm="a", segment="s", counts={"assigned": 1})], window_days=14, generated_at=NOW
    )
    assert "Adaptive allocation" not in render_html([fixed], "Win-back") + render_table(fixed)
