"""config/preferences.py: "fewer messages" must let fewer through than every cap of the program."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from winback.config.loader import DEFAULT_PROGRAM_PATH, parse_program
from winback.config.program import Program


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))
    return data


def test_the_shipped_program_offers_one_message_in_14_days(program: Program) -> None:
    fewer = program.preferences.fewer
    assert (fewer.max_messages, fewer.window_days) == (1, 14)


def test_a_program_without_the_key_gets_the_default() -> None:
    data = shipped()
    del data["preferences"]
    fewer = parse_program(yaml.safe_dump(data)).preferences.fewer
    assert (fewer.max_messages, fewer.window_days) == (1, 14)


@pytest.mark.parametrize("fewer", [{"max_messages": 1, "window_days": 7}, {"max_messages": 3, "window_days": 14}])
def test_fewer_as_generous_as_a_program_cap_fails_the_load(fewer: dict[str, int]) -> None:
    """sms allows 1 in 7 days: 1 in 7 (the same) or 3 in 14 (more) would not be fewer."""
    data = shipped()
    data["preferences"] = {"fewer": fewer}
    with pytest.raises(
        ValidationError, match=r"preferences.fewer .* must allow fewer messages than frequency_caps\.sms"
    ):
        parse_program(yaml.safe_dump(data))
