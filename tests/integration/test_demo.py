"""The README's first command, on a small population: the whole program, end to end, on moto."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_whole_program_with_no_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = subprocess.run(
        [sys.executable, "-m", "winback_dev.cli", "demo", "--users", "300", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["users"] == 300
    assert sum(summary["by_tier"].values()) == 300
    assert summary["duplicates"] == 0
    assert sum(summary["dlq_depth"].values()) == 0
    sent = summary["sent"]
    assert sent["email"] + sent["sms"] == sum(summary["delivered_by_provider"].values())
    assert sent["inbox"] > 0
    # App users with push endpoints get push; endpoints SNS disabled (stale tokens) are suppressed.
    assert sent["push"] > 0
    assert summary["push"]["stale"] > 0 and summary["push"]["suppressed_disabled"] > 0
    assert set(summary["sent_by_locale"]) == {"en", "zh-CN"}
    assert len(summary["segments"]) >= 3
    assert summary["assigned"]["holdout"] > 0
    steps = summary["journeys"]["dormant-offer"]
    assert steps["step0"]["sent"] > 0 and steps["step1"]["sent"] > 0
    assert summary["quiet_hours_deferred"] > 0
    # Opens and clicks at plausible rates, proxy opens apart, and the not-opened resend went out.
    assert 0 < summary["clicked"] < summary["opened"] < sent["email"]
    assert summary["machine_opened"] > 0 and summary["not_opened"] > 0
    assert summary["coupons"]["issued"] > 0
    assert summary["coupons"]["announced"] == summary["coupons"]["issued"]  # each on the offers bus, once
    assert sum(summary["reasons"].values()) > 0
    assert summary["inferred_reasons"].get("bad_experience", 0) > 0
    # The program-wide control group is assigned, never messaged, and the summary prints its lift.
    program = summary["program_lift"]
    assert summary["assigned"]["program_control"] > 0 and program["control_percent"] == 10
    assert program["messaged"] == 0
    assert program["ci95"] is not None and "program-wide" in result.stdout
    assert program["revenue"]["USD"]["ci95"] is not None and "revenue USD" in result.stdout
    assert (out / "program_report.json").exists()
    # dormant-vip's send-time arms: the best-hour arm reaches people at their active hour, the now arm rarely.
    arms = summary["send_time"]
    assert arms["best-hour"]["assigned"] > 0 and arms["now"]["assigned"] > 0 and "send time" in result.stdout
    assert arms["best-hour"]["at_active_hour"] > arms["now"]["at_active_hour"]
    # Regular buyers reach churn_risk before the fixed tier; each holdout is sized for the simulated effect.
    assert summary["churn_risk"]["fit"]["status"] == "fitted" and summary["churn_risk"]["fit"]["repeat_buyers"] >= 20
    assert summary["churn_risk"]["before_fixed_tier"] > 0 and summary["churn_risk"]["median_days_earlier"] > 0
    sizing = summary["holdout_sizing"]
    assert set(sizing) == {"lapsing-nudge", "dormant-vip", "dormant-offer", "lost-question"}
    assert all(10 <= s["holdout_percent"] <= 50 and s["needed_per_arm"] > 0 for s in sizing.values())
    assert "churn_risk" in result.stdout and "needed per arm" in result.stdout
    assert sum(summary["audience_export"].values()) > 0
    assert summary["ingest"]["http_200"] == summary["ingest"]["requests"]
    # Product views as a Segment destination sends them (signed batches), one batch delivered twice.
    segment = summary["segment"]
    assert segment["http_200"] >= 2 and segment.get("http_401", 0) == 0
    assert segment["events"] > segment["applied"] > 0 and segment["already_applied"] > 0
    # History came in through the S3 backfill; re-running one of its files changed nothing.
    backfill = summary["backfill"]
    assert backfill["rows"] == backfill["applied"] > 0 and backfill["rejected"] == 0
    assert backfill["rerun_duplicates"] == backfill["rerun_rows"] > 0
    # The catalog came in through the backfill too, and emails show its items' names and prices.
    assert backfill["catalog_items"] > 0 and summary["emails_with_catalog_items"] > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "lapsing-nudge" in html
    reports = json.loads((out / "reports.json").read_text(encoding="utf-8"))
    assert [r["campaign_id"] for r in reports] == ["lapsing-nudge", "dormant-vip", "dormant-offer", "lost-question"]
    assert "winback demo" in result.stdout and "report.html" in result.stdout
    # lapsing-nudge is adaptive: the stats step decided its split on each scan day, the summary prints it.
    assert list(summary["adaptive"]["lapsing-nudge"]["by_scan_day"]) == ["0", "3", "10", "17"]
    assert "adaptive         lapsing-nudge split nostalgic/question by scan day 0: 50%/50%" in result.stdout
    # Its progress while it runs, on stderr: plain lines here (not a terminal), the last day's among them.
    assert "demo: day 21/21" in result.stderr and "\r" not in result.stderr
