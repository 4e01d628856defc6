"""bench/results.json's shape, from made-up numbers (the benchmark itself is never run by the tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import cold_start, report, results

HANDLERS = ("ingest", "send")


def _handler(import_s: float, ratio: float) -> dict[str, Any]:
    return {
        "import_s": import_s,
        "median_s": import_s + 0.01,
        "import_ratio": ratio,
        "modules_loaded": 400,
        "watched_modules": [],
        "traced": {"import_s": import_s + 0.02, "import_ratio": ratio + 0.1, "modules_loaded": 420},
        "dev_only_modules": [],
    }


def fake_results() -> dict[str, Any]:
    boto3 = {"import_s": 0.15, "median_s": 0.16, "import_ratio": 1.0, "modules_loaded": 300, "watched_modules": []}
    return {
        "ingest": {"calls_per_event": 0.031, "wru_per_event": 3.5, "rru_per_event": 0.7},
        "pipeline": {
            "send_calls_per_message": 1.9,
            "scan_calls_per_targeted_user": 0.12,
            "send_wru_per_message": 9.0,
            "send_rru_per_message": 2.5,
            "send_wru_by_table_per_message": {"MessagingTable": 8.0, "DeferralTable": 1.0},
        },
        "backfill": {
            "rows": 4000,
            "batches": 8,
            "rows_per_s": 120.0,
            "rows_per_s_outside_calls": 900.0,
            "writes_per_row": 0.033,
            "calls_per_row": 0.044,
            "rerun_duplicates": 4000,
            "rerun_dynamodb_writes": 0,
            "wru_per_row": 4.2,
            "rru_per_row": 0.5,
            "rerun_wru_per_row": 0.0,
            "rerun_rru_per_row": 0.5,
        },
        "scan_throughput": {
            "runs": [{"table_items": 2500, "items_per_s": 900.0}, {"table_items": 10000, "items_per_s": 800.0}]
        },
        "memory": {"runs": [{"table_items": n, "peak_bytes": 3 * 2**20} for n in (1000, 4000, 16000)]},
        "cold_start": {
            "runs": 7,
            "boto3": {"untraced": boto3, "traced": boto3},
            "handlers": {"ingest": _handler(0.3, 2.0), "send": _handler(0.33, 2.2)},
            "importtime": {
                "function": "send",
                "beyond_boto3_ms": 120.0,
                "top_packages_self_ms": [("pydantic_core", 9.0)],
                "top_modules_cumulative_ms": [("winback.models.profile", 40.0)],
            },
        },
        "prediction": {
            "customers": 2357,
            "bgnbd_fit_s": 0.08,
            "fit_rounds": 5,
            "params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
            "log_likelihood": -9582.4,
            "chi_square": 4.8,
            "score_us_per_user": 40.0,
            "score_rounds": 3,
            "mean_p_alive": 0.7,
        },
        "meta": {"python": "3.13.0", "moto": "5.2.5", "cpus": 2, "run_s": 300.0, "results_path": "bench/results.json"},
    }


def test_results_json_holds_the_headline_figures_as_numbers(tmp_path: Path) -> None:
    path = results.write(fake_results(), tmp_path / "results.json")
    data = json.loads(path.read_text(encoding="utf-8"))

    for key in ("calls_per_email", "calls_per_event", "scan_calls_per_user", "scan_items_per_s", "import_boto3_s"):
        assert isinstance(data[key], int | float), key
    assert data["calls_per_email"] == 1.9
    assert data["calls_per_event"] == 0.031
    assert (data["wru_per_event"], data["rru_per_event"], data["wru_per_email"]) == (3.5, 0.7, 9.0)
    assert data["scan_calls_per_user"] == 0.12
    assert data["scan_items_per_s"] == 800.0  # the largest table
    assert (data["backfill_rows_per_s"], data["backfill_writes_per_row"]) == (120.0, 0.033)
    assert data["scan_peak_mb"] == {"1000": 3.0, "4000": 3.0, "16000": 3.0}
    assert data["import_s"] == {"ingest": 0.3, "send": 0.33}
    assert data["import_ratio"] == {"ingest": 2.0, "send": 2.2}
    assert set(data["import_s_traced"]) == set(data["import_ratio_traced"]) == set(HANDLERS)
    assert set(results.DEFINITIONS) <= set(data)
    assert data["details"]["cold_start"]["runs"] == 7
    assert (data["bgnbd_fit_s"], data["score_us_per_user"]) == (0.08, 40.0)


def test_the_prediction_lines_render() -> None:
    text = report.prediction(fake_results()["prediction"])
    assert "fit 0.080 s (best of 5): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4" in text[1]
    assert "40.0 us per user" in text[2]


def test_the_backfill_line_renders() -> None:
    text = report.backfill(fake_results()["backfill"])
    assert "120 rows/s" in text[1] and "writes per row 0.033" in text[2]
    assert "units per row: write 4.20, read 0.50; re-run: write 0.00" in text[3]


def test_the_table_renders_from_the_same_results() -> None:
    text = report.cold_start(fake_results()["cold_start"])
    assert "import boto3: 0.150 s untraced" in text[1]
    assert any(line.split()[:3] == ["ingest", "0.300", "2.00"] for line in text)


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     botocore.x
import time:       300 |        400 |   boto3
import time:        50 |         50 |       pydantic_core
import time:        40 |         90 |     pydantic
import time:       200 |        200 |     botocore.y
import time:        10 |        300 |   winback.models.profile
import time:         5 |        705 | winback_functions.ingest
"""
BASELINE = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     botocore.x
import time:       200 |        200 |     botocore.y
import time:       300 |        600 |   boto3
"""


def test_importtime_counts_only_what_a_bare_boto3_does_not_load() -> None:
    profile = cold_start.beyond_baseline("ingest", IMPORTTIME, BASELINE)
    # pydantic_core 50 + pydantic 40 + winback.models.profile 10 + the handler module itself 5 (us)
    assert profile["beyond_boto3_ms"] == 0.105
    assert dict(profile["top_modules_cumulative_ms"])["winback.models.profile"] == 0.1
    assert dict(profile["top_modules_cumulative_ms"])["pydantic"] == 0.09
    assert dict(profile["top_modules_cumulative_ms"])["boto3"] == 0.0
    assert dict(profile["top_packages_self_ms"]) == {
        "pydantic_core": 0.05,
        "pydantic": 0.04,
        "winback.models": 0.01,
        "winback_functions": 0.005,
    }
