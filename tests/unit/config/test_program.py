"""config/: the declarative win-back program, validated at load."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from winback.config.loader import load_program, parse_program
from winback.config.program import Program
from winback.content.rendering import TemplateProblem


def parse(data: dict[str, Any]) -> Program:
    return parse_program(yaml.safe_dump(data, allow_unicode=True))


def test_shipped_program_loads(program: Program) -> None:
    assert program.brand == "Acme Shop"
    assert program.dormancy.signal == "order"
    assert [(t.name, t.after_days) for t in program.dormancy.tiers] == [
        ("lapsing", 30),
        ("dormant", 90),
        ("lost", 180),
    ]
    assert [c.id for c in program.campaigns] == ["lapsing-nudge", "dormant-vip", "dormant-offer", "lost-question"]
    assert set(program.frequency_caps) == {"email", "sms", "push", "inbox"}


def test_shipped_program_caps_every_channel_a_campaign_uses(program: Program) -> None:
    used = {channel for campaign in program.campaigns for channel in campaign.channels}
    assert used <= set(program.frequency_caps)


def test_shipped_program_targets_every_tier(program: Program) -> None:
    targeted = {tier for campaign in program.campaigns for tier in campaign.tiers}
    assert targeted == {t.name for t in program.dormancy.tiers}


def test_load_program_is_cached(program: Program) -> None:
    assert load_program() is program


def test_load_program_reads_a_custom_path(tmp_path: Path, program_data: dict[str, Any]) -> None:
    program_data["brand"] = "Other Brand"
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(program_data), encoding="utf-8")
    assert load_program(str(path)).brand == "Other Brand"


def test_load_program_validates_templates(tmp_path: Path, program_data: dict[str, Any]) -> None:
    program_data["campaigns"][0]["steps"] = [{"template": "nowhere"}]
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(program_data), encoding="utf-8")
    with pytest.raises(TemplateProblem, match="nowhere"):
        load_program(str(path))


def test_program_is_immutable(program: Program) -> None:
    with pytest.raises(ValidationError):
        program.brand = "changed"  # type: ignore[misc]


def test_campaign_lookup_by_id(program: Program) -> None:
    assert program.campaign("dormant-offer").tiers == ("dormant",)
    with pytest.raises(KeyError):
        program.campaign("nope")


def mutate(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    *parents, last = path.split(".")
    node: Any = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "dormancy.tiers",
            [{"name": "dormant", "after_days": 90}, {"name": "lapsing", "after_days": 30}],
            "strictly increasing after_days",
        ),
        (
            "dormancy.tiers",
            [{"name": "a", "after_days": 30}, {"name": "b", "after_days": 30}],
            "strictly increasing after_days",
        ),
        (
            "dormancy.tiers",
            [{"name": "a", "after_days": 30}, {"name": "a", "after_days": 60}],
            "tier names must be unique",
        ),
        ("dormancy.tiers", [], "at least 1"),
        ("dormancy.tiers.0.after_days", 0, "greater than 0"),
        ("dormancy.signal", "purchase", "signal"),
        ("campaigns.1.id", "lapsing-nudge", "campaign ids must be unique"),
        ("campaigns.0.tiers", ["lapsing", "asleep"], "targets unknown tiers ['asleep']"),
        ("campaigns.0.channels", ["email", "fax"], "channels"),
        ("campaigns.0.steps", [], "steps"),
        ("scan", {"min_segments": 10, "max_segments": 5}, "min_segments must not exceed max_segments"),
        ("scan.recipients_per_job", 101, "recipients_per_job"),
        ("frequency_caps.email", {"max_messages": 0, "window_days": 7}, "max_messages"),
        ("default_locale", "fr", "default_locale"),
        ("site_url", "shop.example.com", "site_url"),
    ],
)
def test_invalid_program_is_rejected_with_a_clear_error(
    program_data: dict[str, Any], path: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        parse(mutate(program_data, path, value))


@pytest.mark.parametrize(
    "path",
    [
        "colour",
        "dormancy.colour",
        "campaigns.0.colour",
        "scan.colour",
        "frequency_caps.email.colour",
        "campaigns.0.steps.0.colour",
    ],
)
def test_unknown_key_anywhere_is_rejected(program_data: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse(mutate(program_data, path, "red"))
    # pydantic adds a spurious tuple `too_short` error when an item of a min_length tuple fails; the
    # extra_forbidden error naming the key is what a user needs to see.
    forbidden = [".".join(str(p) for p in e["loc"]) for e in exc.value.errors() if e["type"] == "extra_forbidden"]
    assert forbidden == [path]


def test_unknown_frequency_cap_channel_is_rejected(program_data: dict[str, Any]) -> None:
    program_data["frequency_caps"]["fax"] = {"max_messages": 1, "window_days": 1}
    with pytest.raises(ValidationError, match="fax"):
        parse(program_data)


def test_missing_required_section_is_rejected(program_data: dict[str, Any]) -> None:
    del program_data["dormancy"]
    with pytest.raises(ValidationError) as exc:
        parse(program_data)
    assert [tuple(e["loc"]) for e in exc.value.errors()] == [("dormancy",)]


def test_optional_sections_take_defaults(program_data: dict[str, Any]) -> None:
    for key in ("scan", "feedback", "unsubscribe_token_days", "default_locale"):
        del program_data[key]
    program = parse(program_data)
    assert program.scan.max_segments == 64
    assert program.feedback.soft_bounce_limit == 3
    assert program.unsubscribe_token_days == 365
    assert program.default_locale == "en"


def test_min_equal_to_max_segments_is_allowed(program_data: dict[str, Any]) -> None:
    program_data["scan"]["min_segments"] = program_data["scan"]["max_segments"] = 4
    assert parse(program_data).scan.min_segments == 4


def test_shipped_program_has_a_three_step_journey_reminding_of_its_coupon(program: Program) -> None:
    journey = program.campaign("dormant-offer")
    assert [s.delay_days for s in journey.steps] == [0, 3, 7]
    assert journey.steps[2].coupon_from_step == 0
    assert journey.steps[2].channels == ("sms", "email")


def test_quiet_hours_times_must_be_quoted(program_data: dict[str, Any]) -> None:
    program_data["quiet_hours"] = {"sms": {"start": 1260, "end": "08:00"}}  # what YAML makes of 21:00
    with pytest.raises(ValidationError):
        parse_program(yaml.safe_dump(program_data))


def test_unknown_default_time_zone_fails_the_load(program_data: dict[str, Any]) -> None:
    program_data["default_time_zone"] = "Mars/Olympus"
    with pytest.raises(ValidationError, match="default_time_zone"):
        parse_program(yaml.safe_dump(program_data))


def test_a_campaign_targeting_an_unknown_segment_is_rejected(program_data: dict[str, Any]) -> None:
    program_data["campaigns"][0]["segments"] = ["whales"]
    with pytest.raises(ValidationError, match="unknown segments"):
        parse_program(yaml.safe_dump(program_data))


def test_a_coupon_reminder_needs_an_earlier_coupon_step(program_data: dict[str, Any]) -> None:
    program_data["campaigns"][0]["steps"].append({"template": "offer", "delay_days": 1, "coupon_from_step": 0})
    with pytest.raises(ValidationError, match="reminds of a coupon"):
        parse_program(yaml.safe_dump(program_data))


def test_the_first_step_goes_out_at_assignment(program_data: dict[str, Any]) -> None:
    program_data["campaigns"][0]["steps"][0]["delay_days"] = 2
    with pytest.raises(ValidationError, match="first step"):
        parse_program(yaml.safe_dump(program_data))
