"""program.yaml's guards on every send: `frequency_caps`, `quiet_hours`, `sunset` and `feedback`.

The rules that apply them (`next_allowed`, `has_room`) are in `winback.domain.journey`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from winback.config.campaigns import ChannelName
from winback.models.strict import Strict

# `frequency_caps.all`: the program-level cap, over every channel at once (claimed with the
# channel's own cap in the same conditional write of the user's send state).
ALL_CHANNELS: Literal["all"] = "all"
CapScope = Literal[ChannelName, "all"]


class FrequencyCap(Strict):
    max_messages: int = Field(gt=0)
    window_days: int = Field(gt=0)


def check_frequency_caps(caps: Mapping[CapScope, FrequencyCap]) -> Mapping[CapScope, FrequencyCap]:
    """A channel's cap looser than the program-level cap over a window no longer than its own is a
    mistake of intent (it reads as a promise the `all` cap never lets it keep): say which."""
    total = caps.get(ALL_CHANNELS)
    if total is None:
        return caps
    for scope, cap in caps.items():
        if scope != ALL_CHANNELS and cap.window_days <= total.window_days and cap.max_messages > total.max_messages:
            raise ValueError(
                f"frequency_caps.{scope} allows {cap.max_messages} messages in {cap.window_days} days, more than "
                f"frequency_caps.all ({total.max_messages} in {total.window_days} days) ever lets through"
            )
    return caps


class QuietHours(Strict):
    """A daily window of local clock time in which nothing is sent; it may wrap midnight (21:00-08:00)."""

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_text(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 21:00 as the base-60 integer 1260, which pydantic would take as 00:21.
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError("write the time as a quoted 'HH:MM' string")
        return value

    @field_validator("start", "end")
    @classmethod
    def _local(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a quiet-hours time is local to each user and carries no offset")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("quiet hours start and end must differ")
        return self

    @property
    def wraps_midnight(self) -> bool:
        return self.end < self.start


class Sunset(Strict):
    """Stop chasing users who do not come back: it protects the sender's reputation."""

    cooldown_days: int = Field(30, ge=0, description="no new journey this soon after one that failed")
    max_failed_journeys: int = Field(3, ge=1, description="then the user is suppressed from marketing")
    # Mailbox providers ask bulk senders to stop mailing addresses that never engage.
    email_unengaged_emails: int = Field(
        5, ge=1, description="campaign emails delivered without an open or click, then no more campaign email"
    )
    email_unengaged_days: float = Field(90, gt=0, description="or days since the first of them, whichever comes first")


class Feedback(Strict):
    soft_bounce_limit: int = Field(3, ge=1)
    soft_bounce_window_days: int = Field(30, ge=1)
