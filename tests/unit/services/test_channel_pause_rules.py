"""The channel pause item and the operator's commands, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from winback.adapters.channel_pause import ChannelPauses, parse_channel_pause
from winback.services.channel_pause import pause_channel

NOW = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)


def test_a_pause_with_until_lifts_by_itself_and_one_without_holds() -> None:
    row = {"pk": "pause#channel#email", "sk": "state", "reason": "quota", "until": int(NOW.timestamp()) + 60}
    pause = parse_channel_pause(row)
    assert pause is not None and pause.channel == "email"
    assert pause.active(NOW) and not pause.active(NOW + timedelta(minutes=2))
    held = parse_channel_pause({"pk": "pause#channel#sms", "sk": "state", "reason": "operator"})
    assert held is not None and held.active(NOW + timedelta(days=365))


def test_a_campaign_pause_row_is_not_a_channel_pause() -> None:
    assert parse_channel_pause({"pk": "pause#dormant-offer", "sk": "state", "reason": "bounces"}) is None


def test_an_unknown_channel_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="channel: 'fax'"):
        pause_channel(ChannelPauses("unused"), "fax", "", NOW)
