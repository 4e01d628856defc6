"""models/report.py: a Comparison is its Lift plus scope, and its JSON keeps the report's shape."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, asdict, fields
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from winback.domain.measurement.lift import Lift, compare
from winback.models.report import CampaignReport, Comparison

COMPARISON = TypeAdapter(Comparison)
KEYS = [
    "arm",
    "pooled",
    "segment",
    "confidence",
    "treated_n",
    "treated_x",
    "control_n",
    "control_x",
    "treated_rate",
    "control_rate",
    "abs_lift",
    "abs_low",
    "abs_high",
    "rel_lift",
    "rel_low",
    "rel_high",
    "z",
    "p_value",
    "significant",
    "still_needed",
]


def comparison(lift: Lift, still_needed: int | None = None) -> Comparison:
    return Comparison(**asdict(lift), arm="a", pooled=False, segment="vip", still_needed=still_needed)


def test_a_comparison_is_its_lift_with_scope() -> None:
    lift = compare(400, 40, 200, 9)
    c = comparison(lift, 120)
    assert isinstance(c, Lift)
    assert {f.name: getattr(c, f.name) for f in fields(Lift)} == asdict(lift)


def test_the_json_of_a_comparison_is_pinned() -> None:
    dumped = COMPARISON.dump_json(comparison(compare(10, 2, 0, 0))).decode()
    assert dumped == (
        '{"arm":"a","pooled":false,"segment":"vip","confidence":0.95,"treated_n":10,"treated_x":2,'
        '"control_n":0,"control_x":0,"treated_rate":0.2,"control_rate":null,"abs_lift":null,"abs_low":null,'
        '"abs_high":null,"rel_lift":null,"rel_low":null,"rel_high":null,"z":null,"p_value":null,'
        '"significant":false,"still_needed":null}'
    )
    assert list(json.loads(COMPARISON.dump_json(comparison(compare(400, 40, 200, 9), 0)))) == KEYS


def test_a_report_with_comparisons_round_trips_through_json() -> None:
    report = CampaignReport(
        campaign_id="spring",
        generated_at=datetime(2026, 6, 1, tzinfo=UTC),
        paused=False,
        holdout_arm="holdout",
        window_days=3,
        confidence=0.95,
        comparisons=[comparison(compare(400, 40, 200, 9), 0)],
    )
    text = report.model_dump_json()
    assert CampaignReport.model_validate_json(text) == report
    assert list(json.loads(text)["comparisons"][0]) == KEYS


def test_a_comparison_rejects_unknown_keys_and_is_immutable() -> None:
    data = json.loads(COMPARISON.dump_json(comparison(compare(10, 2, 10, 1))))
    with pytest.raises(ValidationError, match="colour"):
        COMPARISON.validate_python({**data, "colour": "red"})
    with pytest.raises(FrozenInstanceError):
        COMPARISON.validate_python(data).arm = "b"  # type: ignore[misc]
