"""The incentive-by-segment table in the text and HTML reports: ranks, lifts, costs, since when a
segment gets no incentive; data escaped in the page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from winback.models.report import CampaignReport, SegmentLift
from winback_dev.report_html import render_html
from winback_dev.report_table import render_table


def _report(segment: str = "hibernating") -> CampaignReport:
    row = SegmentLift(
        segment=segment,
        lift_rank=1,
        cost_rank=None,
        assigned=100,
        reactivated=5,
        abs_lift=0.0,
        abs_low=-0.05,
        abs_high=0.05,
        holdout_n=100,
        incentive_lift=-0.25,
        incentive_low=-0.35,
        incentive_high=-0.14,
        no_offer_n=100,
        currency="USD",
        coupon_value_minor=4000,
        coupons_issued=4,
        incremental_reactivations=0.0,
        cost_per_reactivated_minor=800.0,
        incentive_skipped_since=date(2026, 11, 26),
    )
    return CampaignReport(
        campaign_id="dormant-offer",
        generated_at=datetime(2026, 12, 7, tzinfo=UTC),
        paused=False,
        holdout_arm="holdout",
        window_days=14,
        confidence=0.95,
        segments_ranked=[row],
    )


def test_the_text_report_shows_each_segment_with_its_lifts_costs_and_since_when_it_gets_no_incentive() -> None:
    text = render_table(_report())
    assert "Incentive by segment" in text
    line = next(line for line in text.splitlines() if "hibernating" in line)
    for shown in ("+0.00 pp", "[-5.00 pp, +5.00 pp]", "-25.00 pp", "USD 40.00", "USD 8.00", "none since 2026-11-26"):
        assert shown in line


def test_the_page_shows_the_table_with_the_segment_escaped() -> None:
    page = render_html([_report("<b>x</b>")], "Report")
    assert "Incentive by segment" in page and "none since 2026-11-26" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
