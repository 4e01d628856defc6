"""program.yaml's `preferences`: what the preference page offers a user who wants fewer messages.

"Fewer" is the user's own cap over every channel together; it must let fewer messages through than
any cap of the program (`frequency_caps`), or choosing it would change nothing."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from winback.config.guards import CapScope, FrequencyCap
from winback.models.preferences import FEWER_DAYS, FEWER_MESSAGES
from winback.models.strict import Strict


def _default_fewer() -> FrequencyCap:
    return FrequencyCap(max_messages=FEWER_MESSAGES, window_days=FEWER_DAYS)


class PreferencesConfig(Strict):
    fewer: FrequencyCap = Field(
        default_factory=_default_fewer,
        description="the cap a user who chooses 'fewer messages' gets, over every channel",
    )


def check_fewer(fewer: FrequencyCap, caps: Mapping[CapScope, FrequencyCap]) -> None:
    """`fewer` must be a slower rate than every program cap (messages per day), so the choice always
    means fewer messages than the program would send on any one channel."""
    for scope, cap in caps.items():
        if fewer.max_messages * cap.window_days >= cap.max_messages * fewer.window_days:
            raise ValueError(
                f"preferences.fewer ({fewer.max_messages} in {fewer.window_days} days) must allow fewer messages "
                f"than frequency_caps.{scope} ({cap.max_messages} in {cap.window_days} days)"
            )
