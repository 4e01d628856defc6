"""program.yaml's send time: a step's `send_time`, a variant's `send_times`, the campaign's default hour."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from winback.config.campaigns import Campaign
from winback.config.loader import load_program


def campaign(**fields: Any) -> Campaign:
    data: dict[str, Any] = {
        "id": "c",
        "tiers": ["dormant"],
        "channels": ["email"],
        "steps": [{"template": "offer"}, {"template": "nostalgic", "delay_days": 3}],
        **fields,
    }
    return Campaign.model_validate(data)


def test_send_time_is_now_unless_a_step_or_a_variant_says_best_hour() -> None:
    c = campaign(
        steps=[{"template": "offer"}, {"template": "nostalgic", "delay_days": 3, "send_time": "best_hour"}],
        variants=[{"id": "now"}, {"id": "best-hour", "send_times": {0: "best_hour", 1: "now"}}],
    )
    assert [c.send_time_for(s, "now") for s in (0, 1)] == ["now", "best_hour"]
    assert [c.send_time_for(s, "best-hour") for s in (0, 1)] == ["best_hour", "now"]
    assert c.default_send_hour == 10 and c.best_hour_min_events == 5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"variants": [{"id": "a", "send_times": {2: "best_hour"}}]}, "send_times of steps \\[2\\]"),
        ({"variants": [{"id": "a", "send_times": {0: "soon"}}]}, "send_times"),
        ({"steps": [{"template": "offer", "send_time": "later"}]}, "send_time"),
        ({"default_send_hour": 24}, "default_send_hour"),
        ({"best_hour_min_events": 0}, "best_hour_min_events"),
    ],
)
def test_a_bad_send_time_is_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        campaign(**fields)


def test_the_shipped_dormant_vip_campaign_tests_best_hour_against_now() -> None:
    vip = load_program().campaign("dormant-vip")
    assert [v.id for v in vip.variants] == ["now", "best-hour"]
    assert vip.send_time_for(0, "best-hour") == "best_hour" and vip.send_time_for(0, "now") == "now"
