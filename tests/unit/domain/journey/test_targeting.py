"""domain/journey/targeting.py: matching a tier to a campaign and choosing a channel."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from winback.config.campaigns import Campaign, ChannelName, Step
from winback.config.loader import parse_program
from winback.config.program import Program
from winback.domain.journey.targeting import campaign_for, choose_channel
from winback.models.profile import Profile

ARN = "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/App/abc"


def campaign(*channels: ChannelName) -> Campaign:
    return Campaign(id="c", tiers=("lapsing",), channels=channels, steps=(Step(template="offer"),))


def reachable(**overrides: Any) -> Profile:
    data: dict[str, Any] = {
        "user_id": "u1",
        "email": "ada@example.com",
        "phone": "+14155552671",
        "push_endpoint": ARN,
        "consent": {"email": True, "sms": True, "push": True},
    }
    data.update(overrides)
    return Profile.model_validate(data)


@pytest.mark.parametrize(
    ("tier", "campaign_id"),
    [("lapsing", "lapsing-nudge"), ("dormant", "dormant-offer"), ("lost", "lost-question")],  # any segment
)
def test_campaign_for_shipped_tiers(program: Program, tier: str, campaign_id: str) -> None:
    found = campaign_for(program, tier)
    assert found is not None
    assert found.id == campaign_id


def test_campaign_for_unknown_tier_is_none(program: Program) -> None:
    assert campaign_for(program, "asleep") is None


def test_campaign_for_picks_first_match_in_program_order(program_data: dict[str, Any]) -> None:
    program_data["campaigns"].insert(
        1, {"id": "lapsing-second", "tiers": ["lapsing", "lost"], "channels": ["sms"], "steps": [{"template": "offer"}]}
    )
    program = parse_program(yaml.safe_dump(program_data))
    lapsing = campaign_for(program, "lapsing")
    lost = campaign_for(program, "lost")
    assert lapsing is not None and lapsing.id == "lapsing-nudge"
    assert lost is not None and lost.id == "lapsing-second"


def test_tier_without_campaign_is_none(program_data: dict[str, Any]) -> None:
    program_data["campaigns"] = [c for c in program_data["campaigns"] if "lost" not in c["tiers"]]
    program = parse_program(yaml.safe_dump(program_data))
    assert campaign_for(program, "lost") is None


@pytest.mark.parametrize(
    ("channels", "expected"),
    [(("email", "sms", "push"), "email"), (("push", "email"), "push"), (("sms", "email"), "sms")],
)
def test_choose_channel_honours_campaign_order(channels: tuple[ChannelName, ...], expected: ChannelName) -> None:
    assert choose_channel(campaign(*channels), reachable()) == expected


def test_choose_channel_skips_channels_without_consent() -> None:
    profile = reachable(consent={"email": False, "sms": True})
    assert choose_channel(campaign("email", "push", "sms"), profile) == "sms"


def test_missing_consent_is_not_consent() -> None:
    assert choose_channel(campaign("email"), reachable(consent={})) is None


def test_choose_channel_skips_channels_without_address() -> None:
    profile = reachable(email=None, phone="")
    assert choose_channel(campaign("email", "sms", "push"), profile) == "push"


def test_choose_channel_is_none_when_nothing_usable() -> None:
    profile = reachable(email=None, consent={"email": True, "sms": False, "push": False})
    assert choose_channel(campaign("email", "sms", "push"), profile) is None


def test_choose_channel_never_uses_a_channel_outside_the_campaign() -> None:
    profile = reachable(consent={"email": False, "sms": False, "push": True})
    assert choose_channel(campaign("email", "sms"), profile) is None


@pytest.mark.parametrize(
    ("segment", "campaign_id"),
    [("champions", "dormant-vip"), ("cant_lose", "dormant-vip"), ("hibernating", "dormant-offer")],
)
def test_dormant_users_are_matched_by_segment_in_rule_order(program: Program, segment: str, campaign_id: str) -> None:
    found = campaign_for(program, "dormant", segment)
    assert found is not None and found.id == campaign_id


def test_a_campaign_can_target_activity_levels(program_data: dict[str, Any]) -> None:
    program_data["campaigns"].insert(
        0,
        {
            "id": "lapsing-heavy",
            "tiers": ["lapsing"],
            "activity_levels": ["heavy"],
            "channels": ["email"],
            "steps": [{"template": "nostalgic"}],
        },
    )
    program = parse_program(yaml.safe_dump(program_data))
    heavy = campaign_for(program, "lapsing", "loyal", "heavy")
    light = campaign_for(program, "lapsing", "loyal", "light")
    assert heavy is not None and heavy.id == "lapsing-heavy"
    assert light is not None and light.id == "lapsing-nudge"


def test_the_segmenter_gives_the_rfm_group_and_activity_level(program: Program) -> None:
    from datetime import UTC, datetime, timedelta

    from winback.domain.audience.segmentation import RfmSegmenter

    now = datetime(2026, 6, 1, tzinfo=UTC)
    profile = reachable(
        first_seen_at=now - timedelta(days=400),
        last_seen_at=now - timedelta(days=200),
        last_event_at={"order": now - timedelta(days=200)},
        orders=9,
        spend_minor={"USD": 90_000},
        event_counts={"order": 9, "view": 400},
    )
    segment = RfmSegmenter(program, None)(profile, now)
    assert segment.rfm == "cant_lose"
    assert segment.activity in ("heavy", "regular")


def test_a_campaign_for_high_expected_value_takes_only_users_known_to_be_in_its_range(
    program_data: dict[str, Any],
) -> None:
    """Guard: campaign_for checks `expected_value` with in_value_range; an unknown value (no fitted
    model) is in no range, so the user falls through to the next rule."""
    program_data["campaigns"].insert(
        0,
        {
            "id": "dormant-valuable",
            "tiers": ["dormant"],
            "expected_value": {"at_least": 200},
            "channels": ["email"],
            "steps": [{"template": "offer"}],
        },
    )
    program = parse_program(yaml.safe_dump(program_data))
    picks = {
        value: getattr(campaign_for(program, "dormant", "hibernating", None, value), "id", None)
        for value in (None, 0, 19_999, 20_000, 1_000_000)
    }
    assert picks == {
        None: "dormant-offer",
        0: "dormant-offer",
        19_999: "dormant-offer",
        20_000: "dormant-valuable",
        1_000_000: "dormant-valuable",
    }


@pytest.mark.parametrize(
    ("bounds", "message"),
    [({}, "needs `at_least`, `below` or both"), ({"at_least": 50, "below": 50}, "must be less than `below`")],
)
def test_an_empty_or_inverted_value_range_is_refused_naming_it(
    program_data: dict[str, Any], bounds: dict[str, int], message: str
) -> None:
    program_data["campaigns"][0]["expected_value"] = bounds
    with pytest.raises(ValueError, match=message):
        parse_program(yaml.safe_dump(program_data))
