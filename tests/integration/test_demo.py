"""The README's first command, on a small population: the whole pipeline, end to end, on moto."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_whole_pipeline_with_no_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = subprocess.run(
        [sys.executable, "-m", "winback_dev.cli", "demo", "--users", "400", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("users", "by_tier", "targeted", "suppressed", "capped", "sent", "duplicates", "wall_s"):
        assert key in summary
    assert summary["users"] == 400
    assert sum(summary["by_tier"].values()) == 400
    assert set(summary["by_tier"]) == {"active", "lapsing", "dormant", "lost"}
    assert summary["duplicates"] == 0
    assert summary["sent"]["email"] > 0 and summary["sent"]["sms"] > 0
    assert sum(summary["sent"].values()) == sum(summary["delivered_by_provider"].values())
    assert summary["suppressed"] > 0
    assert summary["runs"][2]["send_jobs"] == 0  # the same day's schedule fired again: nothing new
    assert summary["ingest"].get("http_200") == summary["ingest"]["requests"]
    assert sum(summary["dlq_depth"].values()) == 0
    assert "winback demo" in result.stdout
